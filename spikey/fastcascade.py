"""The fast loop with a cascade stage (loops 7 and 12): spikey/fastcoder.py's sign-sign LMS, then an
integer normalised LMS on its residual, and a scale that follows bursts four times as fast.

The sign-sign predictor learns slowly and leaves the slow structure of a wideband recording in its
residual; a normalised LMS on the last STAGE_TAPS residuals takes it (spikey/nlms.py is the float
version of the default level's cascade). Integers only, as the fast loop. Per sample, on the fast
loop's fixed-point axis (units of 2^-FX), with mean1 the fast loop's prediction (fastcoder.predict) and
r the stage's last residuals y - mean1 taken >> R_SHIFT (newest first):
    mean  = mean1 + (sum_i v[i] r[i]) >> (V_SHIFT - R_SHIFT)     clamped as mean1 is
    s     = max(mae + (mae >> 2), S_MIN),  inv = 2^INV_BITS // s   (fastcoder's, with mae of y - mean)
then, once y is known, the fast loop learns from y - mean1 (its weights, the links' and the history as
fastcoder.observe), and with e = (y - mean) >> R_SHIFT and power = 1 + sum_i r[i]^2:
    g = (e << (V_SHIFT - step_bits + G_BITS)) // power,  v[i] += (g r[i]) >> G_BITS
    mae += (|y - mean| - mae) >> MAE_RATE,  r shifts in (y - mean1) >> R_SHIFT.
and v[i] kept within +-V_MAX. The stage's step is 2^-step_bits: 2^-6 in loop 7, 2^-4 in loop 12, which
follows a wideband recording's changes faster (docs/model.md). Every product stays below 2^52 for any
16-bit signal: |r|, |e| < 2^23 (the axis spans under 2^29), so the squares sum below 2^50,
|g r| <= |e| 2^(28 - step_bits) / sqrt(power) < 2^47 for step_bits >= 4, and |v r| < 2^47.
"""
import numpy as np

from spikey import fastcoder as fc
from spikey import rangecoder as rc
from spikey.jit import njit

STAGE_TAPS = 16
R_SHIFT = 6                 # residuals in units of 2^-(FX - R_SHIFT): |r| < 2^23 for 16-bit samples
V_SHIFT = 16                # the stage's weights in units of 2^-V_SHIFT
G_BITS = 12
V_MAX = 1 << 24             # a weight of 256: no stage that learned that much is predicting anything
MAE_RATE = 5


@njit(cache=True, inline="always")
def _stage_predict(v, r):
    acc = 0
    for i in range(STAGE_TAPS):
        acc += v[i] * r[i]
    return acc >> (V_SHIFT - R_SHIFT)


@njit(cache=True, inline="always")
def _stage_update(v, r, power, err, residual, step_bits):
    """power[0] is 1 + sum_i r[i]^2, kept as r shifts: integers, so the running sum is the sum itself."""
    e = err >> R_SHIFT
    g = (e << (V_SHIFT - step_bits + G_BITS)) // power[0]
    for i in range(STAGE_TAPS):
        v[i] = min(max(v[i] + ((g * r[i]) >> G_BITS), -V_MAX), V_MAX)
    power[0] -= r[STAGE_TAPS - 1] * r[STAGE_TAPS - 1]
    for i in range(STAGE_TAPS - 1, 0, -1):
        r[i] = r[i - 1]
    r[0] = residual >> R_SHIFT
    power[0] += r[0] * r[0]


@njit(cache=True, inline="always")
def _predict(w, d, v, r, last, mae, edges, acc):
    """(the fast loop's mean, the cascade's mean, width, 2^INV_BITS / width); acc: the links' part."""
    mean1, s, inv = fc.predict(w, d, last, mae, edges, acc)
    return mean1, fc.clamped(mean1 + _stage_predict(v, r), edges), s, inv


