import numpy as np

from spikey.levels import identity_table
from spikey.weights import adc_table


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


def test_identity_table_covers_16_bits():
    t = identity_table()
    x = np.array([-32768, -1, 0, 32767], dtype=np.int16)
    idx, off = t.indices(x)
    assert len(off) == 0 and np.array_equal(t.values[idx], x)
