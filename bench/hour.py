"""An hour-long recording through ./encode and ./decode: byte-exact round trip, wall time, peak memory.

    python bench/hour.py [DATA_DIR] [--samples 70312500] [--keep DIR]

The recording is the folder's files' samples one after another, repeated until it holds --samples
(default: one hour at 19531 Hz), behind a canonical 44-byte header. Each executable runs under
/usr/bin/time, one at a time, so the figures are its own: elapsed seconds and maximum resident memory.
"""
import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spikey import container  # noqa: E402

RATE = 19531


def build(data_dir: Path, n: int, path: Path) -> str:
    """Write the long WAV; returns its SHA-256."""
    out = np.empty(n, dtype="<i2")
    filled = 0
    files = sorted(data_dir.glob("*.wav"))
    if not files:
        sys.exit(f"no .wav files in {data_dir}")
    while filled < n:
        for f in files:
            x = container.parse(f.read_bytes()).samples
            take = min(len(x), n - filled)
            out[filled:filled + take] = x[:take]
            filled += take
            if filled == n:
                break
    raw = container.canonical_header(n, RATE) + out.tobytes()
    path.write_bytes(raw)
    return hashlib.sha256(raw).hexdigest()


def timed(*args):
    """(seconds, peak resident MB) of one command, which must succeed."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", *map(str, args)], capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{args[0]} failed: {r.stderr.strip()}")
    seconds, kb = r.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kb) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--samples", type=int, default=RATE * 3600)
    ap.add_argument("--keep", type=Path, help="folder for the files (default: a temporary one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        wav, bw, back = work / "hour.wav", work / "hour.brainwire", work / "hour.back.wav"
        digest = build(Path(args.data), args.samples, wav)
        enc_s, enc_mb = timed(ROOT / "encode", wav, bw)
        dec_s, dec_mb = timed(ROOT / "decode", bw, back)
        same = hashlib.sha256(back.read_bytes()).hexdigest() == digest
        size, packed = wav.stat().st_size, bw.stat().st_size
        print(f"{args.samples} samples ({args.samples / RATE / 60:.1f} min), {size / 1e6:.1f} MB -> "
              f"{packed / 1e6:.2f} MB (ratio {size / packed:.3f}); round trip {'exact' if same else 'FAILED'}")
        print(f"encode: {enc_s:.1f} s, {enc_s / args.samples * 1e9:.0f} ns/sample, peak {enc_mb:.0f} MB "
              f"({enc_mb * 2**20 / args.samples:.1f} B/sample)")
        print(f"decode: {dec_s:.1f} s, {dec_s / args.samples * 1e9:.0f} ns/sample, peak {dec_mb:.0f} MB "
              f"({dec_mb * 2**20 / args.samples:.1f} B/sample)")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
