from dataclasses import replace

import numpy as np
import pytest

from conftest import cascade_sizes, channels_of, heavy_tailed
from spikey import bins, codec, profiles, warp
from spikey import distribution as dist

TABLE = dist.GAUSSIAN_CDF
ZS = np.concatenate((np.linspace(-80.0, 80.0, 40001), [-1e300, 1e300, 0.0, -0.0, 4.999999, 5.0, 7.999999, 8.0]))


def _state():
    s = np.zeros(warp.SIZE)
    warp.reset(s, TABLE)
    return s


def _cdf(s, zs=ZS):
    return np.array([warp.cdf(z, s, TABLE) for z in np.sort(zs)])


def _learned(zs):
    s = _state()
    for z in zs:
        warp.learn(s, z)
    return s


def test_it_starts_as_the_gaussian_and_its_masses_sum_to_half():
    s = _state()
    assert s[:warp.CELLS].sum() == warp.HALF
    core = ZS[np.abs(ZS) < warp.CORE]
    # the same to 2^-24: the sides mirror the table's upper half, whose rounding is not quite symmetric
    assert all(abs(warp.cdf(z, s, TABLE) - dist.phi_fixed(z, TABLE)) <= 64 for z in core)
    assert warp.cdf(-1e300, s, TABLE) == 0 and warp.cdf(1e300, s, TABLE) == dist.CDF_ONE


@pytest.mark.parametrize("zs", [np.random.default_rng(0).standard_t(1.5, 20000),
                                np.full(5000, 6.0), np.full(5000, 0.1), np.array([np.nan, 1e300, -3.0])])
def test_learning_keeps_the_sum_exact_and_the_cdf_monotone_from_0_to_one(zs):
    s = _learned(zs)
    assert s[:warp.CELLS].sum() == warp.HALF and (s[:warp.CELLS] >= 0).all()
    assert (s[:warp.CELLS] == np.floor(s[:warp.CELLS])).all()         # integers, held exactly
    w = _cdf(s)
    assert (np.diff(w) >= 0).all() and w[0] == 0 and w[-1] == dist.CDF_ONE
    assert warp.cdf(0.0, s, TABLE) == warp.HALF


def test_the_mass_moves_to_the_cells_where_the_residuals_fall():
    s = _learned(np.full(20000, 6.0))          # all in the first tail cell, [5, 8)
    assert s[warp.CORE] > 0.99 * warp.HALF
    s = _learned(np.tile([0.2, -0.2, 9.0, -9.0], 5000))
    assert s[0] > 0.45 * warp.HALF and s[warp.CELLS - 1] > 0.45 * warp.HALF
    assert warp.cell(np.nan) == warp.CELLS - 1 and warp.cell(4.9) == 4 and warp.cell(5.0) == warp.CORE


def test_every_bin_keeps_a_frequency_and_the_total_is_the_gaussians():
    table = bins.lattice_table(-500, 1, 0, 1000)
    s = _learned(np.random.default_rng(1).standard_t(2.0, 5000) * 3)
    n = len(table.centres)
    c = [warp.cumulative(k, n, table.edges, 3.5, (0.05, s), TABLE) for k in range(n + 1)]
    assert c[0] == 0 and c[-1] == n + dist.CDF_ONE and (np.diff(c) >= 1).all()
    for target in range(0, n + dist.CDF_ONE, 9_999_991):       # the decoder's search finds each one's bin
        k, lo, hi = warp.find_bin(target, n, table.edges, 3.5, 0.05, s, TABLE, table.cells)
        assert lo == c[k] <= target < hi == c[k + 1]


def test_the_warp_codes_heavy_tails_shorter_and_the_default_level_takes_it(monkeypatch):
    x = heavy_tailed(channels=1)      # a random walk of Student-t steps
    size = cascade_sizes(x[:, 0], (profiles.C8C, profiles.C8CW))
    assert size[profiles.C8CW] < 0.99 * size[profiles.C8C]
    encoded = codec.encode_samples(x, rate=30000)
    assert np.array_equal(codec.decode_samples(encoded), x)
    assert channels_of(encoded)[0].loop == profiles.C8CW
    level = profiles.index("default")
    without = replace(profiles.PROFILES[level], loops=tuple(p for p in profiles.PROFILES[level].loops
                                                            if p not in (profiles.C8CW, profiles.C8RW)))
    monkeypatch.setattr(profiles, "PROFILES", tuple(without if i == level else p
                                                    for i, p in enumerate(profiles.PROFILES)))
    assert len(encoded) < 0.99 * len(codec.encode_samples(x, rate=30000))
