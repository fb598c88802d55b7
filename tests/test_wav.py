import io
import subprocess

import numpy as np
import pytest

from conftest import ROOT, SAMPLES, chunk, wav
from spikey import SpikeyError, containers
from spikey.containers import WHOLE, wav as wavfile


def layout_and_frames(raw: bytes):
    f = io.BytesIO(raw)
    layout = wavfile.parse(f, len(raw))
    return layout, None if layout is WHOLE else containers.read_frames(f, layout, 0, layout.frames)


def rebuilt(layout, x) -> bytes:
    return layout.prefix + x.astype("<i2").tobytes() + layout.suffix


def test_recordings_have_canonical_headers():
    for path in SAMPLES:
        raw = path.read_bytes()
        layout, x = layout_and_frames(raw)
        assert layout.canonical and layout.prefix == wavfile.header(layout.frames, 1, layout.rate)
        assert layout.suffix == b"" and rebuilt(layout, x) == raw


@pytest.mark.parametrize("before,after", [(b"", b""), (chunk(b"LIST", b"INFOx"), b""),
                                          (b"", chunk(b"junk", b"abc")), (chunk(b"fact", b"1234"), b"tail")])
def test_layout_keeps_every_byte(before, after):
    raw = wav([1, -2, 3], before=before, after=after)
    layout, x = layout_and_frames(raw)
    assert list(x[:, 0]) == [1, -2, 3] and layout.canonical == (not before and not after)
    assert rebuilt(layout, x) == raw


def test_channels_are_interleaved_frames():
    x = np.arange(24, dtype=np.int16).reshape(8, 3)
    layout, y = layout_and_frames(wav(x.ravel(), fmt=(1, 3, 16)))
    assert layout.channels == 3 and layout.canonical and np.array_equal(x, y)


def test_odd_data_length_and_lying_sizes():
    raw = wav(b"\x01\x02\x03", riff_size=7)
    layout, x = layout_and_frames(raw)
    assert list(x[:, 0]) == [0x0201] and rebuilt(layout, x) == raw
    truncated = wav(np.arange(10))[:-5]          # data chunk claims more than the file holds
    layout, x = layout_and_frames(truncated)
    assert rebuilt(layout, x) == truncated
    stereo = wav(np.arange(7), fmt=(1, 2, 16))   # half a frame at the end stays in the suffix
    layout, x = layout_and_frames(stereo)
    assert x.shape == (3, 2) and rebuilt(layout, x) == stereo


def test_other_formats_go_to_the_generic_container():
    assert layout_and_frames(wav(b"\0" * 8, fmt=(3, 1, 32)))[0] is WHOLE
    assert layout_and_frames(wav(b"\0" * 8, fmt=(1, 2, 24)))[0] is WHOLE


@pytest.mark.parametrize("raw", [b"RIFF\0\0\0\0WAVE", wav([1])[:20], b"RIFF\0\0\0\0WAVEdata\0\0\0\0"])
def test_refuses_a_broken_wav(raw):
    with pytest.raises(SpikeyError):
        wavfile.parse(io.BytesIO(raw), len(raw))


def test_32768_channels_or_more_have_no_canonical_header_and_round_trip(tmp_path):
    """A frame of 65,536 bytes or more overflows the 16-bit block align: the header is kept as it is
    (before: a traceback out of ./encode, the header being rebuilt). Through the executables."""
    assert wavfile.header(1, 32767, 1) is not None and wavfile.header(1, 32768, 1) is None
    raw = wav(np.arange(32768, dtype=np.int16), fmt=(1, 32768, 16))
    layout, x = layout_and_frames(raw)
    assert not layout.canonical and x.shape == (1, 32768) and rebuilt(layout, x) == raw
    (tmp_path / "in.wav").write_bytes(raw)
    for prog, src, dst in (("encode", "in.wav", "a.bw"), ("decode", "a.bw", "out.wav")):
        r = subprocess.run([ROOT / prog, tmp_path / src, tmp_path / dst], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.wav").read_bytes() == raw
