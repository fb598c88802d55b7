"""The learned head: a small network that corrects the online predictor's Gaussian, sample by sample.

Inputs (all in units of the predictor's current sigma, so one network serves quiet and loud files):
the last HISTORY linearised samples relative to the online prediction, the online predictor's last
ERRORS errors, the sigma itself, and whether the last sample sat on either rail of the ADC. Outputs: a
shift of the mean (in sigmas) and a factor on sigma. The online predictor keeps learning from its own
errors, so the network's inputs never depend on the network: it trains as plain supervised learning.

Two kinds of head share one layout (weights/network.npz: w1, b1, wr, w2, b2, one slice per region):
- fully connected, wr with no rows: a = relu(b1 + x w1);
- LSTM ("latent projector" with memory), wr of H rows: z = b1 + x w1 + h wr holds the input, forget and
  output gates and the cell input in blocks of H; c = f c + i g; h = o clip(c); a = h. The state (h, c)
  runs from a file's first sample to its last.
Either way, shift = b2[0] + a w2[:, 0] and factor = 1 + b2[1] + a w2[:, 1].

Inference uses only multiply, add, max and min in float64 in a fixed order, so its outputs are the same
bits on every machine and with the JIT on or off: ReLU, and for the LSTM hard sigmoid and hard tanh
(clip(0.2 z + 0.5, 0, 1), clip(z, -1, 1)) instead of libm's sigmoid and tanh, in training too.
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
def _hard_sigmoid(v):
    return min(max(0.2 * v + 0.5, 0.0), 1.0)


@njit(cache=True, inline="always")
def correction(x, z, rec, h, errors, mu, sigma, rail_lo, rail_hi, w1, b1, wr, w2, b2):
    """The head's (mean shift in sigmas, sigma factor) for the predictor's state: inputs, then head. A head of
    no hidden units (a record with no head: untrained_heads) is its biases alone, shift 0 and factor 1, so
    its inputs, a division and a dozen products a sample, are not computed."""
    if len(b1) == 0:
        return b2[0], max(1.0 + b2[1], MIN_SCALE)
    inputs(x, h, errors, mu, sigma, rail_lo, rail_hi)
    return head(x, z, rec, w1, b1, wr, w2, b2)


@njit(cache=True, inline="always")
def head(x, z, rec, w1, b1, wr, w2, b2):
    """Mean shift (sigmas) and sigma factor from inputs x; z is scratch of len(b1), rec the LSTM's (h, c)."""
    dense.vecmat(z, b1, x, w1)
    shift = b2[0]
    factor = b2[1]
    n = wr.shape[0]
    if n == 0:
        for j in range(len(b1)):
            a = max(z[j], 0.0)
            shift += a * w2[j, 0]
            factor += a * w2[j, 1]
    else:
        h, c = rec[:n], rec[n:]
        dense.vecmat(z, z, h, wr)
        for j in range(n):
            g = min(max(z[3 * n + j], -1.0), 1.0)
            c[j] = _hard_sigmoid(z[n + j]) * c[j] + _hard_sigmoid(z[j]) * g
            h[j] = _hard_sigmoid(z[2 * n + j]) * min(max(c[j], -1.0), 1.0)
        for j in range(n):
            shift += h[j] * w2[j, 0]
            factor += h[j] * w2[j, 1]
    return shift, max(1.0 + factor, MIN_SCALE)


def load_heads(path):
    """Region heads from weights/network.npz as float64 arrays: w1 (R, in, Z), b1 (R, Z), wr (R, H, Z),
    w2 (R, A, 2), b2 (R, 2); fully connected: H = 0 (wr may be absent), A = Z; LSTM: Z = 4H, A = H."""
    z = npz.read(path)
    if "wr" not in z:
        z["wr"] = np.zeros((len(z["b1"]), 0, z["b1"].shape[-1]))
    heads = tuple(np.ascontiguousarray(z[k], dtype=np.float64) for k in ("w1", "b1", "wr", "w2", "b2"))
    w1, b1, wr, w2, b2 = heads
    n_rec, n_z = wr.shape[1], b1.shape[1]
    if w1.shape[1] != N_INPUTS:
        raise ValueError(f"network expects {w1.shape[1]} inputs, this code computes {N_INPUTS}")
    if not (w1.shape[2] == n_z == wr.shape[2] and w2.shape[1] == (n_rec or n_z) and (n_rec == 0 or n_z == 4 * n_rec)
            and w2.shape[2] == 2 and b2.shape[1] == 2 and len({len(a) for a in heads}) == 1):
        raise ValueError("network arrays do not fit together: " + ", ".join(str(a.shape) for a in heads))
    return heads


def untrained_heads(n_hidden=0):
    """A single head whose output is zero shift and factor 1: the online predictor alone. With no hidden
    units (NO_HEAD's) the coding loops skip it; with some, it runs as a trained head would (bench/speed.py)."""
    return (np.zeros((1, N_INPUTS, n_hidden)), np.zeros((1, n_hidden)), np.zeros((1, 0, n_hidden)),
            np.zeros((1, n_hidden, 2)), np.zeros((1, 2)))


@njit(cache=True, inline="always")
def state_sizes(b1, wr):
    """(scratch, recurrent state) float64 words a channel needs for a head with these arrays."""
    return len(b1), 2 * len(wr)


@njit(cache=True, inline="always")
def push_error(errors, e):
    for i in range(len(errors) - 1, 0, -1):
        errors[i] = errors[i - 1]
    errors[0] = e
