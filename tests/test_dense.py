import numpy as np
import pytest

from spikey import dense


@pytest.mark.parametrize("rows, cols", [(15, 16), (16, 16), (3, 5), (7, 13), (1, 8)])
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
