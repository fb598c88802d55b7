"""The fast profile's per-sample loop: integers only, a few dozen operations a sample.

What an implant could run (docs/levels.md counts the operations and the state): a sign-sign LMS
predicts the next first difference of the linearised signal from the last TAPS ones, a running mean
of absolute errors sets the Gaussian's width, and the same fixed-point Gaussian CDF table and range
coder as the default profile code the sample's bin, so the ADC's unequal code widths still count.

Fixed point: the linearised axis in units of 2^-FX (the ADC table's edges are exact there), LMS
weights in units of 2^-W_SHIFT. Per sample t, with y the bin centres and e the bin edges:
    mean  = y[t-1] + (sum_i w[i] d[i]) >> W_SHIFT            d: the last TAPS differences, newest first
    s     = max(mae + (mae >> 2), S_MIN)                     ~ sigma: 1.25 mean absolute error
    inv   = 2^INV_BITS // s
    C(k)  = k + PHI(((e[k] - mean) * inv) >> (INV_BITS - 24))   the table's z in units of 2^-24
then, once y[t] is known, err = y[t] - mean, w[i] += sign(err) sign(d[i]) << MU, and
mae += (|err| - mae) >> MAE_RATE.

A linked channel (its refs coded before it in the block, docs/format.md section 4) adds two taps per
ref r to the sum: r's first differences just after and at t, dr = (r[t+1] - r[t], r[t] - r[t-1]) (zero
past the block's ends), with weights wr learning as w does but by sign(err) sign(dr[i]) << REF_MU. What
the channels share (EEG's common mode) then costs a few operations instead of an RLS.
"""
import numpy as np

from spikey import distribution as dist
from spikey import rangecoder as rc
from spikey.jit import njit

FX = 12
TAPS = 8
W_SHIFT = 12
MU = 2
REF_MU = 4                  # the links' taps learn faster: their weights head for ~1 (a shared signal), not ~0
MAE_RATE = 7
MAE_INIT = 8 << FX          # a start as wide as the default's variance of 100
S_MIN = 1 << (FX - 2)       # a quarter of a unit of the axis
INV_BITS = 40
Z_SHIFT = INV_BITS - (dist.FRAC_BITS + 8)     # the table's z unit is 2^-(FRAC_BITS + log2 STEPS_PER_UNIT)
Z_OFFSET = dist.Z_MAX * (dist.STEPS_PER_UNIT << dist.FRAC_BITS)
Q_END = dist.TABLE_CELLS << dist.FRAC_BITS
REACH = 1 << 29             # |e[k] - mean| beyond this is past the table's ends at any width
TOTAL_BITS = 31
TOTAL = 1 << TOTAL_BITS     # every bin keeps a frequency of at least 1 for tables up to 2^30 bins


def fixed_edges(edges: np.ndarray) -> np.ndarray:
    """A bin table's edges in units of 2^-FX, as int64 (exact for the ADC and lattice tables)."""
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
def cumulative(k, n_bins, edges, mean, inv, table):
    """C(k) with the total a power of two, TOTAL: the range coder shifts instead of dividing."""
    if k <= 0:
        return 0
    if k >= n_bins:
        return TOTAL
    gap = min(max(edges[k] - mean, -REACH), REACH)
    return k + ((_phi(((gap * inv) >> Z_SHIFT) + Z_OFFSET, table) * (TOTAL - n_bins)) >> dist.CDF_BITS)


@njit(cache=True, inline="always")
def find_bin(target, n_bins, edges, mean, width, inv, table, guesses, cells):
    """(k, C(k), C(k + 1)) for the bin whose interval holds target: distribution.search from the
    bin where the Gaussian's inverse CDF puts it (guesses: distribution.inverse_table; cells: the bin at
    each unit of the axis)."""
    z = guesses[target >> (TOTAL_BITS - dist.GUESS_BITS)]
    at = mean + ((z * width) >> (dist.FRAC_BITS + 8))
    k = np.int64(cells[min(max((at - edges[0]) >> FX, 0), len(cells) - 1)])
    return dist.search(target, k, n_bins, edges, mean, inv, table, cumulative)


