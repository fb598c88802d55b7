"""Vector-matrix products laid out for the compiler: out = init + v @ M, each sum in row order.

Both the RLS gain (P h) and the head's hidden layer are a vector times a small matrix. Accumulated in
memory (out[c] += v[r] * M[r, c]), every row waits for the previous row's stores to come back; here
eight columns are summed in local variables, which LLVM keeps in registers. Each out[c] is still
init[c] + v[0] M[0, c] + v[1] M[1, c] + ... in that order, so the bits are those of the plain loop.
"""
from spikey.jit import njit

BLOCK = 8


@njit(cache=True, inline="always")
def vecmat(out, init, v, M):
    """out[c] = init[c] + sum over r, in order, of v[r] * M[r, c]; init may be out itself."""
    n_cols = len(out)
    c0 = 0
    while c0 + BLOCK <= n_cols:
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
        c0 += BLOCK
    for c in range(c0, n_cols):
        a = init[c]
        for r in range(len(v)):
            a += v[r] * M[r, c]
        out[c] = a
