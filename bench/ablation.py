"""What each stage of the model buys, per recording: bits/sample of real streams, one stage added a row.

    python bench/ablation.py [DIR] [--only NAME]

DIR (default ../shared/multichannel) holds NAME.npy int16 (frames, channels). Each row is the default
level with its search narrowed to some loops and heads (links as the default level makes them), coded
encode -> decode -> compare; bits/sample = 16 / ratio, stream bytes included. Rows, cumulative:
- RLS alone: loop 0 (order 16, variance scale), no learned head;
- + head: loop 0 with the learned head where it pays (the model before the cascade);
- cascade, robust scale: loop 3 alone (RLS 8 -> NLMS 16 -> mean-absolute-error scale), no head;
- + two stages: loops 3 and 5 (a first stage of 32 taps before the 16), the encoder choosing;
- + head: the same with the learned head where it pays;
- + context scale: loop 8 too (loop 3 with the context scale), the encoder choosing;
- + refs' context: loop 13 too (loop 8 with the context's cells by the refs' surprise), on linked records;
- + warp: loops 15 and 17 too (loops 8 and 13 with the Gaussian warped, spikey/warp.py);
- + the fast loops and RLS: the default level as it is (loops 0, 3, 5, 15, 17, and fast's 1, 7 and 12);
- max: the max level as it is (RLS 16 shapes, MiddleOut, the LSTM head, more refs).
"""
import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spikey import codec, profiles  # noqa: E402
from spikey.profiles import C8, C8C, C8CW, C8R, C8RW, C8X2, RLS  # noqa: E402

DEFAULT = profiles.PROFILES[0]
ROWS = {
    "RLS alone": replace(DEFAULT, loops=(RLS,), heads=False, simpler=None),
    "+ head": replace(DEFAULT, loops=(RLS,), simpler=None),
    "cascade, robust scale": replace(DEFAULT, loops=(C8,), heads=False, simpler=None),
    "+ two stages": replace(DEFAULT, loops=(C8, C8X2), heads=False, simpler=None),
    "+ head ": replace(DEFAULT, loops=(C8, C8X2), simpler=None),
    "+ context scale": replace(DEFAULT, loops=(C8, C8X2, C8C), simpler=None),
    "+ refs' context": replace(DEFAULT, loops=(C8, C8X2, C8C, C8R), simpler=None),
    "+ warp": replace(DEFAULT, loops=(C8, C8X2, C8C, C8R, C8CW, C8RW), simpler=None),
    "+ the fast loops and RLS (default)": DEFAULT,
}


def bits(x: np.ndarray, profile=None, level="default") -> float:
    """Encoded and decoded with the default row replaced by profile: a row whose own loop is not the
    default's makes streams that only this replaced table decodes (an experiment, not the format)."""
    saved = profiles.PROFILES
    if profile is not None:
        profiles.PROFILES = (profile, *saved[1:])
    try:
        data = codec.encode_samples(x, level=level)
        if not np.array_equal(codec.decode_samples(data), x):
            raise SystemExit("LOSSLESS FAILURE")
    finally:
        profiles.PROFILES = saved
    return 8 * len(data) / x.size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "multichannel"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    recordings = {p.stem: np.load(p) for p in sorted(Path(args.folder).glob("*.npy")) if args.only in p.stem}
    print("bits/sample of real streams (16 / ratio)")
    print(f"{'':<36}" + "".join(f"{name[:16]:>18}" for name in recordings))
    for row, profile in ROWS.items():
        print(f"{row:<36}" + "".join(f"{bits(x, profile):>18.4f}" for x in recordings.values()), flush=True)
    print(f"{'max':<36}" + "".join(f"{bits(x, level='max'):>18.4f}" for x in recordings.values()), flush=True)


if __name__ == "__main__":
    main()
