"""The cascade loops (loops 3-6; 8-11 with the context scale): RLS -> one or two normalised LMS stages on its
residual -> a scale no burst throws off -> learned head -> Gaussian bins -> range coder.

Built for the recordings the default loop (spikey/coder.py) was not shaped on: wideband cortex and
probe data, whose slow waves and bursts leave an RLS's residual with structure (spikey/nlms.py) and
its squared-error variance swinging. Per sample t, in order (docs/format.md section 4.8), with the
record's shape (shape_of) setting the RLS order and the stages:
    mu1 = w.h                                 RLS (forgetting FORGET) on the channel's past and the refs' inputs
    mu2 = mu1 + v1.r1,  mu = mu2 + v2.r2      the stages, each on the last residuals of the one before
    sigma = SIGMA_PER_MAE * mae               mae: running mean of |y - mu|, rate MAE_RATE
    the head's shift and factor, as in the default loop, on (mu, sigma)
    sigma *= the context scale's factor       where the shape has it (spikey/contextscale.py), by the
                                              refs' surprise around t too where it has the refs' context
and once y is known, each stage learns from its own error: the RLS from y - mu1, the first stage from
y - mu2, the second from y - mu, the context scale from y's residual in the sigmas before it. That
residual, clipped as MiddleOut clips it, is the sample's surprise, which channels linked to this one
may read (the refs' context).
An RLS of order 8 with the stage codes as well as order 16 alone (docs/model.md) at a quarter of the
O(n^2) update: this loop is also the cheap one to decode.
"""
import numpy as np

from spikey import contextscale as cs
from spikey import distribution as dist
from spikey import middleout as mo
from spikey import network as net
from spikey import nlms
from spikey import predictor as pred
from spikey import rangecoder as rc
from spikey import warp
from spikey.jit import njit

FORGET = 0.99995         # a longer memory than the default loop's: the stages after it follow the fast changes
MAE_RATE = 1.0 / 32
SIGMA_PER_MAE = 1.2533141373155001      # sqrt(pi / 2): a Gaussian's sigma over its mean absolute deviation
SIGMA_MIN = 0.01         # the default loop's sqrt(VAR_MIN)


@njit(cache=True, inline="always")
def shape_of(shape):
    """(RLS order, first stage's taps and step, second stage's taps and step) of a record's shape
    (profiles.shape of its loop): bit 0 an RLS of order 16, else 8; bit 1 two stages, 32 taps at 2^-6 then 16 at
    2^-7 on its residual, else one of 16 taps at 2^-7 (docs/model.md). Bit 2, the context scale, is
    has_context's."""
    order = 16 if shape & 1 else 8
    if shape & 2:
        return order, 32, 1.0 / 64, 16, 1.0 / 128
    return order, 16, 1.0 / 128, 0, 0.0


@njit(cache=True, inline="always")
def has_context(shape):
    """Bit 2 of a shape: the sigma is corrected by the context scale (spikey/contextscale.py)."""
    return shape & 4 != 0


@njit(cache=True, inline="always")
def has_burst(shape):
    """Bit 3 of a shape (with bit 2): the context scale's cells by the refs' surprise as well (its refs' context)."""
    return shape & 8 != 0


@njit(cache=True, inline="always")
def has_warp(shape):
    """Bit 4 of a shape (with bit 2): the coded Gaussian's mass re-learned per cell of |z| (spikey/warp.py)."""
    return shape & 16 != 0


