import hashlib
import math

import numpy as np

from spikey import distribution as dist
from spikey.model import default


def test_table_is_the_gaussian_cdf():
    t = dist.GAUSSIAN_CDF
    z = (np.arange(len(t)) - dist.Z_MAX * dist.STEPS_PER_UNIT) / dist.STEPS_PER_UNIT
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z]) * dist.CDF_ONE
    assert np.max(np.abs(t - exact)) <= 1.0
    assert np.all(np.diff(t) >= 0) and t[0] == 0 and t[-1] == dist.CDF_ONE


def test_table_bits_are_fixed():
    # The table is part of the format: these values must never change without a new version.
    digest = hashlib.sha256(dist.GAUSSIAN_CDF.astype("<i8").tobytes()).hexdigest()
    assert digest[:16] == "6d219d272b24cb08"


def test_cumulative_is_strictly_increasing_and_inverted_by_find_bin():
    table = default().adc
    n = len(table.centres)
    rng = np.random.default_rng(0)
    for mu, sigma in [(0.0, 5.0), (400.0, 0.01), (-600.0, 80.0), (3.3, 1e-6), (1e9, 1.0)]:
        inv = 1.0 / sigma
        cum = [dist.cumulative(k, n, table.edges, mu, inv, dist.GAUSSIAN_CDF) for k in range(n + 1)]
        assert cum[0] == 0 and cum[-1] == n + dist.CDF_ONE
        assert all(b > a for a, b in zip(cum[:-1], cum[1:], strict=True))
        ends = [0, 1, cum[1] - 1, cum[1], cum[-2] - 1, cum[-2], cum[-1] - 1]
        for target in [*rng.integers(0, cum[-1], 50), *ends]:
            k, lo, hi = dist.find_bin(target, n, table.edges, mu, inv, dist.GAUSSIAN_CDF, table.cells)
            assert cum[k] <= target < cum[k + 1] and (lo, hi) == (cum[k], cum[k + 1])
