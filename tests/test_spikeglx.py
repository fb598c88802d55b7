import os

import numpy as np
import pytest

from conftest import noisy, opened, spikeglx_pair
from spikey import SpikeyError, fileio, stream


def round_trip(tmp_path, bin_path, **options):
    """Encode bin_path with no flags but options, decode it into back/; the decoded .bin's path."""
    fileio.encode_path(bin_path, tmp_path / "x.brainwire", **options)
    (tmp_path / "back").mkdir()
    fileio.decode_path(tmp_path / "x.brainwire", tmp_path / "back" / bin_path.name)
    return tmp_path / "back" / bin_path.name


@pytest.mark.parametrize("fixture,rate", [("sample3B_g0_t0.imec1.lf.meta", 2500),
                                          ("sample3B_g0_t0.nidq.meta", 30003)], ids=["imec", "nidq"])
def test_a_pair_encodes_with_no_flags_and_decodes_exact(tmp_path, fixture, rate):
    """The issue's first friction: `spikey encode run.ap.bin` needed --channels and --rate that the .meta
    beside it already gives. The rate is the .meta's, rounded (2500.0325 Hz, 30003.0003 Hz); the .meta
    travels and comes back beside the .bin, byte for byte."""
    (tmp_path / "rig").mkdir()
    x = noisy(channels=3)
    bin_path = spikeglx_pair(tmp_path / "rig", x, fixture=fixture)
    back = round_trip(tmp_path, bin_path)
    h = opened((tmp_path / "x.brainwire").read_bytes()).header
    assert (h.container, h.channels, h.rate, h.extension, h.sidecar.name) == (stream.RAW, 3, rate, ".bin", ".meta")
    assert back.read_bytes() == bin_path.read_bytes()
    assert back.with_suffix(".meta").read_bytes() == bin_path.with_suffix(".meta").read_bytes()


def test_the_meta_follows_the_decoded_name(tmp_path):
    """./decode x.brainwire other.bin writes other.meta: the pair stays a pair under its new name."""
    bin_path = spikeglx_pair(tmp_path, noisy(channels=2))
    fileio.encode_path(bin_path, tmp_path / "x.brainwire")
    fileio.decode_path(tmp_path / "x.brainwire", tmp_path / "other.bin")
    assert (tmp_path / "other.meta").read_bytes() == bin_path.with_suffix(".meta").read_bytes()


BAD = {
    "size": ({"fileSizeBytes": 12}, "fileSizeBytes=12, but the .bin holds"),
    "channels do not divide": ({"nSavedChans": 7}, "nSavedChans=7 int16 channels do not divide"),
    "no channel count": ({"nSavedChans": None}, "no nSavedChans"),
    "no rate": ({"imSampRate": None}, "no imSampRate"),
    "rate not a number": ({"imSampRate": "fast"}, "imSampRate=fast is not a number"),
    "channels not a number": ({"nSavedChans": "3.5"}, "nSavedChans=3.5 is not a whole number"),
    "no channels at all": ({"nSavedChans": 0}, "nSavedChans=0 is out of range"),
    "zero rate": ({"imSampRate": 0}, "a sampling rate of 0.0 is out of range"),
}


@pytest.mark.parametrize("keys,message", BAD.values(), ids=BAD.keys())
def test_a_bad_or_inconsistent_meta_is_refused_in_one_line_with_no_output(tmp_path, keys, message):
    bin_path = spikeglx_pair(tmp_path, noisy(channels=3), **keys)
    with pytest.raises(SpikeyError, match=message) as e:
        fileio.encode_path(bin_path, tmp_path / "x.brainwire")
    assert "\n" not in str(e.value) and not (tmp_path / "x.brainwire").exists()


def test_a_meta_written_while_acquiring_has_no_size_and_is_refused(tmp_path):
    incomplete = "sampleNP2.4_4shanks_while_acquiring_incomplete.ap.meta"
    bin_path = spikeglx_pair(tmp_path, noisy(channels=3), fixture=incomplete, fileSizeBytes=None)
    with pytest.raises(SpikeyError, match="no fileSizeBytes .*while acquiring"):
        fileio.encode_path(bin_path, tmp_path / "x.brainwire")


def test_a_key_twice_is_refused(tmp_path):
    bin_path = spikeglx_pair(tmp_path, noisy(channels=3))
    meta = bin_path.with_suffix(".meta")
    meta.write_text(meta.read_text() + "nSavedChans=3\n")
    with pytest.raises(SpikeyError, match="nSavedChans appears twice"):
        fileio.encode_path(bin_path, tmp_path / "x.brainwire")


@pytest.mark.parametrize("options,message", [({"channels": 4}, "--channels 4 disagrees with .*: 3 channels"),
                                             ({"rate": 30000}, "--rate 30000 disagrees with .*: 2500 samples")])
def test_flags_that_contradict_the_meta_are_refused(tmp_path, options, message):
    bin_path = spikeglx_pair(tmp_path, noisy(channels=3))
    with pytest.raises(SpikeyError, match=message):
        fileio.encode_path(bin_path, tmp_path / "x.brainwire", **options)
    assert round_trip(tmp_path, bin_path, channels=3, rate=2500).read_bytes() == bin_path.read_bytes()


def test_a_meta_that_fills_more_than_a_stream_keeps_is_refused(tmp_path):
    bin_path = spikeglx_pair(tmp_path, noisy(channels=3), userNotes="x" * stream.MAX_SIDECAR)
    with pytest.raises(SpikeyError, match="more than a stream keeps of a sidecar"):
        fileio.encode_path(bin_path, tmp_path / "x.brainwire")


def test_a_bin_without_a_meta_is_raw_as_before(tmp_path):
    (tmp_path / "run.bin").write_bytes(np.arange(12, dtype="<i2").tobytes())
    with pytest.raises(SpikeyError, match="--channels N"):
        fileio.encode_path(tmp_path / "run.bin", tmp_path / "x.brainwire")
    fileio.encode_path(tmp_path / "run.bin", tmp_path / "x.brainwire", channels=2)
    assert opened((tmp_path / "x.brainwire").read_bytes()).header.sidecar is None


def test_a_slice_decodes_without_the_meta_which_describes_the_whole(tmp_path):
    bin_path = spikeglx_pair(tmp_path, noisy(channels=3), name="run")
    fileio.encode_path(bin_path, tmp_path / "x.brainwire")
    (tmp_path / "back").mkdir()
    fileio.decode_path(tmp_path / "x.brainwire", tmp_path / "back" / "run.bin", start=10, stop=20)
    assert os.listdir(tmp_path / "back") == ["run.bin"]
    assert (tmp_path / "back" / "run.bin").read_bytes() == bin_path.read_bytes()[60:120]
