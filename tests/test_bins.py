import numpy as np

from spikey.bins import lattice_table, value_set_table
from spikey.model import default


def adc_table():
    return default().adc


def test_adc_table_is_the_10_bit_grid():
    t = adc_table()
    assert len(t.values) == 1024 and t.values[0] == -32768 and t.values[-1] == 32767
    assert set(np.diff(t.values)) <= {63, 64, 65}
    assert np.all(np.diff(t.edges) > 0)
    assert abs(np.diff(t.edges).mean() - 1.0) < 1e-3


def test_indices_map_on_table_values_exactly_and_others_to_the_nearest():
    t = adc_table()
    idx, off = t.indices(t.values.astype(np.int16))
    assert np.array_equal(idx, np.arange(1024)) and len(off) == 0
    x = np.array([-32768, -32767, 0, 31, 33, 32767, 32766], dtype=np.int16)
    idx, off = t.indices(x)
    assert list(off) == [i for i, v in enumerate(x) if v not in set(t.values)]
    assert np.all(np.abs(t.values[idx] - x) <= 33)


def test_lattice_covers_16_bits_in_steps():
    t = lattice_table(0, 1, -32768, 32767)
    x = np.array([-32768, -1, 0, 32767], dtype=np.int16)
    idx, off = t.indices(x)
    assert len(off) == 0 and np.array_equal(t.values[idx], x)
    t = lattice_table(3, 12, -2, 5)               # 3 + 12k: the axis is value / 12, one unit a bin
    assert list(t.values) == [3 + 12 * k for k in range(-2, 6)]
    assert np.allclose(np.diff(t.edges), 1.0) and np.allclose(t.centres, t.values / 12)


def test_value_set_bins_reach_halfway_to_the_neighbours():
    t = value_set_table([-10, 0, 4, 30], 2)
    assert np.allclose(t.centres, [-5, 0, 2, 15])
    assert np.allclose(t.edges, [-7.5, -2.5, 1, 8.5, 21.5])
    assert np.allclose(value_set_table([7], 1).edges, [6.5, 7.5])
