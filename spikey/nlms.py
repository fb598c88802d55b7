"""Cascade stage: a normalised LMS on the residuals of the stage before it.

A least-squares predictor fits the mean of the squared error: a recording whose bursts or slow waves
it tracks late leaves structure in its residual that a second, cheaper learner with a short memory
takes (sac, OptimFROG and Monkey's Audio cascade such stages). Per sample, with r the last TAPS
residuals of the stage before (newest first) and e the error of the cascade's prediction:
    predict: p = sum_i v[i] r[i]
    update:  v[i] += STEP e r[i] / (EPS + sum_i r[i]^2),   then r shifts in the new residual.
A step relative to the residuals' power makes it the same learner on quiet and loud channels. Only
IEEE basic operations in a fixed order, so its bits are the same on every machine. The taps are
len(v); a stage of no taps predicts 0 and learns nothing.
"""
from spikey.jit import njit
from spikey.predictor import predict  # noqa: F401  (the stage's prediction: the dot product v . r, in order)

EPS = 1.0                # a unit of the linearised axis, squared: no division by a silent channel's zeros


@njit(cache=True, inline="always")
def power(r):
    """EPS + sum_i r[i]^2: update's normaliser, which needs no error, so a loop makes it before its sample
    is known."""
    p = EPS
    for i in range(len(r)):
        p += r[i] * r[i]
    return p


@njit(cache=True, inline="always")
def update(v, r, step, e, residual, power):
    """Learn from the cascade's error e on the residuals r it predicted from (power: power(r)), then take in
    the stage before's newest residual."""
    n = len(v)
    if n == 0:
        return
    g = step * e / power
    for i in range(n):
        v[i] += g * r[i]
    for i in range(n - 1, 0, -1):
        r[i] = r[i - 1]
    r[0] = residual
