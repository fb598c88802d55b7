import dataclasses

import numpy as np
from scipy.signal import lfilter

from spikey import codec, profiles
from spikey import middleout as mo


def _learn(moves, target):
    """The stage run over rows of refs' surprises with targets given as surprises (mean 0, sigma 1)."""
    m = moves.shape[1]
    c, P, gain = np.zeros(m), np.zeros((m, m)), np.zeros(m)
    mo.reset(c, P)
    predicted = np.empty(len(moves))
    for i in range(len(moves)):
        _, predicted[i] = mo.moved(c, moves, i, 0.0, 1.0)
        mo.learn(c, P, gain, moves, i, target[i], 0.0, 1.0, predicted[i])
    return c, predicted


def test_the_stage_learns_how_much_of_a_neighbours_surprise_reaches_a_lead():
    rng = np.random.default_rng(0)
    zr = rng.normal(size=(20000, 3))
    target = 0.4 * zr[:, 1] + rng.normal(size=20000) * 0.9
    c, predicted = _learn(zr, target)
    assert abs(c[1] - 0.4) < 0.03 and abs(c[0]) < 0.03 and abs(c[2]) < 0.03
    late = slice(10000, None)
    assert np.mean((target[late] - predicted[late]) ** 2) < 0.85 * np.mean(target[late] ** 2)
    c, _ = _learn(np.full((100, 2), np.nan), np.zeros(100))      # never a state that is not finite
    assert np.isfinite(c).all()


def test_surprises_are_clipped_and_nan_is_the_lower_bound():
    assert mo.surprise(100.0, 0.0, 1.0) == mo.Z_CLIP and mo.surprise(-100.0, 0.0, 1.0) == -mo.Z_CLIP
    assert mo.surprise(np.nan, 0.0, 1.0) == -mo.Z_CLIP and mo.surprise(1.0, 0.5, 2.0) == 1.0


def test_max_moves_a_linked_channel_by_its_refs_surprises(monkeypatch):
    """A's innovations reach B, but A resonates: its innovation needs more of A's past than B's regressor
    holds (A at t+1, t, t-1), while A's surprise is the innovation itself."""
    rng = np.random.default_rng(1)
    news = rng.normal(size=(30000, 2)) * 20
    poles = [0.97 * np.exp(0.2j), 0.97 * np.exp(-0.2j), 0.95 * np.exp(0.9j), 0.95 * np.exp(-0.9j)]
    a = lfilter([1], np.real(np.poly(poles)), news[:, 0])
    b = lfilter([1], [1, -0.9], 0.7 * news[:, 0] + news[:, 1])
    x = np.stack([a, b], axis=1).round().astype(np.int16)
    with_stage = codec.encode_samples(x, level="max")
    assert np.array_equal(codec.decode_samples(with_stage), x)
    off = dataclasses.replace(profiles.PROFILES[2], loops=(profiles.RLS, profiles.LMS))
    monkeypatch.setattr(profiles, "PROFILES", (*profiles.PROFILES[:2], off))
    without = codec.encode_samples(x, level="max")
    assert len(with_stage) < 0.99 * len(without)
