import numpy as np

from spikey.training import topology


def test_finds_simultaneous_pairs_and_only_them():
    rng = np.random.default_rng(0)
    shared = np.cumsum(rng.normal(0, 30, 50000))
    a = (shared + np.cumsum(rng.normal(0, 60, 50000))).astype(np.int16)
    b = (shared + np.cumsum(rng.normal(0, 60, 50000))).astype(np.int16)
    c = np.cumsum(rng.normal(0, 60, 50000)).astype(np.int16)            # same length, unrelated
    d = np.cumsum(rng.normal(0, 60, 40000)).astype(np.int16)            # other length
    pairs = topology.simultaneous_pairs(["a", "b", "c", "d"], [a, b, c, d])
    assert [(p["a"], p["b"]) for p in pairs] == [("a", "b")]
    assert 0.1 < pairs[0]["r"] < 0.3 and pairs[0]["aligned at lag 0"]


def test_regions_are_reproducible_and_robust_to_outliers():
    rng = np.random.default_rng(1)
    quiet = [rng.normal(0, 5, 20000).astype(np.int16) for _ in range(6)]             # small white noise
    loud = [(np.cumsum(rng.normal(0, 50, 20000)) % 20000 + rng.standard_t(2, 20000) * 30).astype(np.int16)
            for _ in range(6)]                                                        # large, slow, spiky
    railed = [np.full(20000, 32767, np.int16)]
    points = topology.standardise(np.array([topology.descriptor(x) for x in quiet + loud + railed]))
    labels, _ = topology.kmeans(points, 2, seed=3)
    again, _ = topology.kmeans(points, 2, seed=3)
    assert np.array_equal(labels, again)
    assert len(set(labels[:6])) == 1 and len(set(labels[6:12])) == 1 and labels[0] != labels[6]
