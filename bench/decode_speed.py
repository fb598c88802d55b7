"""Decode MB/s of each shared recording's stream at a level, in-process, median of 5 decodes.

    python bench/decode_speed.py LEVEL [MULTICHANNEL_DIR] [DATA_DIR]

Prints one JSON line: the kernels that ran, and per recording (every NAME.npy of MULTICHANNEL_DIR, and every
50th challenge WAV of DATA_DIR as one mono array) [decode MB/s of int16, ratio]. Every decode is compared
with the input. To compare two commits, run it from a checkout of each in turn, alternating, with
PYTHONPATH set to that checkout (each with its own `python -m spikey.aot` build), and take medians.
"""
import glob
import json
import sys
import time
import wave
from pathlib import Path

import numpy as np

from spikey import codec, kernels

ROOT = Path(__file__).resolve().parent.parent


def inputs(multichannel: str, data: str, whole_files: bool = False) -> dict:
    """Each NAME.npy of multichannel, and every 50th challenge WAV of data: one array, or (whole_files)
    the list of the files' arrays."""
    out = {Path(p).stem: np.load(p) for p in sorted(glob.glob(f"{multichannel}/*.npy"))}
    parts = []
    for f in sorted(glob.glob(f"{data}/*.wav"))[::50]:
        with wave.open(f) as w:
            parts.append(np.frombuffer(w.readframes(w.getnframes()), "<i2"))
    if parts:
        out[f"challenge x{len(parts)}"] = parts if whole_files else np.concatenate(parts)
    return out


def main():
    level = sys.argv[1]
    multichannel = sys.argv[2] if len(sys.argv) > 2 else str(ROOT.parent / "shared" / "multichannel")
    data = sys.argv[3] if len(sys.argv) > 3 else str(ROOT.parent / "shared" / "data")
    out = {}
    for name, x in inputs(multichannel, data).items():
        stream = codec.encode_samples(x, level=level)
        codec.decode_samples(stream)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            back = codec.decode_samples(stream)
            times.append(time.perf_counter() - start)
        if not np.array_equal(back, x):
            raise SystemExit("LOSSLESS FAILURE")
        out[name] = [round(x.nbytes / np.median(times) / 1e6, 2), round(x.nbytes / len(stream), 4)]
    print(json.dumps({"kernels": kernels.KIND, "level": level, "results": out}))


if __name__ == "__main__":
    main()
