"""The learned head: a small network that corrects the online predictor's Gaussian, sample by sample.

Inputs (all in units of the predictor's current sigma, so one network serves quiet and loud files):
the last HISTORY linearised samples relative to the online prediction, the online predictor's last
ERRORS errors, the sigma itself, and whether the last sample sat on either rail of the ADC. Outputs: a
shift of the mean (in sigmas) and a factor on sigma. The online predictor keeps learning from its own
errors, so the network's inputs never depend on the network: it trains as plain supervised learning.

Inference uses only multiply, add, max and min in float64 in a fixed order (ReLU, no libm functions),
so its outputs are the same bits on every machine and with the JIT on or off.
"""
import numpy as np

from spikey import dense, npz
from spikey.jit import njit

HISTORY = 8
ERRORS = 4
N_INPUTS = HISTORY + ERRORS + 3
SIGMA_UNIT = 16.0        # sigma enters as min(sigma, SIGMA_CAP) / SIGMA_UNIT
SIGMA_CAP = 64.0
MIN_SCALE = 0.1          # the head may shrink sigma at most tenfold


@njit(cache=True, inline="always")
def inputs(x, h, errors, mu, sigma, rail_lo, rail_hi):
    inv = 1.0 / sigma
    for i in range(HISTORY):
        x[i] = (h[i] - mu) * inv
    for i in range(ERRORS):
        x[HISTORY + i] = errors[i] * inv
    x[HISTORY + ERRORS] = min(sigma, SIGMA_CAP) / SIGMA_UNIT
    x[HISTORY + ERRORS + 1] = 1.0 if h[0] <= rail_lo else 0.0
    x[HISTORY + ERRORS + 2] = 1.0 if h[0] >= rail_hi else 0.0


@njit(cache=True, inline="always")
def head(x, hidden, w1, b1, w2, b2):
    """Mean shift (sigmas) and sigma factor from inputs x; hidden is scratch of len(b1)."""
    dense.vecmat(hidden, b1, x, w1)
    shift = b2[0]
    factor = b2[1]
    for j in range(len(b1)):
        a = max(hidden[j], 0.0)
        shift += a * w2[j, 0]
        factor += a * w2[j, 1]
    return shift, max(1.0 + factor, MIN_SCALE)


def load_heads(path):
    """Region heads from weights/network.npz as float64 arrays: w1 (R, in, H), b1 (R, H), w2 (R, H, 2), b2 (R, 2)."""
    z = npz.read(path)
    heads = tuple(np.ascontiguousarray(z[k], dtype=np.float64) for k in ("w1", "b1", "w2", "b2"))
    if heads[0].shape[1] != N_INPUTS:
        raise ValueError(f"{path}: network expects {heads[0].shape[1]} inputs, this code computes {N_INPUTS}")
    return heads


def untrained_heads(n_hidden=1):
    """A single head whose output is zero shift and factor 1: the online predictor alone."""
    return (np.zeros((1, N_INPUTS, n_hidden)), np.zeros((1, n_hidden)), np.zeros((1, n_hidden, 2)),
            np.zeros((1, 2)))


@njit(cache=True, inline="always")
def push_error(errors, e):
    for i in range(len(errors) - 1, 0, -1):
        errors[i] = errors[i - 1]
    errors[0] = e
