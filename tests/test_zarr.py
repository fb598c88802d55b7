"""spikey.zarr.Spikey: the zarr v3 serializer, through real zarr arrays (and Dask, where installed)."""
import json

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")
if int(zarr.__version__.split(".")[0]) < 3:
    pytest.skip("spikey.zarr needs zarr >= 3", allow_module_level=True)

from conftest import fresh_python
from spikey import SpikeyError, codec
from spikey.zarr import Spikey


@pytest.fixture
def probe(adc_signal):
    def make(frames=2500, channels=5):
        return np.stack([adc_signal(frames, seed) for seed in range(channels)], axis=1)
    return make


def array(path, x, chunks, **kwargs):
    z = zarr.create_array(str(path), shape=x.shape, chunks=chunks, dtype=x.dtype, serializer=Spikey(),
                          compressors=None, **kwargs)
    z[:] = x
    return zarr.open_array(str(path), mode="r")


def test_round_trip_with_edge_chunks_and_any_memory_order(probe, tmp_path):
    x = probe()
    z = array(tmp_path / "a.zarr", np.asfortranarray(x), (1000, 3))    # edge chunks on both axes
    assert np.array_equal(z[:], x)
    assert np.array_equal(z[1000:2000, 3:], x[1000:2000, 3:])
    assert np.array_equal(z[2400:, 4], x[2400:, 4])
    f = zarr.open_array(str(tmp_path / "a.zarr"), mode="r", config={"order": "F"})
    assert np.array_equal(f[:], x)
    meta = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())
    assert meta["codecs"] == [{"name": "spikey"}]


def test_edge_shapes_and_uint16(probe, tmp_path):
    x = probe()
    u = (x.astype(np.int32) + 2048).astype(np.uint16)
    for i, (arr, chunks) in enumerate([(x[:, :1], (1000, 1)), (x[:1], (1, 2)), (x[:, 0].copy(), (1000,)),
                                       (u, (1000, 3)), (u[:, 0].copy(), (700,)), (x[:7], (1000, 5))]):
        z = array(tmp_path / f"{i}.zarr", arr, chunks)
        assert z.dtype == arr.dtype and np.array_equal(z[:], arr), (arr.shape, chunks)


def test_each_chunk_is_a_stream_that_decodes_alone(probe, tmp_path):
    x = probe()
    z = array(tmp_path / "a.zarr", x, (1000, 3))
    chunk = (tmp_path / "a.zarr" / "c" / "1" / "1").read_bytes()
    padded = np.zeros((1000, 3), np.int16)
    padded[:, :2] = x[1000:2000, 3:]
    assert np.array_equal(codec.decode_samples(chunk), padded)      # zarr pads edge chunks with the fill value
    (tmp_path / "a.zarr" / "c" / "0" / "0").unlink()                 # the other chunks still read
    assert np.array_equal(z[1000:], x[1000:])


def test_white_noise_chunks_do_not_grow(tmp_path):
    x = np.random.default_rng(1).integers(-32768, 32768, (3000, 4), dtype=np.int16)
    array(tmp_path / "a.zarr", x, (3000, 4))
    assert (tmp_path / "a.zarr" / "c" / "0" / "0").stat().st_size <= x.nbytes + 64


def test_inside_shards(probe, tmp_path):
    x = probe(5000, 4)
    z = array(tmp_path / "a.zarr", x, (1000, 4), shards=(3000, 4))
    assert np.array_equal(z[:], x) and np.array_equal(z[3500:4500], x[3500:4500])


