import io
import shutil

import numpy as np
import pytest

from conftest import SAMPLES, fresh_python, noisy, openephys_tree, spikeglx_pair
from spikey import SpikeyError, containers, stream


def test_a_sidecar_says_more_than_a_files_first_bytes(tmp_path):
    """A .bin whose samples happen to begin RIFF....WAVE is still SpikeGLX where its .meta is beside it."""
    x = noisy(channels=2)
    x[:4] = np.frombuffer(b"RIFF\0\0\0\0WAVEfmt ", "<i2").reshape(4, 2)
    bin_path = spikeglx_pair(tmp_path, x, name="run")
    layout, frames = containers.read_recording(bin_path)
    assert (layout.container, layout.sidecar.name) == (stream.RAW, ".meta") and np.array_equal(frames, x)
    with open(bin_path, "rb") as f, pytest.raises(SpikeyError, match="WAV"):    # without its path, a broken WAV
        containers.probe(f, x.nbytes)


def test_sidecars_name_what_each_data_file_consumes(tmp_path):
    spikeglx_pair(tmp_path, noisy(channels=2), name="run")
    dat, = openephys_tree(tmp_path / "rec", [("P-100.0", noisy(channels=2))])
    (tmp_path / "r.cbin").write_bytes(b"")
    (tmp_path / "r.ch").write_bytes(b"")
    shutil.copy(SAMPLES[0], tmp_path / "x.wav")
    assert containers.sidecars(str(tmp_path / "run.bin")) == [str(tmp_path / "run.meta")]
    assert containers.sidecars(str(dat)) == [str(tmp_path / "rec" / "structure.oebin")]
    assert containers.sidecars(str(tmp_path / "r.cbin")) == [str(tmp_path / "r.ch")]
    assert containers.sidecars(str(tmp_path / "x.wav")) == [] == containers.sidecars(str(tmp_path / "run.meta"))


def test_bytes_that_are_no_file_look_for_no_sidecar():
    layout = containers.probe(io.BytesIO(b"\0" * 8), 8, channels=2)
    assert layout.sidecar is None and layout.frames == 2


def test_containers_depend_on_the_streams_syntax_only():
    """One way: the codec imports the containers, never they the codec (nor the CLI, nor mtscomp up front)."""
    out = fresh_python("import sys, spikey.containers; print(sorted(m for m in sys.modules if m.startswith("
                       "('spikey.codec', 'spikey.cli', 'spikey.batch', 'spikey.fileio', 'mtscomp'))))")
    assert out.strip() == "[]"
