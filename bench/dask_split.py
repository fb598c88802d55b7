"""One long recording encoded on a Dask cluster of 1 and 2 workers: `spikey encode --scheduler`, which sends
the file's blocks to the workers (spikey/cluster.py; before, the file was one task, on one worker), and a
local `spikey encode -j 1`; every stream compared with the local one, byte for byte.

    python bench/dask_split.py [--minutes 30] [--source oe_cortex8] [--level fast] [--repeats 3]

The recording is a shared multichannel one tiled to the length asked, written under /tmp (a 30-minute
oe_cortex8 is 1.15 GB). Worker processes with one thread each; the kernels are whatever this checkout
runs (the ahead-of-time build where one is installed). Prints the median and the range of the cluster's
runs (the local run, the reference stream, once).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from distributed import Client, LocalCluster

from spikey import batch, jit

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "multichannel"


def long_recording(source: str, minutes: float, folder: Path) -> Path:
    """The source tiled to minutes of frames (rate from its .json), as a C-ordered .npy, made once."""
    import json
    rate = json.loads((SHARED / f"{source}.json").read_text())["sampling_rate_hz"]
    path = folder / f"{source}-{minutes:g}min.npy"
    if not path.exists():
        x = np.load(SHARED / f"{source}.npy")
        frames = int(minutes * 60 * rate)
        out = np.lib.format.open_memmap(path, mode="w+", dtype=x.dtype, shape=(frames, x.shape[1]))
        for start in range(0, frames, len(x)):
            out[start:start + len(x)] = x[:frames - start]
        out.flush()
        del out
    return path


def timed(run) -> float:
    start = time.perf_counter()
    status = run()
    if status:
        sys.exit(f"a run failed (exit status {status})")
    seconds = time.perf_counter() - start
    print(f"{seconds:.1f} s", flush=True)
    return seconds


def summary(name: str, seconds: list, nbytes: int, same: bool) -> str:
    median = statistics.median(seconds)
    return (f"| {name} | {median:.1f} s | {nbytes / median / 1e6:.1f} MB/s | {min(seconds):.1f}–{max(seconds):.1f} s "
            f"({len(seconds)} runs) | {'yes' if same else 'NO'} |")


def on_cluster(n_workers: int, rec: Path, out: Path, level: str, repeats: int) -> tuple:
    """(name, seconds, stream) of `spikey encode --scheduler` on a cluster of n_workers processes."""
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("spikey.codec"))       # workers start and import before the clock does
        at = cluster.scheduler_address
        seconds = [timed(lambda: batch.run("encode", [rec], out, force=True, scheduler=at, level=level))
                   for _ in range(repeats)]
    return (f"Dask, {n_workers} worker{'s' * (n_workers > 1)}, the file's blocks as tasks", seconds,
            (out / f"{rec.stem}.brainwire").read_bytes())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--source", default="oe_cortex8")
    parser.add_argument("--level", default="fast")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "spikey-dask-split"
    folder.mkdir(exist_ok=True)
    rec = long_recording(args.source, args.minutes, folder)
    nbytes = rec.stat().st_size
    print(f"{rec} ({nbytes / 1e9:.2f} GB), level {args.level}, kernels {jit.USE_AOT and 'ahead-of-time' or 'JIT'}, "
          f"{os.cpu_count()} cores", flush=True)
    out = folder / "local"
    seconds = timed(lambda: batch.run("encode", [rec], out, jobs=1, force=True, level=args.level))
    reference = (out / f"{rec.stem}.brainwire").read_bytes()
    rows = [("local `spikey encode -j 1`", [seconds], reference)]
    rows += [on_cluster(workers, rec, folder / f"dask-{workers}", args.level, args.repeats) for workers in (1, 2)]
    print(f"\nstream {len(reference):,} bytes, ratio {nbytes / len(reference):.3f}\n")
    print("| run | median | raw MB/s | range | stream = local run's |\n|---|---|---|---|---|")
    for name, seconds, data in rows:
        print(summary(name, seconds, nbytes, data == reference))


if __name__ == "__main__":
    main()