@njit(cache=True, inline="always")
def predict(w, d, last, mae, edges, acc):
    """(mean, width, 2^INV_BITS / width) of the next sample's Gaussian on the fixed-point axis; acc:
    the links' part of the sum (refs_sum; 0 for a channel without links)."""
    for i in range(TAPS):
        acc += w[i] * d[i]
    return clamped(last + (acc >> W_SHIFT), edges), *width(mae)


@njit(cache=True, inline="always")
def clamped(mean, edges):
    """A mean kept within a unit of the table's ends."""
    return min(max(mean, edges[0] - (1 << FX)), edges[len(edges) - 1] + (1 << FX))


@njit(cache=True, inline="always")
def width(mae):
    """(width, 2^INV_BITS / width) of the Gaussian from the mean absolute error."""
    s = max(mae + (mae >> 2), S_MIN)
    return s, (1 << INV_BITS) // s


@njit(cache=True, inline="always")
def _sign(v):
    """-1, 0 or 1, without a branch: the signs of the differences are a coin toss to a predictor."""
    return np.int64(v > 0) - np.int64(v < 0)


@njit(cache=True, inline="always")
def observe(w, d, sd, y, last, mean, mae):
    """Learn from the sample whose bin centre is y: returns the new mean absolute error. sd holds the
    signs of d, each taken once as it enters rather than at every update (5% of the decoder's time)."""
    err = y - mean
    step = _sign(err) << MU
    for i in range(TAPS):
        w[i] += step * sd[i]
    for i in range(TAPS - 1, 0, -1):
        d[i] = d[i - 1]
        sd[i] = sd[i - 1]
    d[0] = y - last
    sd[0] = _sign(d[0])
    return mae + ((abs(err) - mae) >> MAE_RATE)


@njit(cache=True, inline="always")
def refs_sum(wr, dr, refs, t):
    """The links' part of the prediction of sample t: refs (n, n_refs) holds the refs' centres on the
    fixed-point axis; dr gets their differences, which learn_refs needs once the sample is known."""
    n = refs.shape[0]
    acc = 0
    for j in range(refs.shape[1]):
        now = refs[t, j]
        dr[2 * j] = (refs[t + 1, j] if t + 1 < n else now) - now
        dr[2 * j + 1] = now - (refs[t - 1, j] if t > 0 else now)
        acc += wr[2 * j] * dr[2 * j] + wr[2 * j + 1] * dr[2 * j + 1]
    return acc


@njit(cache=True, inline="always")
def learn_refs(wr, dr, err):
    step = _sign(err) << REF_MU
    for i in range(len(wr)):
        wr[i] += step * _sign(dr[i])


@njit(cache=True, inline="always")
def _encode_sample(k, edges, table, w, d, sd, st, out, last, mae, acc):
    """Code bin k with the links' part acc of the prediction: (its centre y, the mean, the new mae)."""
    n_bins = len(edges) - 1
    mean, _, inv = predict(w, d, last, mae, edges, acc)
    lo = cumulative(k, n_bins, edges, mean, inv, table)
    hi = cumulative(k + 1, n_bins, edges, mean, inv, table)
    rc.encode_shift(st, out, lo, hi - lo, TOTAL_BITS)
    y = (edges[k] + edges[k + 1]) >> 1
    return y, mean, observe(w, d, sd, y, last, mean, mae)


# Two loops each way, on state allocated by the caller (without numba's reference counting, which took
# 15% of the loop when these arrays lived inside it). A channel without links runs a loop with no links'
# arrays in it at all: with them there, unused, both loops ran 7-8% slower (numba JIT, side by side),
# presumably because the compiler must assume that int64 arrays it writes may overlap w and d.

@njit(cache=True, _nrt=False)
def _encode_loop(idx, edges, table, w, d, sd, st, out):
    last, mae = np.int64(0), np.int64(MAE_INIT)
    for t in range(len(idx)):
        last, _, mae = _encode_sample(idx[t], edges, table, w, d, sd, st, out, last, mae, 0)


