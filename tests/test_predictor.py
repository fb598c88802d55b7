import math

import numpy as np

from spikey import predictor as pred


def run(signal, var_rate=pred.VAR_RATE):
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, pred.VAR_INIT)
    errors = []
    for t, y in enumerate(signal):
        mu = pred.predict(w, h)
        errors.append(y - mu)
        pred.update(w, P, h, gain, var, var_rate, t, y, mu)
    return np.array(errors), w, P, var


def test_learns_a_resonance():
    rng = np.random.default_rng(0)
    x = np.zeros(6000)
    e = rng.normal(0, 1, len(x))
    for t in range(2, len(x)):
        x[t] = 1.8 * x[t - 1] - 0.9 * x[t - 2] + e[t]
    errors, w, _, var = run(x)
    assert abs(w[0] - 1.8) < 0.1 and abs(w[1] + 0.9) < 0.1
    assert 0.8 < np.mean(errors[-2000:] ** 2) < 1.2
    assert 0.5 < var[0] < 2.0


def test_stays_finite_on_constant_input():
    errors, w, P, var = run(np.full(200_000, 3.0))
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(P))
    assert np.all(errors[100:] == 0.0)
    assert 1.0 / pred.scale(var) <= math.sqrt(pred.VAR_MIN) * 1.0001
