"""Decoder fuzzing: a hostile stream must be refused with SpikeyError or decode to its original file.

    python bench/fuzz.py [CASES] [SEED] [--max-samples N] [--save DIR]     (defaults: 10000 cases, seed 0)

Cases are random bytes, random bytes behind a valid stream prefix (SPKY, version, model id), and the
streams of a small corpus (every sample coding, canonical and kept headers, exceptions, chunks) mutated
by bit flips, byte overwrites, insertions (also of varint continuation bytes), deletions, truncation
and splices of two streams, or given a foreign model id or another version. Half of the damaged streams
get a recomputed trailing CRC-32 so that they pass the stream checksum and reach the deeper checks. Case i of a seed depends only on
(seed, i), so a failure is reproduced by its number. tests/test_robustness.py runs a few hundred cases.

A stream may declare up to 2^31 samples in a few bytes, legitimately (silence costs ~1e-6 bit a sample),
and decoding then takes time in proportion; a case that declares more than --max-samples is counted as a
bomb and not decoded.
"""
import argparse
import faulthandler
import random
import re
import struct
import sys
import time
import zlib
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SAMPLES, chunk, wav          # noqa: E402  (the tests' WAV builders)
from spikey import SpikeyError, codec, stream      # noqa: E402
from spikey.weights import adc_table               # noqa: E402

TIME_LIMIT_S = 5.0          # a case slower than this is a failure
HANG_S = 120                # a case still running after this dumps every thread's stack and exits
KINDS = ("random", "random-prefix", "bitflip", "overwrite", "insert", "delete", "truncate", "splice",
         "varint", "field", "foreign-model", "version")


@cache
def corpus() -> list[tuple[bytes, bytes]]:
    """(original WAV, stream) pairs covering every coding and container path, all small."""
    rng = np.random.default_rng(0)
    values = adc_table().values
    walk = values[np.clip(512 + np.cumsum(rng.integers(-3, 4, 3000)), 0, 1023)].astype(np.int16)
    off_grid = walk.copy()
    off_grid[[0, 5, 700, 2999]] = [1, -7, 12345, 3]
    smooth = (3000 * np.sin(np.arange(3000) / 50) + rng.normal(0, 20, 3000)).astype(np.int16)
    real = SAMPLES[0].read_bytes()[44:44 + 2 * 4000]
    wavs = [
        wav(walk),                                                              # ADC, canonical header
        wav(off_grid, before=chunk(b"LIST", b"INFOISFT" + b"spikey " * 20),     # ADC with exceptions,
            after=chunk(b"junk", b"z" * 9)),                                     # kept prefix and suffix
        wav(smooth),                                                            # identity coding
        wav(rng.integers(-32768, 32768, 500)),                                  # verbatim
        wav(b"\0\1" * 200, fmt=(1, 2, 16)),                                     # generic (stereo)
        wav([]),                                                                # no samples
        wav(real),                                                              # a real recording
        wav(walk[:999].tobytes() + b"\x07", riff_size=7),                       # odd length, lying size
    ]
    return [(raw, codec.encode(raw)) for raw in wavs]


def fix_crc(data: bytes) -> bytes:
    """Make the trailing CRC-32 valid again, as a deliberate forger would."""
    return data[:-4] + struct.pack("<I", zlib.crc32(data[:-4])) if len(data) >= 4 else data


def _position(rng: random.Random, n: int) -> int:
    """Half the damage lands in the first 48 bytes, where the header, varints and blobs are."""
    return rng.randrange(min(n, 48) if rng.random() < 0.5 else n) if n else 0


def _change_field(rng: random.Random, s: stream.Stream) -> stream.Stream:
    field = rng.choice(["n_samples", "sample_rate", "coding", "head", "prefix", "suffix", "exceptions",
                        "payload", "file_crc"])
    big = rng.choice([0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 31, rng.getrandbits(rng.randint(1, 32))])
    if field == "n_samples":
        s.n_samples = rng.choice([s.n_samples + rng.randint(-3, 3), big]) % (stream.MAX_SAMPLES + 1)
    elif field == "sample_rate":
        s.sample_rate = big
    elif field == "coding":
        s.coding = rng.randrange(4)
    elif field == "head":
        s.head = rng.randrange(256)
    elif field in ("prefix", "suffix", "payload"):
        old = getattr(s, field)
        cut = rng.randrange(len(old) + 1)
        setattr(s, field, rng.choice([old[:cut], old + rng.randbytes(rng.randint(1, 9)), rng.randbytes(cut)]))
    elif field == "exceptions":
        n = max(s.n_samples, 1)
        positions = sorted(rng.randrange(n + 2) for _ in range(rng.randint(0, 5)))
        s.exceptions = [(p, rng.randint(-32768, 32767)) for p in positions]
    else:
        s.file_crc = rng.getrandbits(32)
    return s


