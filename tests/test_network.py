import numpy as np
import pytest

from spikey import network as net


def _lstm(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(net.N_INPUTS, 4 * n)) * 0.3, rng.normal(size=4 * n) * 0.3, rng.normal(size=(n, 4 * n)),
            rng.normal(size=(n, 2)) * 0.1, rng.normal(size=2) * 0.1)


def _run(head_fn, arrays, xs):
    w1, b1, wr, w2, b2 = arrays
    z, rec = np.zeros(len(b1)), np.zeros(2 * len(wr))
    return np.array([head_fn(x, z, rec, w1, b1, wr, w2, b2) for x in xs]), rec


def test_lstm_head_compiled_equals_interpreted_and_carries_state():
    xs = np.random.default_rng(1).normal(size=(300, net.N_INPUTS))
    arrays = _lstm()
    compiled, rec = _run(net.head, arrays, xs)
    interpreted, rec_py = _run(net.head.py_func, arrays, xs)
    assert compiled.tobytes() == interpreted.tobytes() and rec.tobytes() == rec_py.tobytes()
    assert np.abs(rec[4:]).max() > 0                         # the cell state moved
    fresh, _ = _run(net.head, arrays, xs[-1:])
    assert not np.array_equal(fresh[0], compiled[-1])        # and the output depends on it


def test_fully_connected_head_is_relu_layer():
    rng = np.random.default_rng(2)
    w1, b1, w2, b2 = rng.normal(size=(net.N_INPUTS, 6)), rng.normal(size=6), rng.normal(size=(6, 2)), rng.normal(size=2)
    x = rng.normal(size=net.N_INPUTS)
    shift, factor = net.head(x, np.zeros(6), np.zeros(0), w1, b1, np.zeros((0, 6)), w2, b2)
    out = b2 + np.maximum(b1 + x @ w1, 0) @ w2
    assert shift == pytest.approx(out[0]) and factor == pytest.approx(max(1 + out[1], net.MIN_SCALE))


def test_load_heads_refuses_arrays_that_do_not_fit(tmp_path):
    w1, b1, wr, w2, b2 = (a[None].astype(np.float32) for a in _lstm())
    np.savez(tmp_path / "ok.npz", w1=w1, b1=b1, wr=wr, w2=w2, b2=b2)
    assert net.load_heads(tmp_path / "ok.npz")[2].shape == (1, 4, 16)
    np.savez(tmp_path / "fc.npz", w1=w1, b1=b1, w2=np.zeros((1, 16, 2)), b2=b2)
    assert net.load_heads(tmp_path / "fc.npz")[2].shape == (1, 0, 16)      # no wr: fully connected
    np.savez(tmp_path / "bad.npz", w1=w1, b1=b1, wr=wr[:, :3], w2=w2, b2=b2)
    with pytest.raises(ValueError):
        net.load_heads(tmp_path / "bad.npz")
