"""Block span: what restarting every channel's predictor at each block costs, streams only.

    python bench/spans.py [--data ../shared/data] [--multichannel ../shared/multichannel]

Each recording is coded through codec.encode_samples with the span forced to each value, decoded and
compared; eight challenge recordings are joined one after another so that a long mono recording has
restarts to pay for. Prints ratios (raw int16 bytes / stream bytes).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spikey import codec  # noqa: E402
from spikey.containers import read_recording  # noqa: E402

SPANS = [1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 20]


def ratio(x: np.ndarray, span: int) -> float:
    codec.MAX_BLOCK_FRAMES = span
    data = codec.encode_samples(x)
    if not np.array_equal(codec.decode_samples(data), x):
        raise SystemExit("LOSSLESS FAILURE")
    return x.nbytes / len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--multichannel", type=Path, default=ROOT.parent / "shared" / "multichannel")
    args = ap.parse_args()
    recordings = {"challenge x8": np.concatenate([read_recording(f)[1] for f in sorted(args.data.glob("*.wav"))[:8]])}
    recordings |= {p.stem: np.load(p) for p in sorted(args.multichannel.glob("*.npy"))}
    print(f"{'block_frames':>12}  " + "  ".join(f"{k:>16}" for k in recordings))
    for span in SPANS:
        print(f"{span:>12}  " + "  ".join(f"{ratio(x, span):>16.4f}" for x in recordings.values()), flush=True)


if __name__ == "__main__":
    main()
