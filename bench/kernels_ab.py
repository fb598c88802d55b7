"""Decode MB/s of two or more ahead-of-time kernel builds side by side, in one process, on the same calls.

    python bench/kernels_ab.py LEVEL BUILD.so BUILD.so [...] [--runs 7] [--multichannel DIR] [--data DIR]

Each recording (as bench/decode_speed.py chooses them) is encoded once at LEVEL and decoded once with this
checkout's kernels, recording every decode kernel call and its arguments; then each build makes the same
calls, the builds taking turns, RUNS times. Prints per recording each build's MB/s of int16 (its fastest
turn) and its time over the first build's. Turns in one process see the same machine load, so two
builds' ratio holds to about 1% here where separate processes differ by 15%. Each build's output is
compared with this checkout's: a build that decodes differently is refused.

To make a build of another commit: check it out elsewhere, `python -m spikey.aot` there, and name the
`spikey/_kernels_*.so` it wrote (its name holds that source's hash, so builds of different sources
load side by side).
"""
import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
from decode_speed import inputs

from spikey import codec, kernels

ROOT = Path(__file__).resolve().parent.parent
DECODERS = ("decode_bins", "decode_cascade", "decode_fast", "decode_fast_cascade")


def load(path: str):
    name = Path(path).name.split(".")[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_calls(stream: bytes) -> list:
    """[(kernel name, arguments, output)] of every decode kernel call decoding the stream."""
    calls = []
    originals = {name: getattr(kernels, name) for name in DECODERS}

    def recording(name):
        def call(*args):
            out = originals[name](*args)
            calls.append((name, args, out))
            return out
        return call

    try:
        for name in DECODERS:
            setattr(kernels, name, recording(name))
        codec.decode_samples(stream)
    finally:
        for name, f in originals.items():
            setattr(kernels, name, f)
    return calls


def main():
    p = argparse.ArgumentParser()
    p.add_argument("level")
    p.add_argument("builds", nargs="+")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--multichannel", default=str(ROOT.parent / "shared" / "multichannel"))
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    a = p.parse_args()
    builds = {Path(b).name.split(".")[0]: load(b) for b in a.builds}
    print(f"level {a.level}; builds: {', '.join(builds)}; fastest of {a.runs} turns")
    for name, x in inputs(a.multichannel, a.data).items():
        calls = recorded_calls(codec.encode_samples(x, level=a.level))
        best = {b: float("inf") for b in builds}
        for _ in range(a.runs):
            for b, module in builds.items():
                start = time.perf_counter()
                outs = [getattr(module, k)(*args) for k, args, _ in calls]
                best[b] = min(best[b], time.perf_counter() - start)
                if not all(np.array_equal(o, want) for o, (_, _, want) in zip(outs, calls, strict=True)):
                    raise SystemExit(f"{b} decodes {name} differently from this checkout")
        first = best[next(iter(builds))]
        cells = (f"{b}: {x.nbytes / t / 1e6:6.2f} MB/s ({t / first:.3f})" for b, t in best.items())
        print(f"{name:20s}", "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
