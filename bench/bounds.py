"""Near-lossless over whole folders: every sample of every file within its bound, and the ratios.

    python bench/bounds.py ../shared/data --k 0,64,128 --levels default,fast
    python bench/bounds.py ../shared/multichannel --k 0,1,2,4,8,auto:0.5

Each file (a WAV, or an .npy with its .json's rate) is encoded with encode_samples(max_error=K), decoded
and compared: a sample outside the bound fails the run (exit 1). Prints per K and level: the ratio over
the folder (int16 bytes / stream bytes, all files together, as eval.sh scores), the largest error, the
RMS error, and for K = 0 that the decoded files are exact.
"""
import argparse
import io
import json
import os
import sys
import time

import numpy as np
from scipy.io import wavfile

from spikey import codec


def recordings(folder):
    """(name, samples (frames, channels) int16, rate) of each WAV or .npy in folder."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".wav"):
            rate, x = wavfile.read(path)
            yield name, x.reshape(len(x), -1), rate
        elif name.endswith(".npy"):
            meta = os.path.splitext(path)[0] + ".json"
            rate = json.load(open(meta)).get("rate", 0) if os.path.exists(meta) else 0
            yield name, np.load(path), rate


def run(folder, bounds, levels, limit):
    failed = 0
    files = list(recordings(folder))[:limit or None]
    print(f"{folder}: {len(files)} recordings")
    print("| level | max error | ratio | largest error | RMS error | seconds |")
    print("|---|---|---|---|---|---|")
    for level in levels:
        for k in bounds:
            raw = coded = 0
            largest, squares, samples = 0, 0.0, 0
            start = time.perf_counter()
            for name, x, rate in files:
                data = codec.encode_samples(x, round(rate), level=level, max_error=k)
                y = codec.decode_samples(data)
                error = np.abs(y.astype(np.int64).reshape(x.shape) - x).reshape(len(x), -1)
                bound = np.array(_bounds(data) or [0] * error.shape[1])
                if (error > bound).any() or (k in (0, "0") and bound.any()):
                    print(f"FAILED: {name} at {level}, max error {k}: errors {error.max(axis=0)} > bounds {bound}")
                    failed += 1
                raw += x.nbytes
                coded += len(data)
                largest = max(largest, int(error.max(initial=0)))
                squares += float((error.astype(np.float64) ** 2).sum())
                samples += error.size
            seconds = time.perf_counter() - start
            print(f"| {level} | {k} | {raw / coded:.4f} | {largest} | {np.sqrt(squares / max(samples, 1)):.3f} "
                  f"| {seconds:.0f} |", flush=True)
    return failed


def _bounds(data: bytes) -> list:
    """Each channel's bound as the stream states it (empty: lossless)."""
    return codec.Opened(io.BytesIO(data), len(data)).header.max_errors


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--k", default="0,64,128", help="bounds, comma-separated: whole numbers or auto:F")
    p.add_argument("--levels", default="default")
    p.add_argument("--limit", type=int, default=0, help="only the first N recordings (0: all)")
    a = p.parse_args()
    bounds = [int(k) if k.isdigit() else k for k in a.k.split(",")]
    failed = run(a.folder, bounds, a.levels.split(","), a.limit)
    print(f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
