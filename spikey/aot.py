"""Build the coder's kernels ahead of time: python -m spikey.aot

numba's pycc compiles the very functions the JIT runs (coder.encode_bins/decode_bins, the
streaming encoder's encode_block, and all they call) into an extension module named after the source
hash, for this machine's CPU. Run it after installing or changing the code; a stale build is never
loaded, because its name no longer matches.
It also writes the package's bytecode, which a per-file process would otherwise compile at every start
where Python is told not to write it (PYTHONDONTWRITEBYTECODE).
"""
import compileall
import os
import sys
from pathlib import Path

os.environ["SPIKEY_KERNELS"] = "jit"   # compile from the numba functions, whatever is built already

from numba.pycc import CC  # noqa: E402
from numba.pycc import compiler as pycc_compiler  # noqa: E402

from spikey import SOURCE_HASH, cascade, coder, fastcascade, fastcoder  # noqa: E402

# Contiguous arrays (::1): with any-layout ones, LLVM cannot vectorise the head and the RLS update.
HEAD = "f8[:, ::1], f8[::1], f8[:, ::1], f8[:, ::1], f8[::1]"     # w1, b1, wr, w2, b2
SIGNATURES = {
    "encode_bins": f"u1[::1](i4[::1], f8[:, ::1], f8[:, ::1], f8[::1], f8[::1], i8[::1], f8, f8, {HEAD}, f8[::1])",
    "decode_bins": f"i4[::1](u1[::1], i8, f8[:, ::1], f8[:, ::1], f8[::1], f8[::1], i4[::1], i8[::1], f8, f8, {HEAD}, "
                   "f8[::1])",
    "encode_block": f"none(i4[::1], f8[:, ::1], f8[:, ::1], f8[::1], f8[::1], i8[::1], f8, {HEAD}, f8[::1], i8[::1], "
                    "u1[::1], f8[::1])",
    "encode_fast": "u1[::1](i4[::1], i8[::1], i8[::1], i8[:, ::1])",
    "decode_fast": "i4[::1](u1[::1], i8, i8[::1], i8[::1], i8[::1], i4[::1], i8[:, ::1])",
    "encode_cascade": f"u1[::1](i4[::1], f8[:, ::1], f8[::1], f8[::1], f8[::1], i8[::1], {HEAD}, i8, f8[::1])",
    "decode_cascade": f"i4[::1](u1[::1], i8, f8[:, ::1], f8[::1], f8[::1], f8[::1], i4[::1], i8[::1], {HEAD}, i8, "
                      "f8[::1])",
}
SIGNATURES["encode_fast_cascade"] = SIGNATURES["encode_fast"][:-1] + ", i8)"      # and the stage's step_bits
SIGNATURES["decode_fast_cascade"] = SIGNATURES["decode_fast"][:-1] + ", i8)"
MODULES = {"encode_bins": coder, "decode_bins": coder, "encode_block": coder,
           "encode_fast": fastcoder, "decode_fast": fastcoder, "encode_cascade": cascade, "decode_cascade": cascade,
           "encode_fast_cascade": fastcascade, "decode_fast_cascade": fastcascade}


class _ReleasingGil(pycc_compiler.Flags):
    """pycc compiles every export with a plain Flags(), whose wrappers hold the GIL while the loop
    runs; the kernels touch no Python object, so they let go of it as the JIT's (nogil=True) do, and
    zarr's or Dask's threads decode chunks side by side."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.release_gil = True


def build(out_dir=Path(__file__).resolve().parent, cpu="host"):
    """The kernels module, compiled into out_dir for the CPU named (LLVM's name: host, this machine's; a
    wheel for others wants a baseline such as x86-64-v2: setup.py's SPIKEY_AOT_CPU)."""
    out_dir = Path(out_dir)
    pycc_compiler.Flags = _ReleasingGil
    for old in out_dir.glob("_kernels_*"):
        old.unlink()
    cc = CC(f"_kernels_{SOURCE_HASH}")
    cc.output_dir = str(out_dir)
    cc.target_cpu = cpu
    for name, signature in SIGNATURES.items():
        cc.export(name, signature)(getattr(MODULES[name], name).py_func)
    cc.compile()
    compileall.compile_dir(out_dir, quiet=1)
    return next(out_dir.glob(f"_kernels_{SOURCE_HASH}*"))


if __name__ == "__main__":
    print(f"built {build()}", file=sys.stderr)
