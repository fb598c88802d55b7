"""What each part of the multi-channel model buys, per recording: real encode -> decode -> compare.

    python bench/crosschannel.py [DIR]        (default: ../shared/multichannel; NAME.npy int16 (frames, channels))

Rows: each channel alone with the learned head always on (the model before cross-channel work); + the
encoder may drop the head on code sets other than the ADC's; + links to up to 4 earlier channels (the
default level); the max level (8 links from |r| 0.05, options judged on whole blocks, the LSTM head
as well, MiddleOut), and before it without MiddleOut and with the default's |r| 0.2; the fast level
without and with its links (integer taps on 4 earlier channels' differences). Then the links
the default level found in each recording, and ns/sample of encoding and decoding at each level.
"""
import io
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spikey import codec, kernels, profiles  # noqa: E402

DEFAULT = profiles.PROFILES[0]
NO_MIDDLEOUT = tuple(loop for loop in profiles.PROFILES[2].loops if loop != profiles.MIDDLEOUT)
VARIANTS = {
    "channels alone, head always": replace(DEFAULT, max_refs=0, no_head=False),
    "+ no head where it pays": replace(DEFAULT, max_refs=0),
    "+ links to 4 earlier channels (default)": DEFAULT,
    "max, links from |r| 0.2, no MiddleOut": replace(profiles.PROFILES[2], min_r=0.2, loops=NO_MIDDLEOUT),
    "max, no MiddleOut": replace(profiles.PROFILES[2], loops=NO_MIDDLEOUT),
    "max level": profiles.PROFILES[2],
    "fast level, channels alone": replace(profiles.PROFILES[1], max_refs=0),
    "fast level (links to 4 earlier channels)": profiles.PROFILES[1],
}


def coded(x, profile):
    """(stream bytes, encode s, decode s) with the default row of the level table replaced by profile."""
    saved = profiles.PROFILES
    profiles.PROFILES = (profile, *saved[1:])
    try:
        start = time.perf_counter()
        data = codec.encode_samples(x)
        encode_s = time.perf_counter() - start
        start = time.perf_counter()
        back = codec.decode_samples(data)
        decode_s = time.perf_counter() - start
    finally:
        profiles.PROFILES = saved
    if not np.array_equal(back, x):
        raise SystemExit("LOSSLESS FAILURE")
    return data, encode_s, decode_s


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "multichannel"
    recordings = {p.stem: np.load(p) for p in sorted(folder.glob("*.npy"))}
    print(f"kernels: {kernels.KIND}; ratio = raw int16 bytes / stream bytes")
    print(f"{'':<42}" + "".join(f"{k:>18}" for k in recordings))
    streams = {}
    for label, profile in VARIANTS.items():
        row = {k: coded(x, profile) for k, x in recordings.items()}
        streams[label] = row
        ratios = (recordings[k].nbytes / len(r[0]) for k, r in row.items())
        print(f"{label:<42}" + "".join(f"{v:>18.4f}" for v in ratios), flush=True)
    print("\nlinks the default level found (channel: refs)")
    for k, (data, _, _) in streams["+ links to 4 earlier channels (default)"].items():
        h = codec.Opened(io.BytesIO(data), len(data)).header
        linked = {c: r for c, r in enumerate(h.refs) if r}
        shown = ", ".join(f"{c}: {r}" for c, r in list(linked.items())[:6]) + (" ..." if len(linked) > 6 else "")
        print(f"  {k:<20} {len(linked)} of {h.channels} channels linked; {shown or 'none'}")
    print("\nns/sample, encode / decode (one process, the samples API; includes trials)")
    for label in ("+ links to 4 earlier channels (default)", "max level", "fast level, channels alone",
                  "fast level (links to 4 earlier channels)"):
        cells = [f"{r[1] / x.size * 1e9:7.0f} / {r[2] / x.size * 1e9:5.0f}"
                 for (k, r), x in zip(streams[label].items(), recordings.values(), strict=True)]
        print(f"{label:<42}" + "".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
