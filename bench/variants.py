"""Generality: every level and WavPack on variants of each recording, not only on the recordings as they are.

    python bench/variants.py [DIR] [--levels fast,default,max] [--only NAME] [--no-wavpack]

DIR (default ../shared/multichannel) holds NAME.npy int16 (frames, channels). Each recording is coded
as it is and as five variants that no model was fitted to: amplitude x1/4 and x4 (rounded, clipped to
int16), decimated x2 (every other frame: the same signal at half the rate, aliasing included), every
other channel, and the middle half of the frames. Every stream is a real encode -> decode -> compare.

Printed per recording and variant: each level's ratio (raw int16 bytes / stream bytes); WavPack's
(`wavpack -hhx6 --blocksize=65536 --pair-unassigned-chans`, the strongest other codec measured, decoded
back by wvunpack and compared; skipped without wavpack on PATH) and each level over it; then the checks
the levels promise: per channel record, a level's record is at most its simpler level's plus a loop byte
wherever both streams link the channel alike ("order"), and the whole stream is no larger ("bytes").
"""
import argparse
import io
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spikey import codec, stream  # noqa: E402

WAVPACK = ["wavpack", "-q", "-y", "-hhx6", "--blocksize=65536", "--pair-unassigned-chans"]


def variants(x: np.ndarray) -> dict:
    wide = x.astype(np.float64)
    return {
        "as is": x,
        "amplitude x1/4": np.round(wide / 4).astype(np.int16),
        "amplitude x4": np.clip(wide * 4, -32768, 32767).astype(np.int16),
        "decimated x2": np.ascontiguousarray(x[::2]),
        "every other channel": np.ascontiguousarray(x[:, ::2]),
        "middle half": np.ascontiguousarray(x[len(x) // 4:len(x) // 4 + len(x) // 2]),
    }


def wavpack_ratio(x: np.ndarray, rate: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        src, wv, back = Path(tmp, "x.wav"), Path(tmp, "x.wv"), Path(tmp, "y.wav")
        with wave.open(str(src), "wb") as w:
            w.setnchannels(x.shape[1])
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(x.astype("<i2").tobytes())
        subprocess.run([*WAVPACK, str(src), "-o", str(wv)], check=True)
        subprocess.run(["wvunpack", "-q", "-y", str(wv), "-o", str(back)], check=True)
        with wave.open(str(back)) as w:
            if w.readframes(w.getnframes()) != x.astype("<i2").tobytes():
                raise SystemExit("WAVPACK ROUND TRIP FAILED")
        return x.nbytes / wv.stat().st_size


def records(data: bytes) -> tuple[list, list]:
    """(the header's refs, every block's channel records in order)."""
    s = codec.Opened(io.BytesIO(data), len(data))
    h = s.header
    out = []
    for i in range(h.n_blocks):
        a, b = h.block_span(i)
        out += stream.read_block(s.block_bytes(i), h, b - a)[0]
    return h.refs, out


def order_holds(simpler: bytes, level: bytes) -> bool:
    """Per record, level's is at most simpler's plus a loop byte wherever the channel's links agree."""
    (refs_a, recs_a), (refs_b, recs_b) = records(simpler), records(level)
    n = len(refs_a)
    return all(len(stream.write_channel(b)) <= len(stream.write_channel(a)) + 1
               for i, (a, b) in enumerate(zip(recs_a, recs_b, strict=True)) if refs_a[i % n] == refs_b[i % n])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "multichannel"))
    parser.add_argument("--levels", default="fast,default,max")
    parser.add_argument("--only", default="")
    parser.add_argument("--no-wavpack", action="store_true")
    args = parser.parse_args()
    levels = args.levels.split(",")
    print(f"{'recording':<18} {'variant':<20}" + "".join(f"{lv:>9}" for lv in levels)
          + ("" if args.no_wavpack else f"{'wavpack':>9}" + "".join(f"{lv + '/wv':>12}" for lv in levels))
          + "  order  bytes")
    failures = 0
    for path in sorted(Path(args.folder).glob("*.npy")):
        if args.only and args.only not in path.stem:
            continue
        meta = path.with_suffix(".json")
        rate = int(json.loads(meta.read_text()).get("sampling_rate_hz", 30000)) if meta.exists() else 30000
        for name, x in variants(np.load(path)).items():
            streams = {lv: codec.encode_samples(x, level=lv) for lv in levels}
            for data in streams.values():
                if not np.array_equal(codec.decode_samples(data), x):
                    raise SystemExit("LOSSLESS FAILURE")
            ratios = [x.nbytes / len(streams[lv]) for lv in levels]
            line = f"{path.stem:<18} {name:<20}" + "".join(f"{r:>9.4f}" for r in ratios)
            if not args.no_wavpack:
                wv = wavpack_ratio(x, rate)
                line += f"{wv:>9.4f}" + "".join(f"{r / wv:>12.3f}" for r in ratios)
            pairs = list(zip(levels, levels[1:], strict=False))     # each level after its simpler one
            order = all(order_holds(streams[a], streams[b]) for a, b in pairs)
            size = all(len(streams[b]) <= len(streams[a]) for a, b in pairs)
            failures += (not order) + (not size)
            print(line + f"  {'ok' if order else 'NO':>5}  {'ok' if size else 'NO':>5}", flush=True)
    print(f"{failures} failed checks")


if __name__ == "__main__":
    main()
