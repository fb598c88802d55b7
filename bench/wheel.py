"""First use from a built wheel: the wheel carries the compiled kernels (setup.py), so a fresh environment
codes at once, where the numba JIT compiles first; and Dask workers compile nothing.

    python bench/wheel.py [--keep DIR] [--jit]

Builds the wheel of this checkout (pip wheel --no-deps), installs it with distributed into a fresh venv
of this Python, then, each in a new process with an empty cache folder (XDG_CACHE_HOME, as on a machine
that never ran Spikey): the first encode_samples at each level, timed from the interpreter's start
(imports included), with what it wrote on stderr and which kernels ran; and a LocalCluster of 2 worker
processes encoding a chunk each, asked which kernels they ran and whether numba was imported. --jit
times the same first calls with the JIT (SPIKEY_KERNELS=jit), what an install without the build does.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = """
import json, sys, time
import numpy as np
import spikey
from spikey import kernels
x = np.cumsum(np.random.default_rng(0).normal(0, 20, (60_000, 4)), axis=0).astype(np.int16)
data = spikey.encode_samples(x, rate=30_000, level=sys.argv[1])
assert np.array_equal(spikey.decode_samples(data), x)
print(json.dumps({"kernels": kernels.KIND, "numba imported": "numba" in sys.modules}))
"""
WORKERS = """
import json, sys
import numpy as np
from distributed import Client, LocalCluster
if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\
            Client(cluster) as client:
        x = np.cumsum(np.random.default_rng(0).normal(0, 20, (60_000, 4)), axis=0).astype(np.int16)
        def encode(x):
            import spikey
            from spikey import kernels
            return len(spikey.encode_samples(x, level="default")), kernels.KIND, "numba" in sys.modules
        print(json.dumps(client.gather(client.map(encode, [x[:30_000], x[30_000:]], pure=False))))
"""


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def first_use(python: str, level: str, cache: Path, jit: bool) -> str:
    env = {"PATH": str(Path(python).parent), "HOME": str(cache), "XDG_CACHE_HOME": str(cache)}
    if jit:
        env["SPIKEY_KERNELS"] = "jit"
    start = time.perf_counter()
    r = run([python, "-c", FIRST, level], env=env, cwd=cache)
    seconds = time.perf_counter() - start
    said = r.stderr.strip().replace("\n", " / ") or "nothing"
    return f"{level}: {seconds:.1f} s, {json.loads(r.stdout)}, stderr: {said[:160]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", default="")
    parser.add_argument("--jit", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        start = time.perf_counter()
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder / "dist"), str(ROOT)])
        wheel = next((folder / "dist").glob("spikey_codec-*.whl"))
        print(f"built {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s")
        run([sys.executable, "-m", "venv", str(folder / "venv")])
        python = str(folder / "venv" / "bin" / "python")
        run([python, "-m", "pip", "install", "-q", str(wheel), "distributed"])
        for jit in (False, True) if args.jit else (False,):
            print("numba JIT (SPIKEY_KERNELS=jit):" if jit else "the wheel's kernels:")
            for level in ("fast", "default", "max"):
                cache = folder / f"cache-{jit}-{level}"
                cache.mkdir()
                print("  first encode_samples, fresh process and cache, " + first_use(python, level, cache, jit),
                      flush=True)
        cache = folder / "cache-workers"
        cache.mkdir()
        r = run([python, "-c", WORKERS], env={"PATH": str(Path(python).parent), "HOME": str(cache),
                                                "XDG_CACHE_HOME": str(cache)}, cwd=cache)
        print(f"Dask, 2 worker processes: (stream bytes, kernels, numba imported) each: {r.stdout.strip()}")


if __name__ == "__main__":
    main()
