from dataclasses import replace

import numpy as np
import pytest

from conftest import bursts, cascade_sizes, channels_of, shared_bursts
from spikey import SpikeyError, bins, codec, profiles
from spikey import contextscale as cs
from spikey.model import NO_HEAD, default


def _state():
    c = np.zeros(cs.SIZE)
    cs.reset(c)
    return c


def _on_lattice(x):
    """(bin table, bin indices) of samples x on the lattice of every integer they span."""
    table = bins.lattice_table(int(x.min()), 1, 0, int(x.max()) - int(x.min()))
    return table, table.indices(x)[0].astype(np.int32)


def test_a_cell_counts_the_edges_at_or_below_a_size():
    assert [cs._cell(a) for a in (0.0, 0.2, 0.25, 1.0, 1.2, 16.0, 1e9)] == [0, 0, 1, 5, 5, 13, 13]
    assert cs.CELLS == 14 and (np.diff(cs.EDGES) > 0).all()


def test_the_factor_starts_at_one_and_learns_what_follows_each_size():
    c = _state()
    assert cs.factor(c) == 1.0
    for _ in range(2000):            # 8 sigmas are followed by 3, 3 by 0.1, 0.1 by 8
        for z in (8.0, 3.0, 0.1):
            cs.learn(c, z)
    cs.learn(c, 8.0)
    assert cs.factor(c) == pytest.approx(3.0 / cs.MEAN_ABS)
    cs.learn(c, 3.0)
    assert cs.factor(c) == cs.FACTOR_MIN         # 0.1 / MEAN_ABS, clamped
    cs.learn(c, 0.1)
    assert cs.factor(c) == cs.FACTOR_MAX         # 8 / MEAN_ABS, clamped


def test_a_residual_past_the_cap_or_not_a_number_counts_as_the_cap():
    for z in (np.nan, 1e300, -1e300):
        c = _state()                 # the current cell at the start: that of a residual of 1
        cs.learn(c, z)
        assert c[cs._cell(1.0)] == pytest.approx(cs.MEAN_ABS + cs.RATE * (cs.Z_CAP - cs.MEAN_ABS))
        assert c[cs.CELLS] == len(cs.EDGES) and np.isfinite(c).all()


@pytest.mark.parametrize("loop", profiles.CASCADES)
def test_every_cascade_loop_round_trips(loop):
    table, idx = _on_lattice(bursts(6000).ravel())
    model = default()
    u = np.abs(np.sin(np.arange(len(idx)) / 50.0)) * 10 if loop in profiles.BURSTS else None
    encoded, decoded = np.empty(len(idx)), np.empty(len(idx))
    payload = model.encode_cascade(table, idx, profiles.shape(loop), NO_HEAD, None, u, encoded)
    back = model.decode_cascade(table, payload, len(idx), profiles.shape(loop), NO_HEAD, None, u, decoded)
    assert np.array_equal(back, idx) and np.array_equal(encoded, decoded)
    assert np.abs(encoded).max() <= 8.0 and np.abs(encoded).max() > 1.0      # surprises, clipped as MiddleOut's


def test_the_refs_context_learns_per_size_and_refs_surprise():
    c = np.zeros(cs.BURST_SIZE)
    cs.reset_burst(c)
    assert cs.burst_factor(c, 0.0) == 1.0 and cs.burst_factor(c, 100.0) == 1.0
    for _ in range(3000):            # after a residual of 1: 6 where the refs surprise by 5, 0.5 where they do not
        cs.learn_burst(c, 1.0, 0.0)
        cs.learn_burst(c, 0.5, 0.1)
        cs.learn_burst(c, 1.0, 0.0)
        cs.learn_burst(c, 6.0, 5.0)
    cs.learn_burst(c, 1.0, 0.0)
    assert cs.burst_factor(c, 5.0) == pytest.approx(6.0 / cs.MEAN_ABS, rel=1e-3)
    assert cs.burst_factor(c, 0.1) == pytest.approx(0.5 / cs.MEAN_ABS, rel=1e-3)
    cs.learn_burst(c, np.nan, 0.0)   # NaN counts as the cap: the row of the largest sizes
    assert c[cs.BURST_CELLS] == cs.ROW * len(cs.COARSE) and np.isfinite(c).all()


def test_a_loop_with_the_refs_context_is_a_linked_records_only():
    table, idx = _on_lattice(bursts(3000).ravel())
    model = default()
    shape = profiles.shape(profiles.C8R)
    payload = model.encode_cascade(table, idx, shape, NO_HEAD, None, np.zeros(len(idx)))
    with pytest.raises(SpikeyError, match="corrupt stream"):
        model.decode_cascade(table, payload, len(idx), shape, NO_HEAD)
    level = profiles.PROFILES[profiles.index("default")]
    assert profiles.C8RW in codec._loops(level, True) and profiles.C8RW not in codec._loops(level, False)


def test_the_refs_context_codes_shared_bursts_shorter_and_the_default_level_takes_it(monkeypatch):
    """Two leads that burst together: the second's scale widens at a burst's first sample, where its own
    past cannot yet tell, since its ref (coded first, whole) already surprised there."""
    x = shared_bursts()
    encoded = codec.encode_samples(x, rate=30000)
    assert np.array_equal(codec.decode_samples(encoded), x)
    records = channels_of(encoded)
    assert records[1].linked and records[1].loop in (profiles.C8R, profiles.C8RW)     # warped or not
    level = profiles.index("default")
    without = replace(profiles.PROFILES[level], loops=tuple(p for p in profiles.PROFILES[level].loops
                                                            if p not in profiles.BURSTS))
    monkeypatch.setattr(profiles, "PROFILES", tuple(without if i == level else p
                                                    for i, p in enumerate(profiles.PROFILES)))
    assert len(encoded) < 0.99 * len(codec.encode_samples(x, rate=30000))


def test_the_context_scale_codes_bursts_shorter_and_the_default_level_takes_it():
    x = bursts(channels=2)
    size = cascade_sizes(x[:, 0], (profiles.C8, profiles.C8C))
    assert size[profiles.C8C] < 0.97 * size[profiles.C8]
    encoded = codec.encode_samples(x, rate=30000)
    assert np.array_equal(codec.decode_samples(encoded), x)
    assert {c.loop for c in channels_of(encoded)} <= {profiles.C8C, profiles.C8CW}       # warped or not
