"""NWB on zarr through Spikey, in the environments hdmf-zarr's releases need: the proof behind
docs/ecosystem.md's NWB section.

    python bench/nwb_envs.py [--envs current,previous] [--keep DIR]

Each environment is a fresh venv of a pyenv interpreter with one hdmf-zarr release, pynwb and pytest (pip
resolves the rest) and this checkout; in it tests/test_nwb.py runs (the route that release takes: the
serializer on 0.14, the compressor on 0.13) and tests/test_ecosystem.py (docs/ecosystem.md's snippets, the
NWB one among them). Prints the versions and the results. Minutes per environment (installs, JIT).
"""
import argparse
import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVS = {   # name: (python, hdmf-zarr)
    "current": ("3.12.1", "0.14.0"),      # zarr 3 arrays: needs zarr >= 3.4, Python >= 3.12
    "previous": ("3.11.7", "0.13.0"),     # zarr 2 arrays: zarr < 3, numcodecs < 0.16
}
VERSIONS = ("import importlib.metadata as m, sys; print(sys.version.split()[0], *(m.version(p) for p in "
            "('hdmf-zarr', 'pynwb', 'hdmf', 'zarr', 'numcodecs', 'numpy', 'numba')))")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def make_env(folder: Path, version: str, hdmf_zarr: str) -> str:
    interpreter = Path(run(["pyenv", "root"]).strip()) / "versions" / version / "bin" / "python3"
    run([str(interpreter), "-m", "venv", str(folder)])
    python = str(folder / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", f"hdmf-zarr=={hdmf_zarr}", "pynwb", "pytest"])
    run([python, "-m", "pip", "install", "-q", "-e", str(ROOT)])
    return python


def pytest_summary(python: str, test: str, env: dict) -> str:
    r = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / test)],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    return r.stdout.strip().splitlines()[-1] if r.returncode == 0 else "FAIL: " + r.stdout[-600:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--keep", default="")
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.envs.split(","):
            folder = Path(args.keep or tmp) / name
            python = make_env(folder, *ENVS[name])
            env = dict(os.environ, NUMBA_CACHE_DIR=str(folder / "numba-cache"))   # its numba's own cache
            versions = run([python, "-c", VERSIONS], env=env).split()
            nwb, snippets = pytest_summary(python, "test_nwb.py", env), pytest_summary(python, "test_ecosystem.py", env)
            failures += nwb.startswith("FAIL") + snippets.startswith("FAIL")
            print(f"{name}: Python {versions[0]}, " + ", ".join(
                f"{p} {v}" for p, v in zip(("hdmf-zarr", "pynwb", "hdmf", "zarr", "numcodecs", "numpy", "numba"),
                                           versions[1:], strict=True))
                  + f"\n  tests/test_nwb.py: {nwb}\n  tests/test_ecosystem.py: {snippets}", flush=True)
    print(f"{failures} failed runs")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
