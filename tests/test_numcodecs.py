"""spikey.numcodecs.Spikey: the numcodecs codec, alone and as a zarr v2 array's compressor."""
import array
import io
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

numcodecs = pytest.importorskip("numcodecs")

from conftest import ROOT, fresh_python
from spikey import SpikeyError, codec
from spikey.numcodecs import Spikey


@pytest.fixture
def probe(adc_signal):
    """Four ADC-like channels, (frames, channels), C order."""
    def make(frames=3000, channels=4):
        return np.stack([adc_signal(frames, seed) for seed in range(channels)], axis=1)
    return make


def same_memory(x, y):
    """What numcodecs asks of a codec: y holds x's bytes in x's memory order (numcodecs.tests.common)."""
    y = numcodecs.compat.ensure_ndarray(y).view(x.dtype)
    return np.array_equal(x, y.reshape(-1, order="A").reshape(x.shape, order="F" if x.flags.f_contiguous else "C"))


def cases(x):
    """x (frames, channels) in every shape and order a zarr chunk can take."""
    return {"C": x, "F": np.asfortranarray(x), "T x 1": x[:, :1], "1 x C": x[:1], "1-D": x[:, 0].copy(),
            "one sample": x[:1, 0].copy(), "uint16": (x.astype(np.int32) + 2048).astype(np.uint16),
            "uint16 1-D": (x[:, 1].astype(np.int32) + 2048).astype(np.uint16), "strided": x[::2, ::2]}


def test_round_trip_keeps_values_shape_dtype_and_memory_order(probe):
    c = Spikey()
    for name, x in cases(probe()).items():
        y = c.decode(c.encode(x))
        assert y.dtype == x.dtype and y.shape == x.shape and np.array_equal(y, x), name
        fortran = x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous
        assert (y.flags.f_contiguous if fortran else y.flags.c_contiguous), name
        assert same_memory(x, y) or not (x.flags.c_contiguous or x.flags.f_contiguous), name


def test_decode_takes_any_buffer_and_fills_any_out(probe):
    c = Spikey()
    for name, x in cases(probe(500)).items():
        if not (x.flags.c_contiguous or x.flags.f_contiguous):
            continue
        enc = bytes(c.encode(x))
        for buf in (enc, bytearray(enc), array.array("b", enc), np.frombuffer(enc, "u1"), memoryview(enc)):
            assert same_memory(x, c.decode(buf)), name
        outs = [np.empty_like(x), bytearray(x.nbytes), np.empty(x.size, x.dtype), np.empty(x.nbytes, "u1")]
        for out in outs:
            res = c.decode(enc, out=out)      # out itself, or for a bytearray an ndarray over it
            assert (res is out if isinstance(out, np.ndarray) else np.shares_memory(res, out)), name
            assert same_memory(x, out), name


def test_decode_into_a_fitting_out_writes_it_in_place(probe):
    x = probe()
    out = np.zeros_like(x)
    assert Spikey().decode(Spikey().encode(x), out=out) is out and np.array_equal(out, x)


def test_each_chunk_is_a_plain_stream(probe):
    """What the codec writes is a .brainwire stream the samples API (and `spikey decode`) reads."""
    x = probe()
    assert np.array_equal(codec.decode_samples(Spikey().encode(x)), x)
    assert np.array_equal(codec.decode_samples(Spikey().encode(np.asfortranarray(x))), x)


def test_white_noise_is_stored_verbatim(probe):
    x = np.random.default_rng(1).integers(-32768, 32768, (3000, 4), dtype=np.int16)
    for chunk in (x, np.asfortranarray(x), x[:, 0].copy()):
        enc = Spikey().encode(chunk)
        assert len(enc) <= chunk.nbytes + 64 and np.array_equal(Spikey().decode(enc), chunk)
    assert len(Spikey().encode(probe())) < probe().nbytes / 2