def make_case(seed: int, i: int):
    """Case i of a seed: (kind, stream bytes, the originals it may decode to)."""
    rng = random.Random(f"{seed}:{i}")
    kind = KINDS[rng.randrange(len(KINDS))]
    pairs = corpus()
    raw, data = pairs[rng.randrange(len(pairs))]
    originals = {raw}
    if kind == "random":
        return kind, rng.randbytes(rng.randrange(64 if rng.random() < 0.5 else 400)), set()
    if kind == "random-prefix":
        data = stream.MAGIC + bytes([stream.VERSION]) + codec.model_id() + rng.randbytes(rng.randrange(300))
        originals = set()
    elif kind == "bitflip":
        d = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            d[_position(rng, len(d))] ^= 1 << rng.randrange(8)
        data = bytes(d)
    elif kind == "overwrite":
        d = bytearray(data)
        d[_position(rng, len(d))] = rng.randrange(256)
        data = bytes(d)
    elif kind == "insert":
        p = _position(rng, len(data))
        data = data[:p] + rng.randbytes(rng.randint(1, 8)) + data[p:]
    elif kind == "delete":
        p = _position(rng, len(data))
        data = data[:p] + data[p + rng.randint(1, 8):]
    elif kind == "varint":           # continuation bytes: a count, rate or length grows by 7 bits each
        p = _position(rng, min(len(data), 48))
        data = data[:p] + bytes(0x80 | rng.randrange(128) for _ in range(rng.randint(1, 4))) + data[p:]
    elif kind == "field":            # a well-formed stream with one field changed: only deep checks see it
        data = stream.write(_change_field(rng, stream.read(data, codec.model_id())))
    elif kind == "truncate":
        data = data[:rng.randrange(len(data))]
    elif kind == "splice":
        raw2, data2 = pairs[rng.randrange(len(pairs))]
        data = data[:rng.randrange(len(data) + 1)] + data2[rng.randrange(len(data2) + 1):]
        originals.add(raw2)
    elif kind == "foreign-model":
        data = data[:5] + rng.randbytes(4) + data[9:]
    elif kind == "version":
        data = data[:4] + bytes([rng.choice([0, 2, 3, 255])]) + data[5:]
    if kind in ("foreign-model", "version") or rng.random() < 0.5:
        data = fix_crc(data)
    return kind, data, originals


def check(data: bytes, originals: set, max_samples: int) -> tuple[str, bool]:
    """Decode one case: (outcome, passed). Passing is a SpikeyError or exactly an original file."""
    try:
        declared = stream.read(data, codec.model_id()).n_samples
    except SpikeyError:
        declared = 0                 # codec.decode below refuses it the same way
    except Exception as e:           # noqa: BLE001 (any other exception is what we look for)
        return f"CRASH in stream.read: {type(e).__name__}: {e}", False
    if declared > max_samples:
        return "bomb: declares too many samples to decode here", True
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    start = time.perf_counter()
    try:
        out = codec.decode(data)
        outcome, ok = ("decoded the original", True) if out in originals else ("WRONG OUTPUT", False)
    except SpikeyError as e:
        outcome, ok = "refused: " + re.sub(r"\b[0-9a-f]{8}\b|\d+", "#", str(e)), True
    except Exception as e:           # noqa: BLE001
        outcome, ok = f"CRASH: {type(e).__name__}: {e}", False
    finally:
        faulthandler.cancel_dump_traceback_later()
    elapsed = time.perf_counter() - start
    if elapsed > TIME_LIMIT_S:
        return f"SLOW ({elapsed:.1f} s, {declared} samples declared): {outcome}", False
    return outcome, ok


def run(cases: int, seed: int, max_samples: int, save: Path | None = None, log=print):
    """Fuzz cases 0..cases-1 of a seed; returns (Counter of outcomes, list of failures, slowest case)."""
    outcomes, failures, slowest = Counter(), [], (0.0, None)
    for i in range(cases):
        kind, data, originals = make_case(seed, i)
        start = time.perf_counter()
        outcome, ok = check(data, originals, max_samples)
        slowest = max(slowest, (time.perf_counter() - start, f"case {i}, {kind}: {outcome}"))
        outcomes[outcome] += 1
        if not ok:
            failures.append((i, kind, outcome))
            log(f"FAIL case {i} ({kind}, {len(data)} bytes): {outcome}")
            if save:
                save.mkdir(parents=True, exist_ok=True)
                (save / f"seed{seed}-case{i}.brainwire").write_bytes(data)
    return outcomes, failures, slowest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", type=int, nargs="?", default=10000)
    ap.add_argument("seed", type=int, nargs="?", default=0)
    ap.add_argument("--max-samples", type=int, default=1 << 21,
                    help="decode only streams declaring at most this many samples (default 2^21)")
    ap.add_argument("--save", type=Path, help="write failing streams to this folder")
    args = ap.parse_args()
    codec.decode(corpus()[0][1])                  # compile or load the kernels before timing anything
    start = time.perf_counter()
    outcomes, failures, slowest = run(args.cases, args.seed, args.max_samples, args.save)
    elapsed = time.perf_counter() - start
    width = max(len(str(c)) for c in outcomes.values())
    for outcome, count in sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{count:>{width}}  {outcome}")
    print(f"slowest: {slowest[0]:.2f} s ({slowest[1]})")
    print(f"{args.cases} cases, seed {args.seed}, {elapsed:.1f} s: {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