@njit(cache=True)
def new_views(shape, b1, wr, aux, table):
    """A channel's fresh state for a head with arrays b1, wr and refs' inputs aux: one flat array, sliced
    into RLS (w, P, h, gain), stages (v1, r1, v2, r2), mae, head (errors, x, z, rec), context scale, the
    refs' context and the warp (on the Gaussian CDF table)."""
    order, taps1, _, taps2, _ = shape_of(shape)
    n_scratch, n_rec = net.state_sizes(b1, wr)
    n = order + aux.shape[1]
    sizes = (n, n * n, n, n, taps1, taps1, taps2, taps2, 1, net.ERRORS, net.N_INPUTS, n_scratch, n_rec, cs.SIZE,
             cs.BURST_SIZE, warp.SIZE)
    a = np.cumsum(np.array((0,) + sizes))
    s = np.zeros(a[-1])
    views = (s[a[0]:a[1]], s[a[1]:a[2]].reshape((n, n)), s[a[2]:a[3]], s[a[3]:a[4]], s[a[4]:a[5]], s[a[5]:a[6]],
             s[a[6]:a[7]], s[a[7]:a[8]], s[a[8]:a[9]], s[a[9]:a[10]], s[a[10]:a[11]], s[a[11]:a[12]], s[a[12]:a[13]],
             s[a[13]:a[14]], s[a[14]:a[15]], s[a[15]:a[16]])
    pred.reset(views[0], views[1])
    cs.reset(views[13])
    cs.reset_burst(views[14])
    warp.reset(views[15], table)
    views[8][0] = 10.0 / SIGMA_PER_MAE       # the default loop's start: a variance of 100
    return views


@njit(cache=True, inline="always")
def _clamp(mu, centres):
    """Within a unit of the table's ends (NaN to the lower one), as the default loop keeps its mean."""
    lo, hi = centres[0] - 1.0, centres[len(centres) - 1] + 1.0
    if not (mu >= lo):
        mu = lo
    return min(mu, hi)


@njit(cache=True, inline="always")
def _predict(w, h, v1, r1, v2, r2, mae, errors, x, z, rec, centres, w1, b1, wr, w2, b2):
    """(RLS mean, first stage's mean, cascade mean, final mean, final 1/sigma) of the next sample."""
    mu1 = _clamp(pred.predict(w, h), centres)
    mu2 = _clamp(mu1 + nlms.predict(v1, r1), centres)
    mu = _clamp(mu2 + nlms.predict(v2, r2), centres)
    sigma = max(SIGMA_PER_MAE * mae[0], SIGMA_MIN)
    shift, factor = net.correction(x, z, rec, h, errors, mu, sigma, centres[0], centres[len(centres) - 1], w1, b1, wr,
                                   w2, b2)
    return mu1, mu2, mu, mu + shift * sigma, 1.0 / (sigma * factor)


@njit(cache=True, inline="always")
def _ahead(P, h, gain, r1, r2):
    """What the stages' learning needs but not the sample (pred.rls_gain, nlms.power): made before the
    sample is known, so the processor does it beside the range coder's work, not after it (the same
    operations in the same order: the same bits)."""
    den, trace = pred.rls_gain(P, h, gain, FORGET)
    return den, trace, nlms.power(r1), nlms.power(r2)


@njit(cache=True, inline="always")
def _observe(w, P, h, gain, v1, r1, v2, r2, mae, errors, order, step1, step2, t, y, mu1, mu2, mu, ahead):
    """Each stage learns from its own error once sample t (value y) is known."""
    den, trace, power1, power2 = ahead
    e = y - mu
    mae[0] += max(MAE_RATE, 1.0 / (t + 1)) * (abs(e) - mae[0])
    net.push_error(errors, e)
    nlms.update(v2, r2, step2, e, y - mu2, power2)
    nlms.update(v1, r1, step1, y - mu2, y - mu1, power1)
    pred.learn(w, P, h, gain, y - mu1, y, order, FORGET, den, trace)


# How the sigma is corrected after the head (a shape's bits 2 and 3)
PLAIN, CONTEXT, BURST = 0, 1, 2


@njit(cache=True, inline="always")
def _mode(shape):
    return BURST if has_burst(shape) else CONTEXT if has_context(shape) else PLAIN


@njit(cache=True, inline="always")
def _cumulative(k, n_bins, edges, mean, inv_coded, table, scales, warped):
    if warped:
        return warp.cumulative(k, n_bins, edges, mean, (inv_coded, scales[2]), table)
    return dist.cumulative(k, n_bins, edges, mean, inv_coded, table)


@njit(cache=True, inline="always")
def _find_bin(target, n_bins, edges, mean, inv_coded, table, cells, scales, warped):
    if warped:
        return warp.find_bin(target, n_bins, edges, mean, inv_coded, scales[2], table, cells)
    return dist.find_bin(target, n_bins, edges, mean, inv_coded, table, cells)


