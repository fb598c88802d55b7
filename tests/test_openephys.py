import json

import numpy as np
import pytest

from conftest import noisy, opened, openephys_tree
from spikey import SpikeyError, fileio, stream
from spikey.containers import openephys


def test_a_continuous_dat_encodes_with_no_flags_and_decodes_beside_its_oebin(tmp_path):
    """continuous.dat read through the structure.oebin two folders up; decoded alone, the .oebin comes
    back beside it (a mirrored tree puts it back in its place: tests/test_batch.py)."""
    x = noisy(channels=5)
    dat, = openephys_tree(tmp_path / "rec", [("Neuropix-PXI-100.ProbeA-AP", x)], rate=30000.0)
    fileio.encode_path(dat, tmp_path / "continuous.brainwire")
    h = opened((tmp_path / "continuous.brainwire").read_bytes()).header
    assert (h.container, h.channels, h.rate, h.extension) == (stream.RAW, 5, 30000, ".dat")
    assert (h.sidecar.name, h.sidecar.up) == ("structure.oebin", 2)
    (tmp_path / "back").mkdir()
    fileio.decode_path(tmp_path / "continuous.brainwire", tmp_path / "back" / "continuous.dat")
    assert (tmp_path / "back" / "continuous.dat").read_bytes() == dat.read_bytes()
    assert (tmp_path / "back" / "structure.oebin").read_bytes() == (tmp_path / "rec" / "structure.oebin").read_bytes()


def test_each_stream_of_one_oebin_reads_its_own_entry(tmp_path):
    ap, lfp = openephys_tree(tmp_path, [("Neuropix-PXI-100.0", noisy(channels=4)),
                                        ("Neuropix-PXI-100.1", noisy(channels=2, seed=1))])
    for dat, channels in ((ap, 4), (lfp, 2)):
        fileio.encode_path(dat, tmp_path / "x.brainwire", replace=True)
        assert opened((tmp_path / "x.brainwire").read_bytes()).header.channels == channels


def _structure(tmp_path, change):
    dat, = openephys_tree(tmp_path, [("Rhythm_FPGA-100.0", noisy(channels=4))])
    oebin = tmp_path / "structure.oebin"
    text = change(json.loads(oebin.read_text()))
    oebin.write_text(text if isinstance(text, str) else json.dumps(text))
    return dat


def _entry(**fields):
    def change(structure):
        structure["continuous"][0].update(fields)
        return structure
    return change


BAD = {
    "not JSON": (lambda s: "{not json", "not JSON"),
    "no streams": (lambda s: {"GUI version": "0.6.7"}, "no list of continuous streams"),
    "no entry for the folder": (_entry(folder_name="Other-100.0/"), "0 continuous entries have folder_name"),
    "two entries": (lambda s: {**s, "continuous": s["continuous"] * 2}, "2 continuous entries"),
    "channels do not divide": (_entry(num_channels=7), "num_channels=7 int16 channels do not divide"),
    "channels not a count": (_entry(num_channels="4"), "num_channels '4' is not a channel count"),
    "no channels": (_entry(num_channels=0), "num_channels 0 is not a channel count"),
    "rate not a number": (_entry(sample_rate=None), "sample_rate None is not a number"),
    "rate out of range": (_entry(sample_rate=-1.0), "a sampling rate of -1.0 is out of range"),
}


@pytest.mark.parametrize("change,message", BAD.values(), ids=BAD.keys())
def test_a_bad_or_inconsistent_oebin_is_refused_in_one_line_with_no_output(tmp_path, change, message):
    dat = _structure(tmp_path, change)
    with pytest.raises(SpikeyError, match=message) as e:
        fileio.encode_path(dat, tmp_path / "x.brainwire")
    assert "\n" not in str(e.value) and not (tmp_path / "x.brainwire").exists()


def test_flags_that_contradict_the_oebin_are_refused(tmp_path):
    dat = _structure(tmp_path, lambda s: s)
    with pytest.raises(SpikeyError, match="--channels 2 disagrees"):
        fileio.encode_path(dat, tmp_path / "x.brainwire", channels=2)


def test_a_continuous_dat_with_no_oebin_up_the_tree_is_raw_as_before(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    np.arange(8, dtype="<i2").tofile(tmp_path / "a" / "b" / "continuous.dat")
    assert openephys.sidecars(str(tmp_path / "a" / "b" / "continuous.dat")) == []
    with pytest.raises(SpikeyError, match="--channels N"):
        fileio.encode_path(tmp_path / "a" / "b" / "continuous.dat", tmp_path / "x.brainwire")
