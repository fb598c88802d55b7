"""Training examples for the learned head: run the online predictor over a recording, exactly as the
coder does, and keep, at chosen positions, the head's inputs and the coded sample's bin edges in units
of the online sigma (the loss needs nothing else), and where the sample sat, for learning the code widths."""
import numpy as np
from spikey.jit import njit

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
