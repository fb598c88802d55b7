import numpy as np
import pytest

from spikey import model, npz, profiles


@pytest.mark.parametrize("name", [model.ADC_FILE, *{n for p in profiles.PROFILES for n in p.networks}])
def test_reads_the_weights_as_numpy_does(name):
    path = f"{model.WEIGHTS_DIR}/{name}"
    mine, theirs = npz.read(path), np.load(path)
    assert list(mine) == list(theirs)
    for k in theirs:
        assert mine[k].dtype == theirs[k].dtype and np.array_equal(mine[k], theirs[k])


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_stored_and_deflated_members(tmp_path, save):
    arrays = {"a": np.arange(7, dtype=np.int16), "b": np.linspace(0, 1, 12).reshape(3, 4).astype(np.float32)}
    save(tmp_path / "x.npz", **arrays)
    back = npz.read(tmp_path / "x.npz")
    assert list(back) == ["a", "b"] and all(np.array_equal(back[k], arrays[k]) for k in arrays)


def test_damage_is_refused(tmp_path):
    np.savez_compressed(tmp_path / "x.npz", a=np.arange(1000))
    data = (tmp_path / "x.npz").read_bytes()
    for i in range(0, len(data), 7):
        bad = bytearray(data)
        bad[i] ^= 0x5A
        (tmp_path / "bad.npz").write_bytes(bytes(bad))
        try:
            back = npz.read(tmp_path / "bad.npz")
        except ValueError:
            continue
        # a byte that carries no data (times, versions, a name): the data still comes back whole
        assert len(back) == 1 and np.array_equal(next(iter(back.values())), np.arange(1000))
    for n in (0, 10, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.npz").write_bytes(data[:n])
        with pytest.raises(ValueError):
            npz.read(tmp_path / "cut.npz")
