"""The fast profile's per-sample loop: integers only, a few dozen operations a sample.

What an implant could run (docs/levels.md counts the operations and the state): a sign-sign LMS
predicts the next first difference of the linearised signal from the last TAPS ones, a running mean
of absolute errors sets the Gaussian's width, and the same fixed-point Gaussian CDF table and range
coder as the default profile code the level's bin, so the ADC's unequal code widths still count.

Fixed point: the linearised axis in units of 2^-FX (the ADC table's edges are exact there), LMS
weights in units of 2^-W_SHIFT. Per sample t, with y the bin centres and e the bin edges:
    mean  = y[t-1] + (sum_i w[i] d[i]) >> W_SHIFT            d: the last TAPS differences, newest first
    s     = max(mae + (mae >> 2), S_MIN)                     ~ sigma: 1.25 mean absolute error
    inv   = 2^INV_BITS // s
    C(k)  = k + PHI(((e[k] - mean) * inv) >> (INV_BITS - 24))   the table's z in units of 2^-24
then, once y[t] is known, err = y[t] - mean, w[i] += sign(err) sign(d[i]) << MU, and
mae += (|err| - mae) >> MAE_RATE.
"""
import numpy as np

from spikey import distribution as dist
from spikey import rangecoder as rc
from spikey.jit import njit

FX = 12
TAPS = 8
W_SHIFT = 12
MU = 2
MAE_RATE = 7
MAE_INIT = 8 << FX          # a start as wide as the default's variance of 100
S_MIN = 1 << (FX - 2)       # a quarter of a level
INV_BITS = 40
Z_SHIFT = INV_BITS - (dist.FRAC_BITS + 8)     # the table's z unit is 2^-(FRAC_BITS + log2 STEPS_PER_UNIT)
Z_OFFSET = dist.Z_MAX * (dist.STEPS_PER_UNIT << dist.FRAC_BITS)
Q_END = dist.TABLE_CELLS << dist.FRAC_BITS
REACH = 1 << 29             # |e[k] - mean| beyond this is past the table's ends at any width
TOTAL_BITS = 31
TOTAL = 1 << TOTAL_BITS     # every level keeps a frequency of at least 1 for tables up to 2^30 levels


def fixed_edges(edges: np.ndarray) -> np.ndarray:
    """A level table's edges in units of 2^-FX, as int64 (exact for the ADC and lattice tables)."""
    return np.round(np.asarray(edges) * (1 << FX)).astype(np.int64)


@njit(cache=True, inline="always")
def _phi(q, table):
    if q <= 0:
        return 0
    if q >= Q_END:
        return dist.CDF_ONE
    i = q >> dist.FRAC_BITS
    f = q & ((1 << dist.FRAC_BITS) - 1)
    return table[i] + (((table[i + 1] - table[i]) * f) >> dist.FRAC_BITS)


@njit(cache=True, inline="always")
def cumulative(k, n_levels, edges, mean, inv, table):
    """C(k) with the total a power of two, TOTAL: the range coder shifts instead of dividing."""
    if k <= 0:
        return 0
    if k >= n_levels:
        return TOTAL
    gap = min(max(edges[k] - mean, -REACH), REACH)
    return k + ((_phi(((gap * inv) >> Z_SHIFT) + Z_OFFSET, table) * (TOTAL - n_levels)) >> dist.CDF_BITS)


GUESS_BITS = 12


def inverse_table(table: np.ndarray) -> np.ndarray:
    """By the top GUESS_BITS of a target: the table's z (in its 2^-24 units, less Z_OFFSET) where the
    CDF reaches that fraction. Only a starting guess for the search, so its precision cannot matter."""
    fractions = np.arange(1 << GUESS_BITS, dtype=np.int64) << (dist.CDF_BITS - GUESS_BITS)
    cells = np.minimum(np.searchsorted(table, fractions), dist.TABLE_CELLS)
    return (cells << dist.FRAC_BITS) - Z_OFFSET


