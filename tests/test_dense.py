import numpy as np
import pytest

from spikey import dense


# both layouts (under and from dense.NARROW columns), at the sizes of the RLS gains and both heads
@pytest.mark.parametrize("rows, cols", [(15, 16), (16, 16), (3, 5), (7, 13), (1, 8), (20, 20), (23, 23), (15, 128),
                                        (32, 128), (40, 40)])
def test_vecmat_is_the_plain_loop_bit_for_bit(rows, cols):
    rng = np.random.default_rng(rows * 100 + cols)
    v, M, init = rng.normal(size=rows), rng.normal(size=(rows, cols)) * 1e3, rng.normal(size=cols)
    expected = init.copy()
    for r in range(rows):
        for c in range(cols):
            expected[c] += v[r] * M[r, c]
    out = np.zeros(cols)
    dense.vecmat(out, init, v, M)
    assert out.tobytes() == expected.tobytes()
    dense.vecmat(init, init, v, M)      # in place, as the RLS gain uses it
    assert init.tobytes() == expected.tobytes()
