"""The compiler of the hot loops: numba's njit, or none when the ahead-of-time kernels run them.

SPIKEY_KERNELS=jit|aot|auto (default auto: the ahead-of-time build when one exists for this exact
source, else the JIT). With the ahead-of-time kernels nothing imports numba, which is what makes a
one-file process start fast; the decorated functions then stay plain Python and are never called on
the hot path. Both give the same bytes (tests/test_kernels.py).
"""
import importlib.util
import os

from spikey import SOURCE_HASH, SpikeyError

AOT_MODULE = f"spikey._kernels_{SOURCE_HASH}"
MODE = os.environ.get("SPIKEY_KERNELS", "auto")
if MODE not in ("auto", "aot", "jit"):
    raise SpikeyError(f"SPIKEY_KERNELS must be auto, aot or jit, not {MODE!r}")
AOT_BUILT = importlib.util.find_spec(AOT_MODULE) is not None
if MODE == "aot" and not AOT_BUILT:
    raise SpikeyError("SPIKEY_KERNELS=aot but no ahead-of-time build for this source: run python -m spikey.aot")
USE_AOT = MODE == "aot" or (MODE == "auto" and AOT_BUILT)

if USE_AOT:
    def njit(*args, **options):
        return args[0] if args and callable(args[0]) else (lambda f: f)
else:
    from numba import njit  # noqa: F401
