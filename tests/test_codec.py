import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SAMPLES, chunk, wav
from spikey import codec, stream


def coding_of(encoded):
    return stream.read(encoded, codec.model_id()).coding


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name[:8])
def test_embedded_recordings_round_trip_and_compress(path):
    raw = path.read_bytes()
    encoded = codec.encode(raw)
    assert codec.decode(encoded) == raw
    assert len(raw) / len(encoded) > 2.5


def test_edge_lengths_and_values(adc_signal):
    rng = np.random.default_rng(0)
    cases = {
        "empty": [], "one": [5], "one level": adc_signal(1),
        "silence": np.zeros(5000), "rail high": np.full(3000, 32767), "rail low": np.full(3000, -32768),
        "rails alternating": np.tile([32767, -32768], 500),
        "noise": rng.integers(-32768, 32768, 5000),
        "adc walk": adc_signal(20000),
    }
    for name, samples in cases.items():
        raw = wav(np.asarray(samples))
        assert codec.decode(codec.encode(raw)) == raw, name


def test_off_grid_samples_are_exceptions(adc_signal):
    x = adc_signal(10000)
    x[[0, 17, 9999]] = [1, -7, 12345]
    raw = wav(x)
    encoded = codec.encode(raw)
    s = stream.read(encoded, codec.model_id())
    assert s.coding == stream.CODING_ADC and [p for p, _ in s.exceptions] == [0, 17, 9999]
    assert codec.decode(encoded) == raw


def test_codings_are_chosen_by_content(adc_signal):
    rng = np.random.default_rng(1)
    smooth = (3000 * np.sin(np.arange(20000) / 50) + rng.normal(0, 20, 20000)).astype(np.int16)
    assert coding_of(codec.encode(wav(smooth))) == stream.CODING_IDENTITY
    assert coding_of(codec.encode(wav(rng.integers(-32768, 32768, 3000)))) == stream.CODING_VERBATIM
    assert coding_of(codec.encode(wav(b"\0" * 64, fmt=(1, 2, 16)))) == stream.CODING_GENERIC
    assert codec.decode(codec.encode(wav(smooth))) == wav(smooth)


def test_odd_layouts_round_trip(adc_signal):
    x = adc_signal(999)
    for raw in [wav(x, before=chunk(b"LIST", b"INFOISFT\x05\0\0\0spky\0")), wav(x, after=chunk(b"junk", b"z" * 9)),
                wav(x.tobytes() + b"\x07"), wav(x, riff_size=0xFFFFFFFF), wav(x)[:-11],
                wav(b"\x80\x00" * 100, fmt=(1, 1, 8)), wav(b"\0" * 48, fmt=(3, 2, 32))]:
        assert codec.decode(codec.encode(raw)) == raw


def test_decoding_without_the_jit_gives_the_same_bytes(tmp_path):
    """The interpreted kernels are the specification; the compiled ones must agree bit for bit."""
    raw = SAMPLES[0].read_bytes()[:44 + 2 * 1500]
    raw = raw[:4] + (len(raw) - 8).to_bytes(4, "little") + raw[8:40] + (len(raw) - 44).to_bytes(4, "little") + raw[44:]
    encoded = codec.encode(raw)
    (tmp_path / "in.bw").write_bytes(encoded)
    script = ("import sys; from spikey import codec; "
              "open(sys.argv[2], 'wb').write(codec.decode(open(sys.argv[1], 'rb').read())); "
              "open(sys.argv[3], 'wb').write(codec.encode(open(sys.argv[2], 'rb').read()))")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", SPIKEY_KERNELS="jit", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", script, tmp_path / "in.bw", tmp_path / "out.wav", tmp_path / "re.bw"],
                   env=env, check=True)
    assert (tmp_path / "out.wav").read_bytes() == raw
    assert (tmp_path / "re.bw").read_bytes() == encoded
