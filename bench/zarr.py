"""Spikey inside zarr against the usual zarr codecs: ratio and encode/decode MB/s, 1 s chunks.

    python bench/zarr.py [--multichannel ../shared/multichannel] [--data ../shared/data] [--files 5]
                         [--seconds 1] [--only eegmmidb] [--levels default] [--threads 1]

Every recording is written into an in-memory zarr array with chunks (seconds x rate, channels) and read back
(byte-exact, checked); the ratio is raw int16 bytes / bytes of the chunks stored (metadata left out).
Codecs, --threads threads each (zarr's pool, and the codecs' own threads where they have them):
- spikey LEVEL: spikey.zarr.Spikey(level=LEVEL) as the v3 serializer, no compressor after it, for
  each of --levels (comma-separated: fast, default, max), side by side in one run;
- spikey LEVEL, one stream: the same recording as a single spikey.encode_samples stream (no zarr),
  the reference the chunked ratio must stay within 2% of;
- wavpack: wavpack-numcodecs level 4 as the v3 serializer (skipped unless installed; it builds only
  against a system libwavpack on glibc other than 2.35/2.39: apt-get install wavpack libwavpack-dev);
- flac: flac-numcodecs level 8 as a zarr v2-format compressor (it has no v3 form; skipped unless installed);
- blosc: Blosc zstd level 9 with bitshuffle after the plain bytes serializer (v3), a common default.
The challenge recordings (mono WAV, 19531 Hz) go in as (frames, 1) arrays.
"""
import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# This file is bench/zarr.py: take its folder off the path, or `import zarr` would import it.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import numcodecs  # noqa: E402
import zarr  # noqa: E402
from zarr.codecs import BloscCodec  # noqa: E402

from spikey import codec  # noqa: E402
from spikey.containers import read_recording  # noqa: E402
from spikey.zarr import Spikey  # noqa: E402

warnings.filterwarnings("ignore", module="wavpack_numcodecs")   # "multi-threading needs wavpack >= 5.6.4"


def codecs(levels: list, threads: int) -> dict:
    """name -> keyword arguments of zarr.create_array."""
    out = {f"spikey {level}": {"serializer": Spikey(level=level), "compressors": None} for level in levels}
    try:
        from wavpack_numcodecs import WavPack
        out["wavpack"] = {"serializer": WavPack(level=4, num_decoding_threads=threads), "compressors": None}
    except ImportError:
        print("wavpack-numcodecs is not installed: no WavPack row")
    try:
        from flac_numcodecs import Flac
        out["flac"] = {"compressors": Flac(level=8), "zarr_format": 2}
    except ImportError:
        print("flac-numcodecs is not installed: no FLAC row")
    out["blosc"] = {"compressors": BloscCodec(cname="zstd", clevel=9, shuffle="bitshuffle")}
    return out


def through_zarr(x: np.ndarray, frames: int, kwargs: dict) -> tuple[int, float, float]:
    """(bytes of the chunks stored, encode s, decode s) of x in chunks of that many frames (zarr pads
    the last one to the full length)."""
    stored = {}
    store = zarr.storage.MemoryStore(store_dict=stored)
    z = zarr.create_array(store, shape=x.shape, chunks=(min(frames, len(x)), x.shape[1]), dtype=x.dtype, **kwargs)
    t0 = time.perf_counter()
    z[:] = x
    t1 = time.perf_counter()
    y = zarr.open_array(store, mode="r")[:]
    t2 = time.perf_counter()
    if not np.array_equal(x, y):
        raise SystemExit(f"{kwargs}: the round trip through zarr is not exact")
    size = sum(len(v.to_bytes()) for k, v in stored.items() if k.split("/")[-1] not in
               ("zarr.json", ".zarray", ".zattrs", ".zgroup"))
    return size, t1 - t0, t2 - t1


