"""Vector-matrix products laid out for the compiler: out = init + v @ M, each sum in row order.

The RLS gain (P h, 8 to 40 columns) and the heads' layers (16 or 128 columns) are a vector times a small
matrix. Accumulated in memory one row at a time (out[c] += v[r] * M[r, c]), every row waits for the
previous row's stores to come back. Two layouts avoid that wait, and each out[c] is still init[c] +
v[0] M[0, c] + v[1] M[1, c] + ... in that order, so the bits are those of the plain loop:
- under NARROW columns, eight columns at a time are summed in local variables, which LLVM keeps in
  registers;
- from NARROW on, the loop runs across columns, which LLVM vectorises, and adds four rows per pass, so
  out[] is loaded and stored once every four rows.
Timed alone, the second is 1.8x as fast as the first on the LSTM head and 1.6-2.6x on gains of 20 to 40
columns; inside the decode kernels, on gains under 16 columns, it was slower (docs/speed.md).
"""
from spikey.jit import njit

NARROW = 16


@njit(cache=True, inline="always")
def vecmat(out, init, v, M):
    """out[c] = init[c] + sum over r, in order, of v[r] * M[r, c]; init may be out itself."""
    if len(out) < NARROW:
        _in_registers(out, init, v, M)
    else:
        _across_columns(out, init, v, M)


@njit(cache=True, inline="always")
def _in_registers(out, init, v, M):
    n_cols = len(out)
    c0 = 0
    while c0 + 8 <= n_cols:
        a0, a1, a2, a3 = init[c0], init[c0 + 1], init[c0 + 2], init[c0 + 3]
        a4, a5, a6, a7 = init[c0 + 4], init[c0 + 5], init[c0 + 6], init[c0 + 7]
        for r in range(len(v)):
            x = v[r]
            a0 += x * M[r, c0]
            a1 += x * M[r, c0 + 1]
            a2 += x * M[r, c0 + 2]
            a3 += x * M[r, c0 + 3]
            a4 += x * M[r, c0 + 4]
            a5 += x * M[r, c0 + 5]
            a6 += x * M[r, c0 + 6]
            a7 += x * M[r, c0 + 7]
        out[c0], out[c0 + 1], out[c0 + 2], out[c0 + 3] = a0, a1, a2, a3
        out[c0 + 4], out[c0 + 5], out[c0 + 6], out[c0 + 7] = a4, a5, a6, a7
        c0 += 8
    for c in range(c0, n_cols):
        a = init[c]
        for r in range(len(v)):
            a += v[r] * M[r, c]
        out[c] = a


@njit(cache=True, inline="always")
def _across_columns(out, init, v, M):
    n_cols = len(out)
    for c in range(n_cols):
        out[c] = init[c]
    r = 0
    while r + 4 <= len(v):
        x0, x1, x2, x3 = v[r], v[r + 1], v[r + 2], v[r + 3]
        for c in range(n_cols):
            out[c] = (((out[c] + x0 * M[r, c]) + x1 * M[r + 1, c]) + x2 * M[r + 2, c]) + x3 * M[r + 3, c]
        r += 4
    while r < len(v):
        x = v[r]
        for c in range(n_cols):
            out[c] += x * M[r, c]
        r += 1