@njit(cache=True, inline="always")
def find_level(target, n_levels, edges, mean, width, inv, table, guesses, cells):
    """(k, C(k), C(k + 1)) for the level whose interval holds target: distribution.search from the
    level where the Gaussian's inverse CDF puts it (cells: the level at each unit of the axis)."""
    z = guesses[target >> (TOTAL_BITS - GUESS_BITS)]
    at = mean + ((z * width) >> (dist.FRAC_BITS + 8))
    k = np.int64(cells[min(max((at - edges[0]) >> FX, 0), len(cells) - 1)])
    return dist.search(target, k, n_levels, edges, mean, inv, table, cumulative)


@njit(cache=True, inline="always")
def predict(w, d, last, mae, edges):
    """(mean, width, 2^INV_BITS / width) of the next sample's Gaussian on the fixed-point axis."""
    acc = 0
    for i in range(TAPS):
        acc += w[i] * d[i]
    mean = last + (acc >> W_SHIFT)
    mean = min(max(mean, edges[0] - (1 << FX)), edges[len(edges) - 1] + (1 << FX))
    s = max(mae + (mae >> 2), S_MIN)
    return mean, s, (1 << INV_BITS) // s


@njit(cache=True, inline="always")
def _sign(v):
    """-1, 0 or 1, without a branch: the signs of the differences are a coin toss to a predictor."""
    return np.int64(v > 0) - np.int64(v < 0)


@njit(cache=True, inline="always")
def observe(w, d, y, last, mean, mae):
    """Learn from the sample whose bin centre is y: returns the new mean absolute error."""
    err = y - mean
    step = _sign(err) << MU
    for i in range(TAPS):
        w[i] += step * _sign(d[i])
    for i in range(TAPS - 1, 0, -1):
        d[i] = d[i - 1]
    d[0] = y - last
    return mae + ((abs(err) - mae) >> MAE_RATE)


@njit(cache=True, _nrt=False)
def _encode_loop(idx, edges, table, w, d, st, out):
    """The per-sample loop, on state allocated by the caller: without numba's reference counting,
    which took 15% of the loop when these arrays lived inside it."""
    n_levels = len(edges) - 1
    last, mae = np.int64(0), np.int64(MAE_INIT)
    for t in range(len(idx)):
        mean, _, inv = predict(w, d, last, mae, edges)
        k = idx[t]
        lo = cumulative(k, n_levels, edges, mean, inv, table)
        hi = cumulative(k + 1, n_levels, edges, mean, inv, table)
        rc.encode_shift(st, out, lo, hi - lo, TOTAL_BITS)
        y = (edges[k] + edges[k + 1]) >> 1
        mae = observe(w, d, y, last, mean, mae)
        last = y


@njit(cache=True)
def encode_fast(idx, edges, table):
    """Range-coded payload of level indices idx on a table with fixed-point edges."""
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    _encode_loop(idx, edges, table, np.zeros(TAPS, dtype=np.int64), np.zeros(TAPS, dtype=np.int64), st, out)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True, _nrt=False)
def _decode_loop(buf, edges, table, guesses, cells, w, d, st, idx):
    n_levels = len(edges) - 1
    last, mae = np.int64(0), np.int64(MAE_INIT)
    for t in range(len(idx)):
        mean, width, inv = predict(w, d, last, mae, edges)
        target = rc.decode_target_shift(st, TOTAL_BITS)
        if target < 0:
            rc.mark_undecodable(idx, t)
            break
        k, lo, hi = find_level(target, n_levels, edges, mean, width, inv, table, guesses, cells)
        rc.decode_consume(st, buf, lo, hi - lo)
        y = (edges[k] + edges[k + 1]) >> 1
        mae = observe(w, d, y, last, mean, mae)
        last = y
        idx[t] = k


@njit(cache=True)
def decode_fast(buf, n_samples, edges, table, guesses, cells):
    idx = np.empty(n_samples, dtype=np.int32)
    _decode_loop(buf, edges, table, guesses, cells, np.zeros(TAPS, dtype=np.int64), np.zeros(TAPS, dtype=np.int64),
                 rc.decoder_new(buf), idx)
    return idx
