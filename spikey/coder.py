"""Entropy coding of level indices: predictor -> Gaussian bin probabilities -> range coder.

Encoder and decoder run the same loop in the same order; the decoder learns each sample only after
decoding it, exactly as the encoder learns it only after coding it.
"""
import numpy as np
from numba import njit

from spikey import distribution as dist
from spikey import predictor as pred
from spikey import rangecoder as rc


@njit(cache=True)
def _model_step(w, h, var, edges, mu_lo, mu_hi):
    mu = pred.predict(w, h)
    if not (mu >= mu_lo):      # also catches NaN
        mu = mu_lo
    if mu > mu_hi:
        mu = mu_hi
    return mu, pred.scale(var)


@njit(cache=True)
def encode_levels(idx, edges, centres, table, var_init, var_rate):
    n_levels = len(centres)
    total = n_levels + dist.CDF_ONE
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, var_init)
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    mu_lo, mu_hi = edges[0] - 1.0, edges[n_levels] + 1.0
    for t in range(len(idx)):
        mu, inv_sigma = _model_step(w, h, var, edges, mu_lo, mu_hi)
        k = idx[t]
        lo = dist.cumulative(k, n_levels, edges, mu, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_levels, edges, mu, inv_sigma, table)
        rc.encode(st, out, lo, hi - lo, total)
        pred.update(w, P, h, gain, var, var_rate, t, centres[k], mu)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True)
def decode_levels(buf, n_samples, edges, centres, table, var_init, var_rate):
    n_levels = len(centres)
    total = n_levels + dist.CDF_ONE
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, var_init)
    st = rc.decoder_new(buf)
    idx = np.empty(n_samples, dtype=np.int32)
    mu_lo, mu_hi = edges[0] - 1.0, edges[n_levels] + 1.0
    for t in range(n_samples):
        mu, inv_sigma = _model_step(w, h, var, edges, mu_lo, mu_hi)
        target = rc.decode_target(st, total)
        k = dist.find_level(target, n_levels, edges, mu, inv_sigma, table)
        lo = dist.cumulative(k, n_levels, edges, mu, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_levels, edges, mu, inv_sigma, table)
        rc.decode_consume(st, buf, lo, hi - lo, total)
        pred.update(w, P, h, gain, var, var_rate, t, centres[k], mu)
        idx[t] = k
    return idx
