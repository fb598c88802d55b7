"""MiddleOut: a linked channel's coded Gaussian moved by its refs' surprises (the max level).

Every channel leaves, per sample, its *surprise* z = (y - m) / sigma, clipped to +-Z_CLIP: how far
its sample fell from the mean m it was coded with, in its own sigmas (the seed design's "latent" of a
lead). A linked channel at a level with `middleout` on takes its refs' surprises at t+1, t and t-1
(they are coded first, whole) and moves its mean by c . z_refs of its sigmas. c is learned online,
per channel and block, by the predictor's own RLS (spikey/predictor.py) on the channel's surprise
before the move: how much of a neighbour's surprise reaches this lead is learned where it happens, so
no table is fitted to one kind of recording. The RLS regressor takes the refs' samples (their shared
signal); this stage takes what the refs' predictors did not expect (their shared news).
"""
from spikey import predictor as pred
from spikey.jit import njit

Z_CLIP = 8.0      # a surprise beyond 8 sigmas says no more than one of 8: rails and glitches stay bounded


@njit(cache=True)
def reset(c, P):
    """Nothing learned yet: no move."""
    c[:] = 0.0
    P[:, :] = 0.0
    for i in range(len(c)):
        P[i, i] = pred.P_INIT


@njit(cache=True, inline="always")
def move(c, zr):
    """The mean's move in sigmas for refs' surprises zr (one row: t+1, t, t-1 per ref, header order):
    the stage's RLS prediction."""
    return pred.predict(c, zr)


@njit(cache=True, inline="always")
def surprise(y, mean, inv_sigma):
    z = (y - mean) * inv_sigma
    if not (z >= -Z_CLIP):      # also catches NaN
        z = -Z_CLIP
    if z > Z_CLIP:
        z = Z_CLIP
    return z


@njit(cache=True, inline="always")
def learn(c, P, gain, zr, target, moved):
    """After the sample: target is the channel's surprise before the move, moved what c predicted."""
    if not pred.rls(c, P, zr, gain, target - moved):
        reset(c, P)

