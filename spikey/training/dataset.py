"""Training examples for the learned head: run the online predictor over a recording, exactly as the
coder does, and keep, at chosen positions, the head's inputs and the coded sample's bin edges in units
of the online sigma (the loss needs nothing else), and where the sample sat, for learning the code widths.
The cascade loops' examples (cascade_examples) are built the same way, for measuring a head on other
recordings (bench/varied_head.py)."""
import numpy as np
from spikey.jit import njit

from spikey import cascade as ca
from spikey import contextscale as cs
from spikey import distribution as dist
from spikey import network as net
from spikey import predictor as pred
from spikey.coder import observe, online
from spikey.bins import BinTable

OPEN_END = 1e4           # a standardised edge this far out stands for the open end bins of the rails


@njit(cache=True)
def _examples(idx, edges, centres, pick):
    n_bins = len(centres)
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, pred.VAR_INIT)
    errors = np.zeros(net.ERRORS)
    inputs = np.zeros((pick.sum(), net.N_INPUTS), np.float32)
    bins = np.zeros((pick.sum(), 2), np.float32)
    where = np.zeros((pick.sum(), 3), np.float64)     # bin, online mean, online sigma
    x = np.zeros(net.N_INPUTS)
    j = 0
    for t in range(len(idx)):
        mu, sigma = online(w, h, var, centres)
        k = idx[t]
        if pick[t]:
            net.inputs(x, h, errors, mu, sigma, centres[0], centres[n_bins - 1])
            inputs[j] = x
            bins[j, 0] = (edges[k] - mu) / sigma if k > 0 else -OPEN_END
            bins[j, 1] = (edges[k + 1] - mu) / sigma if k < n_bins - 1 else OPEN_END
            where[j, 0], where[j, 1], where[j, 2] = k, mu, sigma
            j += 1
        observe(w, P, h, gain, var, errors, pred.VAR_RATE, t, centres[k], mu)
    return inputs, bins, where


def examples(samples: np.ndarray, per_file: int, seed: int, table: BinTable):
    """(inputs, bins, (bin, mean, sigma)) at per_file random positions of a recording (all if per_file is 0)."""
    idx, _ = table.indices(samples)
    pick = np.zeros(len(idx), bool)
    if per_file and per_file < len(idx):
        pick[np.random.default_rng(seed).choice(len(idx), per_file, replace=False)] = True
    else:
        pick[:] = True
    return _examples(idx, table.edges, table.centres, pick)


@njit(cache=True)
def _cascade_examples(idx, edges, centres, w1, b1, wr, w2, b2, shape):
    aux = np.zeros((len(idx), 0))
    w, P, h, gain, v1, r1, v2, r2, mae, errors, x, z, rec, ctx, bctx, wp = ca.new_views(shape, b1, wr, aux,
                                                                                     dist.GAUSSIAN_CDF)
    order, _, step1, _, step2 = ca.shape_of(shape)
    n_bins = len(centres)
    inputs = np.zeros((len(idx), net.N_INPUTS), np.float32)
    bins = np.zeros((len(idx), 2), np.float32)
    for t in range(len(idx)):
        pred.set_inputs(h, aux, t, order)
        mu1, mu2, mu, mean, inv_sigma = ca._predict(w, h, v1, r1, v2, r2, mae, errors, x, z, rec, centres, w1, b1, wr,
                                                    w2, b2)
        inv_coded = ca._coded(inv_sigma, (ctx, bctx, wp), 0.0, ca.CONTEXT if ca.has_context(shape) else ca.PLAIN)
        k = idx[t]
        inputs[t] = x
        bins[t, 0] = (edges[k] - mean) * inv_coded if k > 0 else -OPEN_END
        bins[t, 1] = (edges[k + 1] - mean) * inv_coded if k < n_bins - 1 else OPEN_END
        if ca.has_context(shape):
            cs.learn(ctx, (centres[k] - mean) * inv_sigma)
        ca._observe(w, P, h, gain, v1, r1, v2, r2, mae, errors, order, step1, step2, t, centres[k], mu1, mu2, mu,
                    ca._ahead(P, h, gain, r1, r2))
    return inputs, bins


def cascade_examples(idx, table: BinTable, shape: int):
    """(inputs, bins) at every sample of bin indices idx, coded alone by the cascade loop of that shape
    (spikey/cascade.py) with no head, as the codec runs it; bins in units of the sigma it codes with
    (the context scale's included), so a head trained on them corrects what that loop leaves. The loop runs
    with a head of one zero unit: it codes as no head does, but computes the inputs (NO_HEAD's skips them)."""
    return _cascade_examples(idx, table.edges, table.centres, *(a[0] for a in net.untrained_heads(1)), shape)
