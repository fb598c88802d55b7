"""Spikey: lossless compression of raw neural electrode recordings."""
import hashlib
import os

__version__ = "0.3.0"          # writes stream format 3


class SpikeyError(Exception):
    """A refusal with a one-line reason: bad input, corrupt or foreign stream."""


# The modules the compiled kernels are made of: spikey/aot.py's exports and every spikey module they
# import (tests/test_kernels.py checks the list against the imports).
KERNEL_SOURCES = ("aot.py", "cascade.py", "coder.py", "contextscale.py", "dense.py", "distribution.py",
                  "fastcascade.py", "fastcoder.py", "jit.py", "middleout.py", "network.py", "nlms.py", "npz.py",
                  "predictor.py", "rangecoder.py", "warp.py")


def _source_hash() -> str:
    h = hashlib.sha1()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in KERNEL_SOURCES:
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


# Compiled kernels, cached by numba or built ahead of time, are keyed by a hash of their sources:
# numba invalidates a cached function only when its own file changes, not when a function it calls
# does, so without the key an upgrade could run stale code (editing the CLI leaves them valid). The
# user's cache folder also works for read-only installs. (os.path rather than pathlib: this runs in
# every per-file process.)
SOURCE_HASH = _source_hash()
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                                      "spikey", f"numba-{SOURCE_HASH}"))


def __getattr__(name):
    """spikey.encode_samples and spikey.decode_samples, imported on first use: a per-file process
    that never calls them does not pay for the codec's imports here."""
    if name in ("encode_samples", "decode_samples"):
        from spikey import codec
        return getattr(codec, name)
    raise AttributeError(f"module 'spikey' has no attribute {name!r}")