def test_config_round_trips_and_refuses_what_it_cannot_code(tmp_path):
    assert Spikey.from_dict(Spikey().to_dict()) == Spikey()
    assert Spikey.from_dict({"name": "spikey", "configuration": {}}) == Spikey()
    with pytest.raises(SpikeyError, match="unknown level"):
        Spikey.from_dict({"name": "spikey", "configuration": {"level": 3}})
    with pytest.raises(ValueError, match="settings are its level and max_error"):
        Spikey.from_dict({"name": "spikey", "configuration": {"order": "F"}})
    for dtype, shape, error in (("float32", (100, 2), TypeError), ("int32", (100, 2), TypeError),
                                ("int16", (10, 10, 2), ValueError)):
        with pytest.raises(error):
            zarr.create_array(str(tmp_path / f"{dtype}.zarr"), shape=shape, dtype=dtype, serializer=Spikey())


def test_a_fresh_process_opens_the_array_with_only_zarr_imported(probe, tmp_path):
    """zarr finds the codec through the zarr.codecs entry point (registered by `pip install -e .`;
    run it again if this fails after an upgrade)."""
    x = probe()
    array(tmp_path / "a.zarr", x, (1000, 3))
    np.save(tmp_path / "x.npy", x)
    script = ("import sys, zarr, numpy as np; assert 'spikey' not in sys.modules; "
              "z = zarr.open_array('a.zarr', mode='r'); assert np.array_equal(z[:], np.load('x.npy')); "
              "print(type(z.serializer))")
    assert "spikey.zarr.Spikey" in fresh_python(script, cwd=tmp_path)


def test_dask_writes_and_reads_through_worker_processes(probe, tmp_path):
    """In a fresh process with a timeout: a cluster started inside the test process can hang on what
    earlier tests left behind (forked pools, numba's threads)."""
    pytest.importorskip("dask.array")
    pytest.importorskip("distributed")
    np.save(tmp_path / "x.npy", probe(6000, 4))
    script = """
import dask.array as da, distributed, numpy as np, zarr
from spikey.numcodecs import Spikey as NumcodecsSpikey
from spikey.zarr import Spikey
if __name__ == "__main__":
    x = np.load("x.npy")
    cases = {"v3": {"serializer": Spikey(), "compressors": None},
             "v2": {"compressors": NumcodecsSpikey(), "zarr_format": 2}}
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster):
        for name, kwargs in cases.items():
            z = zarr.create_array(name, shape=x.shape, chunks=(2000, 4), dtype="int16", **kwargs)
            da.from_array(x, chunks=(2000, 4)).to_zarr(z)
            assert np.array_equal(da.from_zarr(name).compute(), x)
"""
    fresh_python(script, cwd=tmp_path)


def test_a_level_is_kept_in_the_array_metadata(probe, tmp_path):
    x = probe(4000, 3)
    z = zarr.create_array(str(tmp_path / "fast.zarr"), shape=x.shape, chunks=(2000, 3), dtype="int16",
                          serializer=Spikey(level="fast"), compressors=None)
    z[:] = x
    again = zarr.open_array(str(tmp_path / "fast.zarr"), mode="r")
    assert np.array_equal(again[:], x) and again.metadata.to_dict()["codecs"][0]["configuration"] == {"level": "fast"}
    assert Spikey.from_dict({"name": "spikey"}) == Spikey()
    with pytest.raises(SpikeyError, match="unknown level 'turbo': choose default, fast, max"):
        Spikey(level="turbo")


def test_a_near_lossless_bound_is_kept_in_the_array_metadata_and_held(probe, tmp_path):
    x = probe(4000, 3)
    z = zarr.create_array(str(tmp_path / "k.zarr"), shape=x.shape, chunks=(1500, 3), dtype="int16",
                          serializer=Spikey(max_error=64), compressors=None)
    z[:] = x
    again = zarr.open_array(str(tmp_path / "k.zarr"), mode="r")
    assert again.metadata.to_dict()["codecs"][0]["configuration"] == {"max_error": 64}
    assert np.abs(again[:].astype(int) - x).max() <= 64 and not np.array_equal(again[:], x)
    assert Spikey.from_dict(Spikey(max_error="auto:0.5").to_dict()) == Spikey(max_error="auto:0.5")
    with pytest.raises(SpikeyError, match="max error"):
        Spikey(max_error=-1)
