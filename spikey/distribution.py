"""Predictive distribution: a Gaussian over the linearised axis, integrated over each bin.

The cumulative frequency of bin k is k + PHI(z_k), with z_k the standardised lower edge of bin k and
PHI the Gaussian CDF in fixed point (CDF_ONE = 2^30). The +k gives every bin at least frequency 1, so
any sample can be coded, and it keeps the cumulative table strictly increasing.

PHI is a table of integers interpolated in integer arithmetic. The table is generated from a series
that uses only +, -, *, / and exact ldexp, never the platform's libm: its bits are the same on every
machine, and so is every frequency the coder sees.
"""
import math

import numpy as np
from spikey.jit import njit

CDF_BITS = 30
CDF_ONE = 1 << CDF_BITS
Z_MAX = 8                   # |z| beyond this is the distribution's 0 or 1
STEPS_PER_UNIT = 256        # table resolution in z
FRAC_BITS = 16              # interpolation fraction inside one table step
TABLE_CELLS = 2 * Z_MAX * STEPS_PER_UNIT


def _exp_nonpositive(x: np.ndarray) -> np.ndarray:
    """exp(x) for x <= 0 from basic IEEE operations: Cody-Waite reduction and a Taylor polynomial."""
    k = np.floor(x / 0.6931471805599453 + 0.5)
    r = (x - k * 0.693145751953125) - k * 1.4286068203094173e-06
    term = np.ones_like(r)
    total = np.ones_like(r)
    for n in range(1, 24):
        term = term * r / n
        total = total + term
    return np.ldexp(total, k.astype(np.int32))


def gaussian_cdf_table() -> np.ndarray:
    """PHI(z) * 2^30 on z = -Z_MAX .. Z_MAX in steps of 1/STEPS_PER_UNIT, as int64."""
    z = (np.arange(TABLE_CELLS + 1, dtype=np.float64) - Z_MAX * STEPS_PER_UNIT) / STEPS_PER_UNIT
    x = np.abs(z) / 1.4142135623730951
    # erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!: all terms positive, no cancellation.
    term = x.copy()
    series = x.copy()
    for n in range(1, 220):
        term = term * (2.0 * x * x) / (2 * n + 1)
        grown = series + term
        if np.array_equal(grown, series):   # past the peak terms only shrink: no later term can count
            break
        series = grown
    erf = 1.1283791670955126 * _exp_nonpositive(-x * x) * series
    phi = np.where(z < 0, 0.5 - 0.5 * erf, 0.5 + 0.5 * erf)
    table = np.floor(np.clip(phi, 0.0, 1.0) * CDF_ONE + 0.5).astype(np.int64)
    return np.maximum.accumulate(table)


@njit(cache=True, inline="always")
def phi_fixed(z, table):
    """Gaussian CDF at z in units of 2^-30, monotone in z, by integer interpolation of the table."""
    if z <= -Z_MAX:
        return 0
    if z >= Z_MAX:
        return CDF_ONE
    q = np.int64((z + Z_MAX) * (STEPS_PER_UNIT << FRAC_BITS))
    i = q >> FRAC_BITS
    if i >= TABLE_CELLS:
        return CDF_ONE
    f = q & ((1 << FRAC_BITS) - 1)
    return table[i] + (((table[i + 1] - table[i]) * f) >> FRAC_BITS)


@njit(cache=True, inline="always")
def cumulative(k, n_bins, edges, mu, inv_sigma, table):
    """Cumulative frequency below bin k; the total over all bins is n_bins + CDF_ONE."""
    if k <= 0:
        return 0
    if k >= n_bins:
        return n_bins + CDF_ONE
    return k + phi_fixed((edges[k] - mu) * inv_sigma, table)


@njit(cache=True, inline="always")
def search(target, k, n_bins, edges, mean, scale, table, cumulative):
    """(k, cumulative(k), cumulative(k + 1)) for the bin k whose interval holds target, where
    cumulative(k, n_bins, edges, mean, scale, table) is a bin table's cumulative frequency.

    Gallops out from the guess k, where the target almost always is, then bisects: a few evaluations
    instead of log2(n_bins). The answer is unique, so the guess and the search order cannot change
    it. The bounds' cumulative frequencies are kept as the search goes: the range decoder needs them.
    Both levels' decoders share it (this module's cumulative; spikey/fastcoder.py's in fixed point).
    """
    step = 1
    c = cumulative(k, n_bins, edges, mean, scale, table)
    if c <= target:
        lo, c_lo = k, c
        hi = min(k + 1, n_bins)
        c_hi = cumulative(hi, n_bins, edges, mean, scale, table)
        while hi < n_bins and c_hi <= target:
            lo, c_lo = hi, c_hi
            hi = min(hi + step, n_bins)
            c_hi = cumulative(hi, n_bins, edges, mean, scale, table)
            step *= 2
    else:
        hi, c_hi = k, c
        lo = max(k - 1, 0)
        c_lo = cumulative(lo, n_bins, edges, mean, scale, table)
        while lo > 0 and c_lo > target:
            hi, c_hi = lo, c_lo
            lo = max(lo - step, 0)
            c_lo = cumulative(lo, n_bins, edges, mean, scale, table)
            step *= 2
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        c_mid = cumulative(mid, n_bins, edges, mean, scale, table)
        if c_mid <= target:
            lo, c_lo = mid, c_mid
        else:
            hi, c_hi = mid, c_mid
    return lo, c_lo, c_hi


GUESS_BITS = 12


def inverse_table(table: np.ndarray) -> np.ndarray:
    """By the top GUESS_BITS of a fraction of CDF_ONE: the table's z (in its 2^-24 units, from z = 0)
    where the CDF reaches it. Only a starting guess for the search, so its precision cannot matter."""
    fractions = np.arange(1 << GUESS_BITS, dtype=np.int64) << (CDF_BITS - GUESS_BITS)
    cells = np.minimum(np.searchsorted(table, fractions), TABLE_CELLS)
    return (cells - Z_MAX * STEPS_PER_UNIT) << FRAC_BITS


GAUSSIAN_CDF = gaussian_cdf_table()
GUESSES = inverse_table(GAUSSIAN_CDF)
Z_UNIT = 1.0 / (STEPS_PER_UNIT << FRAC_BITS)


@njit(cache=True, inline="always")
def find_bin(target, n_bins, edges, mu, inv_sigma, table, cells):
    """search from the bin where the Gaussian's inverse CDF puts the target (start)."""
    return search(target, start(target, edges, mu, inv_sigma, cells), n_bins, edges, mu, inv_sigma, table, cumulative)


@njit(cache=True, inline="always")
def start(target, edges, mu, inv_sigma, cells):
    """The bin where the Gaussian's inverse CDF puts the target (its total is within n_bins of CDF_ONE):
    cells[j] is the bin at edges[0] + j (BinTable.cells), so bins of unequal width (the ADC's codes) do not
    put the start far from it. A wide Gaussian's target is found in a step or two instead of a gallop from
    the mean; the start cannot change the bin found."""
    z = GUESSES[min(target >> (CDF_BITS - GUESS_BITS), len(GUESSES) - 1)]
    g = mu + (z * Z_UNIT) / inv_sigma - edges[0]
    j = 0 if not g > 0 else (len(cells) - 1 if g >= len(cells) - 1 else np.int64(g))
    return np.int64(cells[j])
assert math.isclose(GAUSSIAN_CDF[TABLE_CELLS // 2], CDF_ONE / 2)