@njit(cache=True, inline="always")
def _coded(inv_sigma, scales, u, mode):
    """1/sigma the sample is coded with: the context scale's factor applied where the shape has it."""
    if mode == CONTEXT:
        return inv_sigma / cs.factor(scales[0])
    if mode == BURST:
        return inv_sigma / cs.burst_factor(scales[1], u)
    return inv_sigma


@njit(cache=True, inline="always")
def _learn(scales, u, z, z_coded, mode, warped):
    """The scales learn from the residual z before them, the warp from z_coded, in the sigma coded with."""
    if mode == CONTEXT:
        cs.learn(scales[0], z)
    elif mode == BURST:
        cs.learn_burst(scales[1], z, u)
    if warped:
        warp.learn(scales[2], z_coded)


@njit(cache=True, inline="always")
def _u(bursts, i, mode):
    """The refs' surprise around sample i, where the shape reads it."""
    return bursts[i] if mode == BURST else 0.0


# The loops run on state the caller allocated and sliced, compiled without numba's reference counting
# (_nrt=False): with the views made inside them, counting references took 30% of the decoder's time. Each
# takes its samples' loop once per mode, inlined with mode a constant, so that the loop without the context
# scale carries none of its work (tested against one loop with the branch inside: 14% slower decoding); the
# head's arrays go in as one tuple, since Python passes a call of more than 30 arguments as *args, which
# numba does not inline.
# zs, where it has a row a sample, gets each sample's surprise (mo.surprise of its residual before the
# context scale): what the refs' context of a channel linked to this one reads.

@njit(cache=True, inline="always")
def _encode_samples(idx, aux, bursts, edges, centres, table, head, shape, w, P, h, gain, v1, r1, v2, r2, mae, errors,
                    x, z, rec, scales, st, out, trace, zs, mode, warped):
    w1, b1, wr, w2, b2 = head
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    order, _, step1, _, step2 = shape_of(shape)
    for i in range(len(idx)):
        pred.set_inputs(h, aux, i, order)
        mu1, mu2, mu, mean, inv_sigma = _predict(w, h, v1, r1, v2, r2, mae, errors, x, z, rec, centres, w1, b1, wr, w2,
                                                 b2)
        u = _u(bursts, i, mode)
        inv_coded = _coded(inv_sigma, scales, u, mode)
        ahead = _ahead(P, h, gain, r1, r2)
        k = idx[i]
        lo = _cumulative(k, n_bins, edges, mean, inv_coded, table, scales, warped)
        hi = _cumulative(k + 1, n_bins, edges, mean, inv_coded, table, scales, warped)
        rc.encode(st, out, lo, hi - lo, total)
        if len(trace):
            trace[i, 0] = np.log2(total / (hi - lo))
            trace[i, 1] = (centres[k] - mean) * inv_coded
        if len(zs):
            zs[i] = mo.surprise(centres[k], mean, inv_sigma)
        _learn(scales, u, (centres[k] - mean) * inv_sigma, (centres[k] - mean) * inv_coded, mode, warped)
        _observe(w, P, h, gain, v1, r1, v2, r2, mae, errors, order, step1, step2, i, centres[k], mu1, mu2, mu, ahead)


@njit(cache=True, _nrt=False)
def encode_loop(idx, aux, bursts, edges, centres, table, w1, b1, wr, w2, b2, shape, w, P, h, gain, v1, r1, v2, r2,
                mae, errors, x, z, rec, ctx, bctx, wp, st, out, trace, zs):
    """The encoder's loop on allocated state (views); trace, where it has rows, gets each sample's ideal
    code length in bits and its residual in the sigmas it was coded with (spikey/report); bursts: the refs'
    surprise around each sample (read by a shape with the refs' context only)."""
    head, scales, mode, warped = (w1, b1, wr, w2, b2), (ctx, bctx, wp), _mode(shape), has_warp(shape)
    if mode == BURST:
        _encode_samples(idx, aux, bursts, edges, centres, table, head, shape, w, P, h, gain, v1, r1, v2, r2, mae,
                        errors, x, z, rec, scales, st, out, trace, zs, BURST, warped)
    elif mode == CONTEXT:
        _encode_samples(idx, aux, bursts, edges, centres, table, head, shape, w, P, h, gain, v1, r1, v2, r2, mae,
                        errors, x, z, rec, scales, st, out, trace, zs, CONTEXT, warped)
    else:
        _encode_samples(idx, aux, bursts, edges, centres, table, head, shape, w, P, h, gain, v1, r1, v2, r2, mae,
                        errors, x, z, rec, scales, st, out, trace, zs, PLAIN, False)