def one_stream(x: np.ndarray, rate: int, level: str) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    data = codec.encode_samples(x, rate, level=level)
    t1 = time.perf_counter()
    y = codec.decode_samples(data)
    t2 = time.perf_counter()
    assert np.array_equal(x, y)
    return len(data), t1 - t0, t2 - t1


def recordings(multichannel: Path, data: Path, files: int):
    """(name, frames (T, C) int16, rate) for each multichannel .npy, then `files` challenge recordings."""
    for npy in sorted(multichannel.glob("*.npy")):
        meta = json.loads(npy.with_suffix(".json").read_text())
        yield npy.stem, np.load(npy), int(round(meta["sampling_rate_hz"]))
    for wav in sorted(data.glob("*.wav"))[:files]:
        layout, frames = read_recording(wav)
        yield f"challenge {wav.stem[:8]}", frames, layout.rate


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--multichannel", type=Path, default=ROOT.parent / "shared" / "multichannel")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--files", type=int, default=5, help="challenge recordings to take from --data")
    p.add_argument("--seconds", type=float, default=1.0, help="chunk length")
    p.add_argument("--only", default="", help="only recordings whose name contains this")
    p.add_argument("--threads", type=int, default=1, help="zarr's pool and the codecs' own threads")
    p.add_argument("--levels", default="default", help="Spikey's levels, comma-separated (fast, default, max)")
    args = p.parse_args()
    levels = args.levels.split(",")

    zarr.config.set({"threading.max_workers": args.threads, "async.concurrency": max(1, args.threads)})
    numcodecs.blosc.set_nthreads(args.threads)
    todo = codecs(levels, args.threads)
    rows = {}
    for level in levels:
        rows |= {f"spikey {level}": {}, f"spikey {level}, one stream": {}}
    rows |= {k: {} for k in todo if k not in rows}
    codec.encode_samples(np.zeros((64, 2), np.int16))          # compile the kernels outside the timings
    names, raw = [], {}
    for name, x, rate in recordings(args.multichannel, args.data, args.files):
        if args.only not in name:
            continue
        names.append(name)
        raw[name] = x.nbytes
        print(f"{name}: {x.shape[1]} ch x {x.shape[0]} frames, {rate} Hz", file=sys.stderr)
        for level in levels:
            rows[f"spikey {level}, one stream"][name] = one_stream(x, rate, level)
        for k, kwargs in todo.items():
            rows[k][name] = through_zarr(x, max(1, round(args.seconds * rate)), kwargs)

    challenge = [n for n in names if n.startswith("challenge")]
    columns = [n for n in names if n not in challenge] + ([f"challenge ×{len(challenge)}"] if challenge else [])

    def ratio(r, cols):
        return sum(raw[c] for c in cols) / sum(r[c][0] for c in cols)

    def mbs(r, i):
        return sum(raw.values()) / 1e6 / sum(v[i] for v in r.values())

    print(f"\n| codec | {' | '.join(columns)} | all | encode MB/s | decode MB/s |")
    print("|---|" + "---|" * (len(columns) + 3))
    for k, r in rows.items():
        cells = [f"{ratio(r, [c]):.3f}" for c in names if c not in challenge]
        if challenge:
            cells.append(f"{ratio(r, challenge):.3f}")
        print(f"| {k} | {' | '.join(cells)} | {ratio(r, names):.3f} | {mbs(r, 1):.1f} | {mbs(r, 2):.1f} |")
    for level in levels:
        def gap(cols, level=level):
            one, chunked = rows[f"spikey {level}, one stream"], rows[f"spikey {level}"]
            return f"{100 * (ratio(one, cols) / ratio(chunked, cols) - 1):+.1f}%"

        gaps = [f"{c} {gap([c])}" for c in names if c not in challenge]
        if challenge:
            gaps.append(f"challenge ×{len(challenge)} {gap(challenge)}")
        print(f"\nbytes of spikey {level} in {args.seconds:g} s zarr chunks over one stream: {', '.join(gaps)}")

if __name__ == "__main__":
    main()
