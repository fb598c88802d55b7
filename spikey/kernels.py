"""The coder's entry points, from the ahead-of-time build or from numba (see spikey/jit.py). Each lets go
of the GIL while it codes (nogil=True in the JIT, release_gil in the build), so threads code side by side."""
import importlib

from spikey.jit import AOT_MODULE, USE_AOT

if USE_AOT:
    _aot = importlib.import_module(AOT_MODULE)
    encode_bins, decode_bins, encode_block = _aot.encode_bins, _aot.decode_bins, _aot.encode_block
    encode_fast, decode_fast = _aot.encode_fast, _aot.decode_fast
    encode_cascade, decode_cascade = _aot.encode_cascade, _aot.decode_cascade
    encode_fast_cascade, decode_fast_cascade = _aot.encode_fast_cascade, _aot.decode_fast_cascade
else:
    from spikey.fastcascade import decode_fast_cascade, encode_fast_cascade  # noqa: F401
    from spikey.cascade import decode_cascade, encode_cascade  # noqa: F401
    from spikey.coder import decode_bins, encode_block, encode_bins  # noqa: F401
    from spikey.fastcoder import decode_fast, encode_fast  # noqa: F401

KIND = "ahead-of-time" if USE_AOT else "numba JIT"