@njit(cache=True, inline="always")
def _observe(w, d, sd, wr, dr, v, r, power, y, last, mean1, mean, mae, linked, step_bits):
    """Learn from the sample whose bin centre is y: each stage from its own error; the new mae."""
    if linked:
        fc.learn_refs(wr, dr, y - mean1)
    fc.observe(w, d, sd, y, last, mean1, 0)
    _stage_update(v, r, power, y - mean, y - mean1, step_bits)
    return mae + ((abs(y - mean) - mae) >> MAE_RATE)


@njit(cache=True, _nrt=False)
def encode_loop(idx, edges, table, refs, step_bits, w, d, sd, wr, dr, v, r, power, st, out, trace):
    """The encoder's loop on allocated state; trace, where it has rows, gets each sample's ideal code
    length in bits and its residual in the widths it was coded with (spikey/report)."""
    n_bins = len(edges) - 1
    linked = refs.shape[1] > 0
    last, mae = np.int64(0), np.int64(fc.MAE_INIT)
    for t in range(len(idx)):
        acc = fc.refs_sum(wr, dr, refs, t) if linked else 0
        mean1, mean, width, inv = _predict(w, d, v, r, last, mae, edges, acc)
        k = idx[t]
        lo = fc.cumulative(k, n_bins, edges, mean, inv, table)
        hi = fc.cumulative(k + 1, n_bins, edges, mean, inv, table)
        rc.encode_shift(st, out, lo, hi - lo, fc.TOTAL_BITS)
        y = (edges[k] + edges[k + 1]) >> 1
        if len(trace):
            trace[t, 0] = np.log2(fc.TOTAL / (hi - lo))
            trace[t, 1] = (y - mean) / width
        mae = _observe(w, d, sd, wr, dr, v, r, power, y, last, mean1, mean, mae, linked, step_bits)
        last = y


@njit(cache=True, _nrt=False)
def _decode_loop(buf, edges, table, guesses, cells, refs, step_bits, w, d, sd, wr, dr, v, r, power, st, idx):
    n_bins = len(edges) - 1
    linked = refs.shape[1] > 0
    last, mae = np.int64(0), np.int64(fc.MAE_INIT)
    for t in range(len(idx)):
        acc = fc.refs_sum(wr, dr, refs, t) if linked else 0
        mean1, mean, width, inv = _predict(w, d, v, r, last, mae, edges, acc)
        target = rc.decode_target_shift(st, fc.TOTAL_BITS)
        if target < 0:
            rc.mark_undecodable(idx, t)
            break
        k, lo, hi = fc.find_bin(target, n_bins, edges, mean, width, inv, table, guesses, cells)
        rc.decode_consume(st, buf, lo, hi - lo)
        y = (edges[k] + edges[k + 1]) >> 1
        mae = _observe(w, d, sd, wr, dr, v, r, power, y, last, mean1, mean, mae, linked, step_bits)
        last = y
        idx[t] = k


@njit(cache=True)
def stage_state():
    """v, r (zero) and power (1 + the sum of r's squares)."""
    return np.zeros(STAGE_TAPS, dtype=np.int64), np.zeros(STAGE_TAPS, dtype=np.int64), np.ones(1, dtype=np.int64)


@njit(cache=True, nogil=True)
def encode_fast_cascade(idx, edges, table, refs, step_bits):
    """fastcoder.encode_fast's payload, by the loop with the stage of step 2^-step_bits."""
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    encode_loop(idx, edges, table, refs, step_bits, *fc.state(refs.shape[1]), *stage_state(), st, out,
                np.empty((0, 2)))
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True, nogil=True)
def decode_fast_cascade(buf, n_samples, edges, table, guesses, cells, refs, step_bits):
    idx = np.empty(n_samples, dtype=np.int32)
    _decode_loop(buf, edges, table, guesses, cells, refs, step_bits, *fc.state(refs.shape[1]), *stage_state(),
                 rc.decoder_new(buf), idx)
    return idx
