"""The warp: the coded Gaussian's mass re-learned per cell of |z|, so the distribution takes the shape the
residuals have.

After the scales (the MAE, the head, the context scale) a residual in the sigmas it was coded with, z, is
still not Gaussian on wideband and probe recordings: more of it lies near 0 and beyond 3 sigmas, less at
1-2, and on wideband cortex one sample in 1,600 lies beyond 8, where the Gaussian's fixed-point CDF is flat
and a bin costs 30 bits (docs/model.md). This stage learns online, per channel and block, how much of the
mass falls in each cell of |z|, and moves the Gaussian's mass there: within a cell it keeps the
Gaussian's own shape, scaled. The two sides share each cell, so it changes the shape, never the mean.
Cells by a = |z|: [0, 1), [1, 2), [2, 3), [3, 4), [4, 5) on the Gaussian's CDF PHI(a), and the tails
[5, 8), [8, inf) on a Gaussian eight times as wide, PHI(a / 8), which has mass there. With m[c] a cell's
learned mass (one side; they sum to 2^29, half of CDF_ONE), M[c] the masses of the cells below it, B the
cell's base (PHI or PHI(./8)) and lo, hi its edges:
    F(a) = M[c] + min(floor((B(a) - B(lo)) * m[c] * (1 / (B(hi) - B(lo)))), m[c])      (the mass in [0, a))
    W(z) = 2^29 + F(z) for z >= 0, 2^29 - F(-z) for z < 0                      (in place of PHI(z) * 2^30)
W is monotone, 2^29 at 0 and 2^30 far out, so every bin keeps at least its frequency 1 (distribution.py).
Once the sample is known, with c its cell (by its z in the coded sigma), every cell gives up
floor(m * 2^-RATE_BITS) and c takes what they gave: the sum stays exactly 2^29. The masses are integers
held in float64 (below 2^53: every operation on them is exact), the rest IEEE basic operations in a
fixed order, so its bits are the same on every machine. Every floor is of a number >= 0, so the conversion
to an integer takes it (faster than np.floor in the loops: docs/model.md). It starts as the Gaussian (and the
tails 308 units, what the fixed-point Gaussian leaves beyond 5).
"""
import numpy as np

from spikey import distribution as dist
from spikey.jit import njit

CORE = 5                    # cells on PHI: |z| in [c, c + 1); past 5 sigmas PHI's fixed-point table is flat
TAIL = 8.0                  # the tail cells on PHI(a / 8): [5, 8) and [8, inf)
TAIL_SCALE = 0.125          # the tails' base: a Gaussian of 8 sigmas
CELLS = CORE + 2
RATE_BITS = 12              # each cell's mass moves 2^-12 of the way a sample: ~4,096 samples' memory
HALF = dist.CDF_ONE >> 1
# the state: masses m, masses below M, then per cell its base at its lower edge and 1 / its base's width
M_AT, BASE_AT, INV_AT = CELLS, 2 * CELLS, 3 * CELLS
SIZE = 4 * CELLS


@njit(cache=True, inline="always")
def _edge(c):
    """Cell c's lower edge in |z|."""
    return np.float64(c) if c <= CORE else TAIL if c < CELLS else np.inf


@njit(cache=True, inline="always")
def _scale(c):
    """Cell c's base's scale on |z|: PHI(a * scale)."""
    return 1.0 if c < CORE else TAIL_SCALE


@njit(cache=True)
def reset(s, table):
    """Nothing learned: the Gaussian, its mass past 5 sigmas in the first tail cell."""
    total = 0.0
    for c in range(CELLS):
        lo = dist.phi_fixed(_edge(c) * _scale(c), table)
        hi = dist.CDF_ONE if c == CELLS - 1 else dist.phi_fixed(_edge(c + 1) * _scale(c), table)
        s[BASE_AT + c] = lo
        s[INV_AT + c] = 1.0 / (hi - lo)
        s[c] = hi - lo if c < CORE else 0.0
        total += s[c]
    s[CORE] = HALF - total
    _prefix(s)


@njit(cache=True, inline="always")
def _prefix(s):
    below = 0.0
    for c in range(CELLS):
        s[M_AT + c] = below
        below += s[c]


@njit(cache=True, inline="always")
def cell(a):
    """The cell of a = |z| (NaN: the last)."""
    if a < CORE:
        return np.int64(a)
    return CORE if a < TAIL else CELLS - 1


@njit(cache=True, inline="always")
def cdf(z, s, table):
    """W(z): the warped Gaussian's CDF at z in units of 2^-30."""
    a = abs(z)
    c = cell(a)
    m = s[c]
    inside = np.float64(dist.phi_fixed(a * _scale(c), table) - np.int64(s[BASE_AT + c])) * m * s[INV_AT + c]
    f = np.int64(s[M_AT + c]) + min(np.int64(inside), np.int64(m))     # inside >= 0: the conversion floors
    return HALF + f if z >= 0 else HALF - f


@njit(cache=True, inline="always")
def cumulative(k, n_bins, edges, mu, scale, table):
    """distribution.cumulative with the warp: scale is (1/sigma, the warp's state)."""
    inv_sigma, s = scale
    if k <= 0:
        return 0
    if k >= n_bins:
        return n_bins + dist.CDF_ONE
    return k + cdf((edges[k] - mu) * inv_sigma, s, table)


@njit(cache=True)
def find_bin(target, n_bins, edges, mu, inv_sigma, s, table, cells):
    """distribution.find_bin with the warp, started where the Gaussian would put the target: the warp moves
    mass between cells of |z|, so the start is a bin or a few from the answer, which it cannot change. One
    function, not inlined: the loops that call it compile once each, and its search inlines the warp's CDF."""
    k = dist.start(target, edges, mu, inv_sigma, cells)
    return dist.search(target, k, n_bins, edges, mu, (inv_sigma, s), table, cumulative)


@njit(cache=True, inline="always")
def learn(s, z):
    """After a sample whose residual in the coded sigma was z."""
    c = cell(abs(z))
    given = 0.0
    for j in range(CELLS):
        d = np.float64(np.int64(s[j] * (1.0 / (1 << RATE_BITS))))     # floored: a mass is >= 0
        s[j] -= d
        given += d
    s[c] += given
    _prefix(s)