def test_refuses_what_it_cannot_code_with_a_clear_error(probe):
    x = probe(100)
    with pytest.raises(TypeError, match="int16 or uint16"):
        Spikey().encode(x.astype(np.float32))
    with pytest.raises(TypeError, match="int16 or uint16"):
        Spikey().encode(x.astype(np.int32))
    with pytest.raises(TypeError, match=">i2"):
        Spikey().encode(x.astype(">i2"))
    with pytest.raises(TypeError, match="uint8"):
        Spikey().encode(x.tobytes())          # raw bytes say nothing of the sample type
    with pytest.raises(ValueError, match="3-D"):
        Spikey().encode(x.reshape(10, 10, 4))
    with pytest.raises(ValueError, match="Fortran"):
        Spikey().encode(np.asfortranarray(x.astype(np.uint16)))
    enc = bytearray(Spikey().encode(x))
    enc[len(enc) // 2] ^= 1
    with pytest.raises(SpikeyError):
        Spikey().decode(enc)


def test_config_round_trips_through_get_codec_and_json():
    c = Spikey()
    assert c.get_config() == {"id": "spikey", "level": "default"}
    again = numcodecs.get_codec(json.loads(json.dumps(c.get_config())))
    assert isinstance(again, Spikey) and again == c
    assert pickle.loads(pickle.dumps(c)) == c


def test_a_fresh_process_finds_the_codec_by_its_entry_point(probe, tmp_path):
    """Only numcodecs is imported: numcodecs.get_codec loads spikey.numcodecs from the entry point
    (registered by `pip install -e .`; run it again if this fails after an upgrade)."""
    x = probe()
    (tmp_path / "chunk").write_bytes(Spikey().encode(x))
    np.save(tmp_path / "x.npy", x)
    script = ("import sys, numcodecs, numpy as np; assert 'spikey' not in sys.modules; "
              "c = numcodecs.get_codec({'id': 'spikey'}); "
              "y = c.decode(open('chunk', 'rb').read()); assert np.array_equal(y, np.load('x.npy')); print(type(c))")
    assert "spikey.numcodecs.Spikey" in fresh_python(script, cwd=tmp_path)


def test_spikey_zarr_without_zarr_3_is_a_clear_import_error():
    script = "import sys; sys.modules['zarr'] = None\ntry:\n import spikey.zarr\nexcept ImportError as e: print(e)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "spikey.zarr needs zarr >= 3" in out.stdout, out.stderr


# ---- through zarr: a zarr v2 array with the codec as its compressor ---------------------------------

@pytest.fixture
def zarr():
    return pytest.importorskip("zarr")


def v2_array(zarr, path, x, chunks, order="C"):
    if zarr.__version__.startswith("2."):
        z = zarr.open_array(str(path), mode="w", shape=x.shape, chunks=chunks, dtype=x.dtype, compressor=Spikey(),
                            order=order)
    else:
        z = zarr.create_array(str(path), shape=x.shape, chunks=chunks, dtype=x.dtype, compressors=Spikey(),
                              zarr_format=2, order=order)
    z[:] = x
    return zarr.open_array(str(path), mode="r")


@pytest.mark.parametrize("order", ["C", "F"])
def test_zarr_v2_arrays_round_trip_in_either_order(zarr, probe, tmp_path, order):
    """zarr hands the compressor chunks in the array's order and reads back what decode returns in that
    order: a codec that gave back C memory for an F chunk would pass the tests above and scramble here."""
    x = probe(2500, 5)
    z = v2_array(zarr, tmp_path / "a.zarr", x, (1000, 3), order)       # edge chunks on both axes
    assert np.array_equal(z[:], x)
    assert np.array_equal(z[1000:2000, 3:5], x[1000:2000, 3:5])
    assert np.array_equal(z[2400:, 4], x[2400:, 4])


def test_zarr_v2_edge_shapes_and_uint16(zarr, probe, tmp_path):
    x = probe(2500, 5)
    u = (x.astype(np.int32) + 2048).astype(np.uint16)
    for i, (arr, chunks) in enumerate([(x[:, :1], (1000, 1)), (x[:1], (1, 2)), (x[:, 0].copy(), (1000,)),
                                       (u, (1000, 3)), (u[:, 0].copy(), (700,))]):
        assert np.array_equal(v2_array(zarr, tmp_path / f"{i}.zarr", arr, chunks)[:], arr)


def test_zarr_v2_chunks_decode_alone(zarr, probe, tmp_path):
    x = probe(2500, 4)
    z = v2_array(zarr, tmp_path / "a.zarr", x, (1000, 4))
    assert np.array_equal(Spikey().decode((tmp_path / "a.zarr" / "1.0").read_bytes()), x[1000:2000])
    (tmp_path / "a.zarr" / "0.0").unlink()                    # the others still read
    assert np.array_equal(z[1000:], x[1000:])


def test_the_level_is_the_one_setting_and_the_stream_names_it():
    x = np.cumsum(np.random.default_rng(5).integers(-9, 10, (6000, 2)), axis=0).astype(np.int16)
    fast = numcodecs.get_codec({"id": "spikey", "level": "fast"})
    assert fast.get_config() == {"id": "spikey", "level": "fast"}
    data = fast.encode(x)
    assert codec.Opened(io.BytesIO(data), len(data), codec.models.default()).header.level == 1
    assert np.array_equal(Spikey().decode(data), x)              # decoding needs no level
    with pytest.raises(SpikeyError, match="unknown level 'turbo'"):
        Spikey(level="turbo")


def test_a_near_lossless_bound_is_a_setting_the_stream_keeps(probe):
    x = probe(3000, 2)
    c = numcodecs.get_codec({"id": "spikey", "max_error": 64})
    assert c.get_config() == {"id": "spikey", "level": "default", "max_error": 64}
    y = Spikey().decode(c.encode(x))                             # decoding needs no bound
    assert np.abs(y.astype(int) - x).max() <= 64 and not np.array_equal(y, x)
    with pytest.raises(ValueError, match="C-ordered"):
        c.encode(np.asfortranarray(x))
    with pytest.raises(SpikeyError, match="max error"):
        Spikey(max_error="auto:nine")
