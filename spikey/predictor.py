"""Online predictor: recursive least squares on the linearised signal, with an adaptive error scale.

Runs sample by sample, identically in encoder and decoder, with no look-ahead. Only IEEE basic
operations in a fixed order feed the prediction, so its bits are the same on every machine and with
the JIT on or off. The state is plain arrays so that numba can keep it in registers and caches.
"""
import math

import numpy as np

from spikey import dense
from spikey.jit import njit

ORDER = 16
FORGET = 0.9999          # RLS forgetting factor: memory of ~10^4 samples (0.5 s)
P_INIT = 0.01            # initial inverse-correlation diagonal
P_TRACE_MAX = 1e6        # stop forgetting when the input carries no information (silence, rails)
VAR_RATE = 0.005         # error-variance tracking rate
VAR_INIT = 100.0
VAR_MIN = 1e-4


@njit(cache=True)
def reset(w, P):
    """The start of learning: predict the previous sample, know nothing yet. Also the way back from a
    state that is no longer finite."""
    w[:] = 0.0
    w[0] = 1.0
    P[:, :] = 0.0
    for i in range(len(w)):
        P[i, i] = P_INIT


@njit(cache=True)
def predictor_new(order, var_init):
    w = np.zeros(order)
    P = np.zeros((order, order))
    reset(w, P)
    h = np.zeros(order)      # recent linearised samples, newest first
    gain = np.zeros(order)
    var = np.array([var_init])
    return w, P, h, gain, var


@njit(cache=True, inline="always")
def predict(w, h):
    mu = 0.0
    for i in range(len(w)):
        mu += w[i] * h[i]
    return mu


@njit(cache=True, inline="always")
def scale(var):
    """1/sigma of the predictive Gaussian."""
    return 1.0 / math.sqrt(max(var[0], VAR_MIN))


@njit(cache=True, inline="always")
def set_inputs(h, aux, i, order):
    """The other channels' inputs to the prediction of sample i (aux's row i), after the channel's own
    order past values in the regressor h."""
    for j in range(aux.shape[1]):
        h[order + j] = aux[i, j]


@njit(cache=True, inline="always")
def update(w, P, h, gain, var, var_rate, t, y, mu):
    """Learn from sample t, whose linearised value is y and prediction was mu.

    h is the regressor: the channel's last ORDER values, newest first, then any other inputs (other
    channels' samples, spikey/coder.py), which the caller sets before each prediction. Only the
    channel's own history is shifted here.

    var_rate 0 keeps the error scale fixed (an ablation); otherwise it starts as a running mean.
    """
    den, trace = rls_gain(P, h, gain, FORGET)
    update_gained(w, P, h, gain, var, var_rate, t, y, mu, den, trace)


@njit(cache=True, inline="always")
def update_gained(w, P, h, gain, var, var_rate, t, y, mu, den, trace):
    """update, its RLS gain already made (rls_gain with FORGET, before the sample was known)."""
    e = y - mu
    if t > 0 and var_rate > 0:
        var[0] += max(var_rate, 1.0 / (t + 1)) * (e * e - var[0])
    learn(w, P, h, gain, e, y, ORDER, FORGET, den, trace)


@njit(cache=True, inline="always")
def learn(w, P, h, gain, e, y, order, forget, den, trace):
    """The RLS step on an error e (its gain made by rls_gain before the sample was known: den, trace), a
    fresh start where it is no longer finite, then y shifted into the channel's own order past values (h's
    first entries)."""
    if not rls_step(w, P, gain, e, den, trace, forget):
        reset(w, P)
    for i in range(order - 1, 0, -1):
        h[i] = h[i - 1]
    h[0] = y


@njit(cache=True, inline="always")
def rls(w, P, h, gain, e, forget_factor):
    """One recursive-least-squares step of weights w (inverse correlation P) on regressor h, whose
    prediction w.h missed by e; gain is scratch. False where P's trace (before the step) or the sum of
    w is no longer finite: the caller starts over. Also the MiddleOut stage's (spikey/middleout.py).

    No sum is reordered for speed: each gain[i] and each P[i, j] is computed in the same order as the
    plain formula, so the bits match the interpreter's.
    """
    den, trace = rls_gain(P, h, gain, forget_factor)
    return rls_step(w, P, gain, e, den, trace, forget_factor)


@njit(cache=True, inline="always")
def rls_gain(P, h, gain, forget_factor):
    """(den, trace): the part of an RLS step that needs no error, so a loop may make it before its sample
    is known, beside the range coder's work: gain = P h, den = forget + h . gain, and P's trace."""
    n = len(gain)
    trace = 0.0
    for i in range(n):
        trace += P[i, i]
        gain[i] = 0.0
    dense.vecmat(gain, gain, h, P)      # gain = P h = h P: P is symmetric
    den = forget_factor
    for i in range(n):
        den += h[i] * gain[i]
    return den, trace


@njit(cache=True, inline="always")
def rls_step(w, P, gain, e, den, trace, forget_factor):
    """The rest of rls once the error e is known."""
    n = len(w)
    step = e / den
    inv_den = 1.0 / den
    forget = 1.0 / forget_factor if trace < P_TRACE_MAX else 1.0
    wsum = 0.0
    for i in range(n):
        w[i] += gain[i] * step
        wsum += w[i]
    for i in range(n):          # (g_i g_j) / den is symmetric in i, j, so P stays exactly symmetric
        gi = gain[i]
        for j in range(n):
            P[i, j] = (P[i, j] - (gi * gain[j]) * inv_den) * forget
    return math.isfinite(trace) and math.isfinite(wsum)