@njit(cache=True, inline="always")
def _decode_samples(buf, aux, bursts, edges, centres, cells, table, head, shape, w, P, h, gain, v1, r1, v2, r2, mae,
                    errors, x, z, rec, scales, st, idx, zs, mode, warped):
    w1, b1, wr, w2, b2 = head
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    order, _, step1, _, step2 = shape_of(shape)
    for i in range(len(idx)):
        pred.set_inputs(h, aux, i, order)
        mu1, mu2, mu, mean, inv_sigma = _predict(w, h, v1, r1, v2, r2, mae, errors, x, z, rec, centres, w1, b1, wr, w2,
                                                 b2)
        u = _u(bursts, i, mode)
        inv_coded = _coded(inv_sigma, scales, u, mode)
        ahead = _ahead(P, h, gain, r1, r2)
        target = rc.decode_target(st, total)
        if target < 0:
            rc.mark_undecodable(idx, i)
            break
        k, lo, hi = _find_bin(target, n_bins, edges, mean, inv_coded, table, cells, scales, warped)
        rc.decode_consume(st, buf, lo, hi - lo)
        if len(zs):
            zs[i] = mo.surprise(centres[k], mean, inv_sigma)
        _learn(scales, u, (centres[k] - mean) * inv_sigma, (centres[k] - mean) * inv_coded, mode, warped)
        _observe(w, P, h, gain, v1, r1, v2, r2, mae, errors, order, step1, step2, i, centres[k], mu1, mu2, mu, ahead)
        idx[i] = k


@njit(cache=True, _nrt=False)
def _decode_loop(buf, aux, bursts, edges, centres, cells, table, w1, b1, wr, w2, b2, shape, w, P, h, gain, v1, r1, v2,
                 r2, mae, errors, x, z, rec, ctx, bctx, wp, st, idx, zs):
    head, scales, mode, warped = (w1, b1, wr, w2, b2), (ctx, bctx, wp), _mode(shape), has_warp(shape)
    if mode == BURST:
        _decode_samples(buf, aux, bursts, edges, centres, cells, table, head, shape, w, P, h, gain, v1, r1, v2, r2,
                        mae, errors, x, z, rec, scales, st, idx, zs, BURST, warped)
    elif mode == CONTEXT:
        _decode_samples(buf, aux, bursts, edges, centres, cells, table, head, shape, w, P, h, gain, v1, r1, v2, r2,
                        mae, errors, x, z, rec, scales, st, idx, zs, CONTEXT, warped)
    else:
        _decode_samples(buf, aux, bursts, edges, centres, cells, table, head, shape, w, P, h, gain, v1, r1, v2, r2,
                        mae, errors, x, z, rec, scales, st, idx, zs, PLAIN, False)


@njit(cache=True, nogil=True)
def encode_cascade(idx, aux, bursts, edges, centres, table, w1, b1, wr, w2, b2, shape, zs):
    """Range-coded payload of bin indices idx by the cascade of that shape; aux[i]: the refs' inputs to
    sample i's RLS (no columns: none); bursts[i]: the refs' surprise around sample i (a row a sample where
    the shape has the refs' context); zs: each sample's surprise, where it has a row a sample."""
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    encode_loop(idx, aux, bursts, edges, centres, table, w1, b1, wr, w2, b2, shape,
                *new_views(shape, b1, wr, aux, table), st, out, np.empty((0, 2)), zs)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True, nogil=True)
def decode_cascade(buf, n_samples, aux, bursts, edges, centres, cells, table, w1, b1, wr, w2, b2, shape, zs):
    idx = np.empty(n_samples, dtype=np.int32)
    _decode_loop(buf, aux, bursts, edges, centres, cells, table, w1, b1, wr, w2, b2, shape,
                 *new_views(shape, b1, wr, aux, table), rc.decoder_new(buf), idx, zs)
    return idx
