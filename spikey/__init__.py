"""Spikey: lossless compression of raw neural electrode recordings."""
import hashlib
import os
from pathlib import Path

__version__ = "0.1.0"


class SpikeyError(Exception):
    """A refusal with a one-line reason: bad input, corrupt or foreign stream."""


def _source_hash() -> str:
    h = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


# Compiled kernels, cached by numba or built ahead of time, are keyed by a hash of every source file:
# numba invalidates a cached function only when its own file changes, not when a function it calls
# does, so without the key an upgrade could run stale code. The user's cache folder also works for
# read-only installs.
SOURCE_HASH = _source_hash()
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                             / "spikey" / f"numba-{SOURCE_HASH}"))
