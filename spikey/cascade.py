"""The cascade loop (loop 3): RLS -> normalised LMS on its residual -> a scale no burst throws off ->
learned head -> Gaussian bins -> range coder.

Built for the recordings the default loop (spikey/coder.py) was not shaped on: wideband cortex and
probe data, whose slow waves and bursts leave an RLS's residual with structure (spikey/nlms.py) and
its squared-error variance swinging. Per sample t, in order (docs/format.md section 4.8):
    mu1 = w.h                                 RLS of order ORDER (forgetting FORGET) and the refs' inputs
    mu  = mu1 + v.r                           nlms stage on the RLS's last residuals r
    sigma = SIGMA_PER_MAE * mae               mae: running mean of |y - mu|, rate MAE_RATE
    the head's shift and factor, as in the default loop, on (mu, sigma)
and once y is known, each stage learns from its own error: the RLS from y - mu1, the stage from y - mu.
An RLS of order 8 with the stage codes as well as order 16 alone (docs/model.md) at a quarter of the
O(n^2) update: this loop is also the cheap one to decode.
"""
import numpy as np

from spikey import distribution as dist
from spikey import network as net
from spikey import nlms
from spikey import predictor as pred
from spikey import rangecoder as rc
from spikey.jit import njit

ORDER = 8
FORGET = 0.99995         # a longer memory than the default loop's: the stage after it follows the fast changes
MAE_RATE = 1.0 / 32
SIGMA_PER_MAE = 1.2533141373155001      # sqrt(pi / 2): a Gaussian's sigma over its mean absolute deviation
SIGMA_MIN = 0.01         # the default loop's sqrt(VAR_MIN)


@njit(cache=True)
def _new_state(n_scratch, n_rec, n_aux):
    """One flat array: sample count, RLS (w, P, h, gain), stage (v, r), mae, head (errors, x, z, rec)."""
    n = ORDER + n_aux
    s = np.zeros(1 + n + n * n + n + n + 2 * nlms.TAPS + 1 + net.ERRORS + net.N_INPUTS + n_scratch + n_rec)
    w, P, h, gain, v, r, mae, errors, x, z, rec = _views(s, n_scratch, n_rec, n_aux)
    pred.reset(w, P)
    mae[0] = np.sqrt(pred.VAR_INIT) / SIGMA_PER_MAE
    return s


@njit(cache=True)
def _views(s, n_scratch, n_rec, n_aux):
    n = ORDER + n_aux
    sizes = (n, n * n, n, n, nlms.TAPS, nlms.TAPS, 1, net.ERRORS, net.N_INPUTS, n_scratch, n_rec)
    starts = np.cumsum(np.array((1,) + sizes))
    w = s[starts[0]:starts[1]]
    P = s[starts[1]:starts[2]].reshape((n, n))
    h = s[starts[2]:starts[3]]
    gain = s[starts[3]:starts[4]]
    v = s[starts[4]:starts[5]]
    r = s[starts[5]:starts[6]]
    mae = s[starts[6]:starts[7]]
    errors = s[starts[7]:starts[8]]
    x = s[starts[8]:starts[9]]
    z = s[starts[9]:starts[10]]
    return w, P, h, gain, v, r, mae, errors, x, z, s[starts[10]:starts[11]]


@njit(cache=True, inline="always")
def _clamp(mu, centres):
    """Within a unit of the table's ends (NaN to the lower one), as the default loop keeps its mean."""
    lo, hi = centres[0] - 1.0, centres[len(centres) - 1] + 1.0
    if not (mu >= lo):
        mu = lo
    return min(mu, hi)


@njit(cache=True, inline="always")
def _predict(w, h, v, r, mae, errors, x, z, rec, centres, w1, b1, wr, w2, b2):
    """(RLS mean, cascade mean, final mean, final 1/sigma) of the next sample."""
    mu1 = _clamp(pred.predict(w, h), centres)
    mu = _clamp(mu1 + nlms.predict(v, r), centres)
    sigma = max(SIGMA_PER_MAE * mae[0], SIGMA_MIN)
    net.inputs(x, h, errors, mu, sigma, centres[0], centres[len(centres) - 1])
    shift, factor = net.head(x, z, rec, w1, b1, wr, w2, b2)
    return mu1, mu, mu + shift * sigma, 1.0 / (sigma * factor)


@njit(cache=True, inline="always")
def _observe(w, P, h, gain, v, r, mae, errors, t, y, mu1, mu):
    """Each stage learns from its own error once sample t (value y) is known."""
    e = y - mu
    mae[0] += max(MAE_RATE, 1.0 / (t + 1)) * (abs(e) - mae[0])
    net.push_error(errors, e)
    nlms.update(v, r, e, y - mu1)
    pred.learn(w, P, h, gain, y - mu1, y, ORDER, FORGET)


@njit(cache=True, inline="always")
def _set_aux(h, aux, i):
    for j in range(aux.shape[1]):
        h[ORDER + j] = aux[i, j]


@njit(cache=True, nogil=True)
def encode_cascade(idx, aux, edges, centres, table, w1, b1, wr, w2, b2):
    """Range-coded payload of bin indices idx; aux[i]: the refs' inputs to sample i's RLS (no columns: none)."""
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    s = _new_state(*net.state_sizes(b1, wr), aux.shape[1])
    w, P, h, gain, v, r, mae, errors, x, z, rec = _views(s, *net.state_sizes(b1, wr), aux.shape[1])
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    for i in range(len(idx)):
        _set_aux(h, aux, i)
        mu1, mu, mean, inv_sigma = _predict(w, h, v, r, mae, errors, x, z, rec, centres, w1, b1, wr, w2, b2)
        k = idx[i]
        lo = dist.cumulative(k, n_bins, edges, mean, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_bins, edges, mean, inv_sigma, table)
        rc.encode(st, out, lo, hi - lo, total)
        _observe(w, P, h, gain, v, r, mae, errors, i, centres[k], mu1, mu)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True, nogil=True)
def decode_cascade(buf, n_samples, aux, edges, centres, cells, table, w1, b1, wr, w2, b2):
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    s = _new_state(*net.state_sizes(b1, wr), aux.shape[1])
    w, P, h, gain, v, r, mae, errors, x, z, rec = _views(s, *net.state_sizes(b1, wr), aux.shape[1])
    st = rc.decoder_new(buf)
    idx = np.empty(n_samples, dtype=np.int32)
    for i in range(n_samples):
        _set_aux(h, aux, i)
        mu1, mu, mean, inv_sigma = _predict(w, h, v, r, mae, errors, x, z, rec, centres, w1, b1, wr, w2, b2)
        target = rc.decode_target(st, total)
        if target < 0:
            rc.mark_undecodable(idx, i)
            break
        k, lo, hi = dist.find_bin(target, n_bins, edges, mean, inv_sigma, table, cells)
        rc.decode_consume(st, buf, lo, hi - lo)
        _observe(w, P, h, gain, v, r, mae, errors, i, centres[k], mu1, mu)
        idx[i] = k
    return idx
