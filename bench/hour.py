"""A long recording through ./encode and ./decode: byte-exact round trip, wall time, peak memory.

    python bench/hour.py [DATA_DIR] [--minutes 60 | --samples FRAMES] [--channels 1] [--keep DIR]

Mono (the default): the folder's files' samples one after another, repeated until the recording holds
the frames asked for (default: one hour at 19531 Hz). --channels N: N different recordings of the folder
side by side, each repeated to the length. Either is written behind a canonical 44-byte header, a chunk
at a time. Each executable runs under /usr/bin/time, one at a time, so the figures are its own: elapsed
seconds and maximum resident memory (which must not grow with the length: the codec holds one block).
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

from spikey import SOURCE_HASH, containers, jit  # noqa: E402

RATE = 19531
CHUNK = 1 << 20      # frames written at a time


def _sources(files, channels):
    """Per channel, a function (a, b) -> its samples a..b of the endless recording."""
    recordings = [containers.read_recording(f)[1][:, 0] for f in files]
    if channels == 1:
        joined = np.concatenate(recordings)
        return [lambda a, b: np.take(joined, np.arange(a, b) % len(joined))]
    if len(recordings) < channels:
        sys.exit(f"--channels {channels} needs as many recordings; the folder has {len(recordings)}")
    return [lambda a, b, x=x: np.take(x, np.arange(a, b) % len(x)) for x in recordings[:channels]]


def build(data_dir: Path, frames: int, channels: int, path: Path) -> str:
    """Write the long WAV; returns its SHA-256."""
    files = sorted(data_dir.glob("*.wav"))
    if not files:
        sys.exit(f"no .wav files in {data_dir}")
    sources = _sources(files, channels)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        head = containers.wav.header(frames, channels, RATE)
        if head is None:
            sys.exit("too long for a WAV header")
        f.write(head)
        digest.update(head)
        for a in range(0, frames, CHUNK):
            b = min(a + CHUNK, frames)
            chunk = np.stack([src(a, b) for src in sources], axis=1).astype("<i2").tobytes()
            f.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


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
    length = ap.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="length in minutes at 19531 Hz (default 60)")
    length.add_argument("--samples", type=int, help="length in frames (samples per channel)")
    ap.add_argument("--channels", type=int, default=1, help="N recordings side by side (default 1: mono)")
    ap.add_argument("--keep", type=Path, help="folder for the files (default: a temporary one)")
    args = ap.parse_args()
    frames = args.samples if args.samples is not None else round((args.minutes or 60) * 60 * RATE)
    total = frames * args.channels
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        wav, bw, back = work / "long.wav", work / "long.brainwire", work / "long.back.wav"
        digest = build(Path(args.data), frames, args.channels, wav)
        enc_s, enc_mb = timed(ROOT / "encode", wav, bw)
        wav_size = wav.stat().st_size
        if not args.keep:
            wav.unlink()                   # the disk holds one long WAV at a time
        dec_s, dec_mb = timed(ROOT / "decode", bw, back)
        same = sha256_of(back) == digest
        packed = bw.stat().st_size
        print(f"{args.channels} channel(s) x {frames} frames ({frames / RATE / 60:.1f} min at {RATE} Hz), "
              f"{wav_size / 1e6:.1f} MB -> {packed / 1e6:.2f} MB (ratio {wav_size / packed:.3f}); "
              f"round trip {'exact' if same else 'FAILED'}")
        print(f"encode: {enc_s:.1f} s, {enc_s / total * 1e9:.0f} ns/sample, peak {enc_mb:.0f} MB "
              f"({enc_mb * 2**20 / total:.2f} B/sample)")
        print(f"decode: {dec_s:.1f} s, {dec_s / total * 1e9:.0f} ns/sample, peak {dec_mb:.0f} MB "
              f"({dec_mb * 2**20 / total:.2f} B/sample)")
        print(f"kernels: {'ahead-of-time build' if jit.AOT_BUILT else 'numba JIT (no ahead-of-time build)'} "
              f"for source {SOURCE_HASH}")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
