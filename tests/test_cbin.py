import builtins
import json

import pytest

from conftest import cbin_files, noisy, opened, spikeglx_pair
from spikey import SpikeyError, fileio, stream


def test_a_cbin_encodes_with_no_flags_and_decodes_to_the_bin_mtscomp_gives(tmp_path):
    """IBL's archive: the .cbin's samples coded, decoded to the .bin that mtscomp decompresses it to,
    with the SpikeGLX .meta beside it (checked against that .bin, and travelling); the .cbin's and the
    .ch's bytes are not kept."""
    x = noisy(n=7000, channels=6)
    spikeglx_pair(tmp_path, x, name="run_g0_t0.imec0.ap", fixture="sample3B_g0_t0.imec1.lf.meta")
    original = (tmp_path / "run_g0_t0.imec0.ap.bin").read_bytes()
    (tmp_path / "run_g0_t0.imec0.ap.bin").unlink()
    path = cbin_files(tmp_path, x, rate=2500.0325532900833)
    fileio.encode_path(path, tmp_path / "x.brainwire")
    h = opened((tmp_path / "x.brainwire").read_bytes()).header
    assert (h.container, h.channels, h.frames, h.rate, h.extension) == (stream.RAW, 6, 7000, 2500, ".bin")
    (tmp_path / "back").mkdir()
    fileio.decode_path(tmp_path / "x.brainwire", tmp_path / "back" / "run_g0_t0.imec0.ap.bin")
    assert (tmp_path / "back" / "run_g0_t0.imec0.ap.bin").read_bytes() == original
    mtscomp = pytest.importorskip("mtscomp")
    mtscomp.decompress(path, path.with_suffix(".ch"), out=tmp_path / "mtsdecomp.bin", quiet=True).close()
    assert (tmp_path / "mtsdecomp.bin").read_bytes() == original
    assert (tmp_path / "back" / "run_g0_t0.imec0.ap.meta").read_bytes() == \
        (tmp_path / "run_g0_t0.imec0.ap.meta").read_bytes()
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == ["run_g0_t0.imec0.ap.bin",
                                                                     "run_g0_t0.imec0.ap.meta"]


def test_a_cbin_alone_has_no_sidecar(tmp_path):
    x = noisy(n=3000, channels=2)
    fileio.encode_path(cbin_files(tmp_path, x), tmp_path / "x.brainwire")
    h = opened((tmp_path / "x.brainwire").read_bytes()).header
    assert h.sidecar is None and h.rate == 30000


def test_a_meta_that_disagrees_with_the_cbin_is_refused(tmp_path):
    x = noisy(n=3000, channels=2)
    path = cbin_files(tmp_path, x)
    spikeglx_pair(tmp_path, noisy(n=2000, channels=2), name="run_g0_t0.imec0.ap")
    (tmp_path / "run_g0_t0.imec0.ap.bin").unlink()
    with pytest.raises(SpikeyError, match="fileSizeBytes=8000, but the .bin holds 12000 bytes"):
        fileio.encode_path(path, tmp_path / "x.brainwire")


def _fake(tmp_path, **fields) -> str:
    """A .cbin of 100 bytes and a .ch describing it, as mtscomp writes one, with fields changed."""
    (tmp_path / "r.cbin").write_bytes(b"\0" * 100)
    ch = {"version": "1.0", "algorithm": "zlib", "comp_level": -1, "do_time_diff": True, "do_spatial_diff": False,
          "dtype": "int16", "n_channels": 2, "sample_rate": 30000.0, "chunk_order": "F",
          "chunk_bounds": [0, 40], "chunk_offsets": [0, 100], **fields}
    (tmp_path / "r.ch").write_text(json.dumps(ch))
    return tmp_path / "r.cbin"


BAD = {
    "other samples": ({"dtype": "float32"}, "not int16 .dtype 'float32'"),
    "no channels": ({"n_channels": 0}, "n_channels 0 is not a channel count"),
    "chunks past the file": ({"chunk_offsets": [0, 120]}, "end at byte 120, but the .cbin holds 100 bytes"),
    "chunks not rising": ({"chunk_bounds": [0, 40, 20], "chunk_offsets": [0, 50, 100]}, "not two rising lists"),
    "rate not a number": ({"sample_rate": "30k"}, "sample_rate '30k' is not a number"),
}


@pytest.mark.parametrize("fields,message", BAD.values(), ids=BAD.keys())
def test_a_bad_ch_is_refused_in_one_line_with_no_output(tmp_path, fields, message):
    with pytest.raises(SpikeyError, match=message):
        fileio.encode_path(_fake(tmp_path, **fields), tmp_path / "x.brainwire")
    assert not (tmp_path / "x.brainwire").exists()


def test_a_cbin_without_its_ch_is_refused(tmp_path):
    (tmp_path / "r.cbin").write_bytes(b"\0" * 10)
    with pytest.raises(SpikeyError, match="no r.ch beside it"):
        fileio.encode_path(tmp_path / "r.cbin", tmp_path / "x.brainwire")


def test_without_mtscomp_a_cbin_is_refused_saying_how_to_install_it(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_mtscomp(name, *args, **kwargs):
        if name == "mtscomp":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_mtscomp)
    with pytest.raises(SpikeyError, match=r"needs mtscomp: pip install 'spikey-codec\[cbin\]'"):
        fileio.encode_path(_fake(tmp_path), tmp_path / "x.brainwire")


def test_a_damaged_cbin_is_refused_in_one_line(tmp_path):
    x = noisy(n=3000, channels=2)
    path = cbin_files(tmp_path, x)
    data = bytearray(path.read_bytes())
    data[20:40] = b"\xff" * 20
    path.write_bytes(bytes(data))
    with pytest.raises(SpikeyError, match="mtscomp cannot decompress it") as e:
        fileio.encode_path(path, tmp_path / "x.brainwire")
    assert "\n" not in str(e.value) and not (tmp_path / "x.brainwire").exists()
