"""Spikey: lossless compression of raw neural electrode recordings."""
import hashlib
import os
from pathlib import Path

__version__ = "0.1.0"


class SpikeyError(Exception):
    """A refusal with a one-line reason: bad input, corrupt or foreign stream."""


def _numba_cache_dir() -> str:
    """A compiled-kernel cache keyed by the kernels' source.

    numba invalidates a cached function only when its own file changes, not when a function it calls
    does, so a shared cache could run stale code after an upgrade. Keying the folder by a hash of every
    source file rules that out, and keeping it in the user's cache folder works for read-only installs.
    """
    h = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return str(base / "spikey" / f"numba-{h.hexdigest()[:12]}")


os.environ.setdefault("NUMBA_CACHE_DIR", _numba_cache_dir())
