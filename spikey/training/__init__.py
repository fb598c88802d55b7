"""Offline fitting of what the codec loads from weights/. Never imported by encode or decode.

Training compiles its own loops around the codec's numba functions, so it needs those functions as
numba functions: it runs with SPIKEY_KERNELS=jit, and must be imported before anything loads the
ahead-of-time kernels.
"""
import os
import sys

os.environ["SPIKEY_KERNELS"] = "jit"
if getattr(sys.modules.get("spikey.jit"), "USE_AOT", False):
    raise RuntimeError("spikey.training needs the numba JIT kernels: import it before the codec")
