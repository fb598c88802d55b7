"""The coder's entry points, from the ahead-of-time build or from numba (see spikey/jit.py). Each lets go
of the GIL while it codes (nogil=True in the JIT, release_gil in the build), so threads code side by side."""
import importlib
import os
import sys

from spikey.jit import AOT_MODULE, USE_AOT


def _say_first_use():
    """The JIT compiles each kernel at its first call and caches it by source (spikey/__init__.py): where
    that cache does not exist yet, the first encode or decode pauses for tens of seconds, and says so."""
    cache = os.environ.get("NUMBA_CACHE_DIR", "")
    if cache and not os.path.isdir(cache):
        print(f"spikey: first use of this version here: compiling the coding kernels once (about 30 s a level; "
              f"cached in {cache}; `python -m spikey.aot` builds them ahead of time)", file=sys.stderr)


if USE_AOT:
    _aot = importlib.import_module(AOT_MODULE)
    encode_bins, decode_bins, encode_block = _aot.encode_bins, _aot.decode_bins, _aot.encode_block
    encode_fast, decode_fast = _aot.encode_fast, _aot.decode_fast
    encode_cascade, decode_cascade = _aot.encode_cascade, _aot.decode_cascade
    encode_fast_cascade, decode_fast_cascade = _aot.encode_fast_cascade, _aot.decode_fast_cascade
else:
    _say_first_use()
    from spikey.fastcascade import decode_fast_cascade, encode_fast_cascade  # noqa: F401
    from spikey.cascade import decode_cascade, encode_cascade  # noqa: F401
    from spikey.coder import decode_bins, encode_block, encode_bins  # noqa: F401
    from spikey.fastcoder import decode_fast, encode_fast  # noqa: F401

KIND = "ahead-of-time" if USE_AOT else "numba JIT"
