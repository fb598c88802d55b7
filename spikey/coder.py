"""Entropy coding of level indices: online predictor -> learned head -> Gaussian bins -> range coder.

Encoder and decoder run the same loop in the same order; the decoder learns each sample only after
decoding it, exactly as the encoder learns it only after coding it.
"""
import numpy as np
from numba import njit

from spikey import distribution as dist
from spikey import network as net
from spikey import predictor as pred
from spikey import rangecoder as rc


@njit(cache=True)
def _new_state(var_init, n_hidden):
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, var_init)
    return w, P, h, gain, var, np.zeros(net.ERRORS), np.zeros(net.N_INPUTS), np.zeros(n_hidden)


@njit(cache=True)
def online(w, h, var, centres):
    """The online predictor's mean, kept within a level of the table's ends, and sigma."""
    mu = pred.predict(w, h)
    lo, hi = centres[0] - 1.0, centres[len(centres) - 1] + 1.0
    if not (mu >= lo):      # also catches NaN
        mu = lo
    if mu > hi:
        mu = hi
    return mu, 1.0 / pred.scale(var)


@njit(cache=True)
def _distribution(w, h, var, errors, x, hidden, centres, w1, b1, w2, b2):
    """Online prediction, then the head's Gaussian: (online mean, final mean, final 1/sigma)."""
    mu, sigma = online(w, h, var, centres)
    net.inputs(x, h, errors, mu, sigma, centres[0], centres[len(centres) - 1])
    shift, factor = net.head(x, hidden, w1, b1, w2, b2)
    return mu, mu + shift * sigma, 1.0 / (sigma * factor)


@njit(cache=True)
def encode_levels(idx, edges, centres, table, var_init, var_rate, w1, b1, w2, b2):
    n_levels = len(centres)
    total = n_levels + dist.CDF_ONE
    w, P, h, gain, var, errors, x, hidden = _new_state(var_init, len(b1))
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    for t in range(len(idx)):
        mu, mean, inv_sigma = _distribution(w, h, var, errors, x, hidden, centres, w1, b1, w2, b2)
        k = idx[t]
        lo = dist.cumulative(k, n_levels, edges, mean, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_levels, edges, mean, inv_sigma, table)
        rc.encode(st, out, lo, hi - lo, total)
        net.push_error(errors, centres[k] - mu)
        pred.update(w, P, h, gain, var, var_rate, t, centres[k], mu)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True)
def decode_levels(buf, n_samples, edges, centres, table, var_init, var_rate, w1, b1, w2, b2):
    n_levels = len(centres)
    total = n_levels + dist.CDF_ONE
    w, P, h, gain, var, errors, x, hidden = _new_state(var_init, len(b1))
    st = rc.decoder_new(buf)
    idx = np.empty(n_samples, dtype=np.int32)
    for t in range(n_samples):
        mu, mean, inv_sigma = _distribution(w, h, var, errors, x, hidden, centres, w1, b1, w2, b2)
        target = rc.decode_target(st, total)
        k = dist.find_level(target, n_levels, edges, mean, inv_sigma, table)
        lo = dist.cumulative(k, n_levels, edges, mean, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_levels, edges, mean, inv_sigma, table)
        rc.decode_consume(st, buf, lo, hi - lo, total)
        net.push_error(errors, centres[k] - mu)
        pred.update(w, P, h, gain, var, var_rate, t, centres[k], mu)
        idx[t] = k
    return idx
