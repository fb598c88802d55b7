"""Encode MB/s of each shared recording at a level, in-process, on a long form of each: the recording
repeated to at least FRAMES frames (default 500,000: two blocks of a few channels, where the search's
trials are an eighth of a block, as in hours of recording), median of RUNS encodes.

    python bench/encode_speed.py LEVEL [--frames 500000] [--runs 3] [MULTICHANNEL_DIR] [DATA_DIR]

Prints one JSON line: the kernels that ran, and per recording (as bench/decode_speed.py reads them; the
challenge files are encoded one by one, as ./encode does) [encode MB/s of int16, ratio, frames]. Every
stream is decoded and compared with the input.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
from decode_speed import inputs

from spikey import codec, kernels

ROOT = Path(__file__).resolve().parent.parent


def timed(parts: list, level: str, runs: int) -> tuple:
    """(median seconds, streams) of encoding every part."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        streams = [codec.encode_samples(x, level=level) for x in parts]
        times.append(time.perf_counter() - start)
    for x, s in zip(parts, streams, strict=True):
        if not np.array_equal(codec.decode_samples(s), x):
            raise SystemExit("LOSSLESS FAILURE")
    return float(np.median(times)), streams


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("level")
    ap.add_argument("multichannel", nargs="?", default=str(ROOT.parent / "shared" / "multichannel"))
    ap.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--frames", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    codec.encode_samples(np.zeros((100, 2), np.int16), level=a.level)        # load the kernels
    out = {}
    for name, x in inputs(a.multichannel, a.data, whole_files=True).items():
        if isinstance(x, list):      # challenge files, one stream each
            parts = x
        else:
            parts = [np.tile(x, (-(-a.frames // len(x)), 1))]
        seconds, streams = timed(parts, a.level, a.runs)
        size = sum(p.nbytes for p in parts)
        out[name] = [round(size / seconds / 1e6, 3), round(size / sum(map(len, streams)), 4), sum(map(len, parts))]
    print(json.dumps({"kernels": kernels.KIND, "level": a.level, "results": out}))


if __name__ == "__main__":
    main()
