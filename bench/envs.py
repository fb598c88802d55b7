"""Byte-identical streams across interpreters and numpy/numba versions: the proof behind pyproject's ranges.

    python bench/envs.py [--envs oldest,newest] [--keep DIR]

Each environment is a fresh venv of a pyenv interpreter with pinned numpy, numba and typer (and this
checkout, installed without its dependencies); in it, with the numba JIT, every shared multichannel
recording and every 30th challenge file are coded at every level (max on a subset: it is slow), each stream
decoded and compared, and its SHA-256 taken; the golden-stream test and the CLI's tests run there too. The
hashes must equal those of the interpreter running this script. Minutes per environment (installs, JIT).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVS = {   # name: (python, numpy, numba, typer): the oldest and newest of what pyproject allows
    "oldest": ("3.10.13", "2.0.2", "0.60.0", "0.13.1"),
    "newest": ("3.13.0", "2.4.6", "0.68.1", "0.29.2"),
}
HASHES = r"""
import glob, hashlib, json, sys
from pathlib import Path
import numpy as np
from spikey import codec
shared = Path(sys.argv[1])
inputs = {p.stem: np.load(p) for p in sorted((shared / "multichannel").glob("*.npy"))}
wavs = sorted((shared / "data").glob("*.wav"))[::30]
out = {}
for level in ("fast", "default", "max"):
    for name, x in inputs.items():
        if level == "max" and x.size > 200_000:
            continue
        data = codec.encode_samples(x, level=level)
        assert np.array_equal(codec.decode_samples(data), x), name
        out[f"{level} {name}"] = hashlib.sha256(data).hexdigest()[:16]
    for wav in wavs[:5] if level == "max" else wavs:
        raw = wav.read_bytes()
        data = codec.encode(raw, level=level)
        assert codec.decode(data) == raw, wav.name
        out[f"{level} {wav.stem}"] = hashlib.sha256(data).hexdigest()[:16]
print(json.dumps(out))
"""


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def hashes(python: str, env: dict) -> dict:
    out = run([python, "-c", HASHES, str(ROOT.parent / "shared")], env=env, cwd=tempfile.gettempdir())
    return json.loads(out.strip().splitlines()[-1])


def make_env(folder: Path, version: str, numpy: str, numba: str, typer: str) -> str:
    interpreter = Path(run(["pyenv", "root"]).strip()) / "versions" / version / "bin" / "python3"
    run([str(interpreter), "-m", "venv", str(folder)])
    python = str(folder / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", f"numpy=={numpy}", f"numba=={numba}", f"typer=={typer}", "pytest"])
    run([python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)])
    return python


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--keep", default="")
    args = parser.parse_args()
    env = dict(os.environ, SPIKEY_KERNELS="jit")
    reference = hashes(sys.executable, env)
    print(f"reference: Python {sys.version.split()[0]}, numpy {__import__('numpy').__version__}, numba "
          f"{__import__('numba').__version__}: {len(reference)} streams, digest "
          f"{hashlib.sha256(json.dumps(reference, sort_keys=True).encode()).hexdigest()[:16]}", flush=True)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.envs.split(","):
            version, numpy, numba, typer = ENVS[name]
            folder = Path(args.keep or tmp) / name
            python = make_env(folder, version, numpy, numba, typer)
            # its own numba cache: a cache written by another numba must not be read
            local = dict(env, NUMBA_CACHE_DIR=str(folder / "numba-cache"))
            got = hashes(python, local)
            local["PATH"] = f"{folder / 'bin'}{os.pathsep}{local['PATH']}"      # the CLI tests run its spikey
            golden = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "golden or test_cli",
                                     str(ROOT / "tests" / "test_stream.py"), str(ROOT / "tests" / "test_cli.py")],
                                    capture_output=True, text=True, env=local, cwd=ROOT)
            differ = sorted(k for k in reference if got.get(k) != reference[k])
            failures += bool(differ) + (golden.returncode != 0)
            print(f"{name}: Python {version}, numpy {numpy}, numba {numba}, typer {typer}: {len(got)} streams, "
                  f"{len(differ)} differ{(' (' + ', '.join(differ[:5]) + ')') if differ else ''}; golden streams and "
                  f"CLI tests {'pass' if golden.returncode == 0 else 'FAIL: ' + golden.stdout[-300:]}", flush=True)
    print(f"{failures} failed environments")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