@njit(cache=True, _nrt=False)
def _encode_linked_loop(idx, edges, table, refs, w, d, sd, wr, dr, st, out):
    last, mae = np.int64(0), np.int64(MAE_INIT)
    for t in range(len(idx)):
        y, mean, mae = _encode_sample(idx[t], edges, table, w, d, sd, st, out, last, mae,
                                      refs_sum(wr, dr, refs, t))
        learn_refs(wr, dr, y - mean)
        last = y


@njit(cache=True, nogil=True)
def encode_fast(idx, edges, table, refs):
    """Range-coded payload of bin indices idx on a table with fixed-point edges; refs (len(idx),
    n_refs): the linked refs' centres on their fixed-point axes (no columns: no links)."""
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    w, d, sd, wr, dr = state(refs.shape[1])
    if refs.shape[1]:
        _encode_linked_loop(idx, edges, table, refs, w, d, sd, wr, dr, st, out)
    else:
        _encode_loop(idx, edges, table, w, d, sd, st, out)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True)
def state(n_refs):
    """w, d, sd (the signs of d), wr, dr: a channel's state from its start."""
    return (np.zeros(TAPS, dtype=np.int64), np.zeros(TAPS, dtype=np.int64), np.zeros(TAPS, dtype=np.int64),
            np.zeros(2 * n_refs, dtype=np.int64), np.zeros(2 * n_refs, dtype=np.int64))


@njit(cache=True, inline="always")
def _decode_bin(buf, edges, table, guesses, cells, st, mean, width, inv):
    """The bin whose interval holds the range decoder's next target, consumed; -1 where the payload
    has left what an encoder makes."""
    target = rc.decode_target_shift(st, TOTAL_BITS)
    if target < 0:
        return -1
    k, lo, hi = find_bin(target, len(edges) - 1, edges, mean, width, inv, table, guesses, cells)
    rc.decode_consume(st, buf, lo, hi - lo)
    return k


@njit(cache=True, _nrt=False)
def _decode_loop(buf, edges, table, guesses, cells, w, d, sd, st, idx):
    last, mae = np.int64(0), np.int64(MAE_INIT)
    for t in range(len(idx)):
        mean, width, inv = predict(w, d, last, mae, edges, 0)
        k = _decode_bin(buf, edges, table, guesses, cells, st, mean, width, inv)
        if k < 0:
            rc.mark_undecodable(idx, t)
            break
        y = (edges[k] + edges[k + 1]) >> 1
        mae = observe(w, d, sd, y, last, mean, mae)
        last = y
        idx[t] = k


@njit(cache=True, _nrt=False)
def _decode_linked_loop(buf, edges, table, guesses, cells, refs, w, d, sd, wr, dr, st, idx):
    last, mae = np.int64(0), np.int64(MAE_INIT)
    for t in range(len(idx)):
        mean, width, inv = predict(w, d, last, mae, edges, refs_sum(wr, dr, refs, t))
        k = _decode_bin(buf, edges, table, guesses, cells, st, mean, width, inv)
        if k < 0:
            rc.mark_undecodable(idx, t)
            break
        y = (edges[k] + edges[k + 1]) >> 1
        learn_refs(wr, dr, y - mean)
        mae = observe(w, d, sd, y, last, mean, mae)
        last = y
        idx[t] = k


@njit(cache=True, nogil=True)
def decode_fast(buf, n_samples, edges, table, guesses, cells, refs):
    idx = np.empty(n_samples, dtype=np.int32)
    w, d, sd, wr, dr = state(refs.shape[1])
    st = rc.decoder_new(buf)
    if refs.shape[1]:
        _decode_linked_loop(buf, edges, table, guesses, cells, refs, w, d, sd, wr, dr, st, idx)
    else:
        _decode_loop(buf, edges, table, guesses, cells, w, d, sd, st, idx)
    return idx
