import io

import pytest

from spikey import SpikeyError, containers, stream


def test_unknown_bytes_without_a_channel_count_are_refused():
    for raw in [b"", b"RIFF", b"hello world, not a wav"]:
        with pytest.raises(SpikeyError, match="channel count"):
            containers.probe(io.BytesIO(raw), len(raw))


def test_a_partial_frame_is_kept_as_the_suffix():
    layout = containers.probe(io.BytesIO(b"hello world"), 11, channels=2, rate=30000)
    assert (layout.container, layout.frames, layout.suffix, layout.rate) == (stream.RAW, 2, b"rld", 30000)


def test_a_file_found_in_a_folder_that_is_no_recording_is_stored_whole():
    """spikey encode DIR stores such a file whole (a generic stream), so that the tree decodes back whole."""
    assert containers.probe(io.BytesIO(b"notes"), 5, unknown_whole=True) is None
    assert containers.probe(io.BytesIO(b"notes"), 5, channels=1, unknown_whole=True).container == stream.RAW
