"""Context scale: the coded sigma corrected by what the last residual's size says about the next one.

A scale tracked as a running mean (the cascade's mean absolute error) follows a burst late and its
Gaussian is too narrow at a burst's onset and too wide after it; on wideband cortex data, whose
residuals are heavy-tailed (kurtosis ~550), that costs about 1% (docs/model.md). This stage learns,
online, how large a residual is on average after one of each size, and widens or narrows the sigma
by that (a secondary estimation, as context mixing codecs do for probabilities). Per sample, with z
the last residual in the sigmas it was coded with before this stage, and c[j] the running mean of |z|
over the samples that followed a residual in cell j:
    cell(z)  = number of EDGES at or below |z|          (EDGES: 2^k and 3 * 2^(k-1), 1/4 .. 16)
    factor   = clamp(c[cell] / sqrt(2/pi), 1/4, 8)     (sqrt(2/pi): a Gaussian's mean |z|; so 1 at the start)
    sigma   *= factor
and once the sample is known, with z its residual before this stage:
    c[cell] += RATE * (min(|z|, Z_CAP) - c[cell]),  cell = cell(z).
The refs' context (loops 13-14) splits the cells by the linked refs' surprise too: u, the mean over the
channel's refs of each one's largest |surprise| at t-1, t and t+1 (codec.burst), says whether the leads
beside this one burst around this sample; 6 cells by the last |z| (COARSE) times 6 by u.
Only IEEE basic operations and comparisons on constants that are exact in binary, so its bits are the
same on every machine. The state is CELLS + 1 floats: the cells' means, then the current cell (the refs'
context: BURST_CELLS + 1, the current row last), at a rate of its own (BURST_RATE).
"""
import numpy as np

from spikey.jit import njit

EDGES = np.array([0.25, 0.375, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0])
CELLS = len(EDGES) + 1
MEAN_ABS = 0.7978845608028654       # sqrt(2 / pi): E|z| of a standard Gaussian
RATE = 1.0 / 128                    # each cell's memory: ~128 of the samples that fall in it
BURST_RATE = 1.0 / 64               # the refs' context's (its 36 cells against 14: oe_cortex8 -0.08% against 1/128)
Z_CAP = 32.0                        # a glitch counts as a burst, not as a hundred of them
FACTOR_MIN, FACTOR_MAX = 0.25, 8.0
SIZE = CELLS + 1
COARSE = np.array([0.5, 1.0, 2.0, 4.0, 8.0])      # the refs' context's edges, both ways
ROW = len(COARSE) + 1
BURST_CELLS = ROW * ROW
BURST_SIZE = BURST_CELLS + 1


@njit(cache=True)
def reset(c):
    """Nothing learned: every cell a Gaussian's mean |z|, so a factor of 1; the current cell is the one
    holding z = 1."""
    c[:CELLS] = MEAN_ABS
    c[CELLS] = _cell(1.0)


@njit(cache=True, inline="always")
def _below(edges, a):
    """How many of the edges are at or below a (NaN: none): a's cell."""
    j = 0
    for e in edges:
        if a >= e:
            j += 1
    return j


@njit(cache=True, inline="always")
def _cell(z):
    return _below(EDGES, z)


@njit(cache=True, inline="always")
def factor(c):
    """What the next sample's sigma is multiplied by."""
    return min(max(c[np.int64(c[CELLS])] / MEAN_ABS, FACTOR_MIN), FACTOR_MAX)


@njit(cache=True, inline="always")
def learn(c, z):
    """After a sample whose residual before this stage was z sigmas (NaN counts as Z_CAP)."""
    a = abs(z)
    if not (a <= Z_CAP):
        a = Z_CAP
    j = np.int64(c[CELLS])
    c[j] += RATE * (a - c[j])
    c[CELLS] = _cell(a)


@njit(cache=True)
def reset_burst(c):
    """The refs' context with nothing learned: a factor of 1; the current row the one holding z = 1."""
    c[:BURST_CELLS] = MEAN_ABS
    c[BURST_CELLS] = ROW * _coarse(1.0)


@njit(cache=True, inline="always")
def _coarse(u):
    return _below(COARSE, u)


@njit(cache=True, inline="always")
def burst_factor(c, u):
    """What the next sample's sigma is multiplied by, its refs' surprise around it u."""
    return min(max(c[np.int64(c[BURST_CELLS]) + _coarse(u)] / MEAN_ABS, FACTOR_MIN), FACTOR_MAX)


@njit(cache=True, inline="always")
def learn_burst(c, z, u):
    """After a sample whose residual before this stage was z sigmas (NaN counts as Z_CAP), u as in burst_factor."""
    a = abs(z)
    if not (a <= Z_CAP):
        a = Z_CAP
    j = np.int64(c[BURST_CELLS]) + _coarse(u)
    c[j] += BURST_RATE * (a - c[j])
    c[BURST_CELLS] = ROW * _coarse(a)
