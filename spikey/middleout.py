"""MiddleOut: a linked channel's coded Gaussian moved by its refs' surprises (the max level).

Every channel leaves, per sample, its *surprise* z = (y - m) / sigma, clipped to +-Z_CLIP: how far
its sample fell from the mean m it was coded with, in its own sigmas (the seed design's "latent" of a
lead). A linked channel at a level with `middleout` on takes its refs' surprises at t+1, t and t-1
(they are coded first, whole) and moves its mean by c . z_refs of its sigmas. c is learned online,
per channel and block, by the predictor's own RLS (spikey/predictor.py) on the channel's surprise
before the move: how much of a neighbour's surprise reaches this lead is learned where it happens, so
no table is fitted to one kind of recording. The RLS regressor takes the refs' samples (their shared
signal); this stage takes what the refs' predictors did not expect (their shared news).

moves (n, 3R) holds the refs' surprises, one row a sample; with no columns there is no stage.
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
def surprise(y, mean, inv_sigma):
    z = (y - mean) * inv_sigma
    if not (z >= -Z_CLIP):      # also catches NaN
        z = -Z_CLIP
    if z > Z_CLIP:
        z = Z_CLIP
    return z


@njit(cache=True, inline="always")
def moved(c, moves, i, mean, inv_sigma):
    """(the mean sample i is coded with, the move in sigmas: the stage's RLS prediction c . moves[i])."""
    if moves.shape[1] == 0:
        return mean, 0.0
    move = pred.predict(c, moves[i])
    return mean + move / inv_sigma, move


@njit(cache=True, inline="always")
def learn(c, P, gain, moves, i, y, mean, inv_sigma, move):
    """After sample i (value y): the target is the channel's surprise before the move (mean unmoved)."""
    if moves.shape[1] > 0 and not pred.rls(c, P, moves[i], gain, surprise(y, mean, inv_sigma) - move, pred.FORGET):
        reset(c, P)
