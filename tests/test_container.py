import numpy as np
import pytest

from conftest import SAMPLES, chunk, wav
from spikey import SpikeyError, container


def test_recordings_have_canonical_headers():
    for path in SAMPLES:
        raw = path.read_bytes()
        layout = container.parse(raw)
        assert layout.prefix == container.canonical_header(len(layout.samples), layout.sample_rate)
        assert layout.suffix == b""
        assert container.build(layout.prefix, layout.samples, layout.suffix) == raw


@pytest.mark.parametrize("before,after", [(b"", b""), (chunk(b"LIST", b"INFOx"), b""),
                                          (b"", chunk(b"junk", b"abc")), (chunk(b"fact", b"1234"), b"tail")])
def test_layout_keeps_every_byte(before, after):
    raw = wav([1, -2, 3], before=before, after=after)
    layout = container.parse(raw)
    assert list(layout.samples) == [1, -2, 3]
    assert container.build(layout.prefix, layout.samples, layout.suffix) == raw


def test_odd_data_length_and_lying_sizes():
    raw = wav(b"\x01\x02\x03", riff_size=7)
    layout = container.parse(raw)
    assert list(layout.samples) == [0x0201]
    assert container.build(layout.prefix, layout.samples, layout.suffix) == raw
    truncated = wav(np.arange(10))[:-5]          # data chunk claims more than the file holds
    layout = container.parse(truncated)
    assert container.build(layout.prefix, layout.samples, layout.suffix) == truncated


def test_other_formats_go_to_the_generic_path():
    assert container.parse(wav(b"\0" * 8, fmt=(1, 2, 16))) is None
    assert container.parse(wav(b"\0" * 8, fmt=(3, 1, 32))) is None


@pytest.mark.parametrize("raw", [b"", b"RIFF", b"hello world, not a wav", wav([1])[:20],
                                 b"RIFF\0\0\0\0WAVEdata\0\0\0\0"])
def test_refuses_what_is_not_a_wav(raw):
    with pytest.raises(SpikeyError):
        container.parse(raw)
