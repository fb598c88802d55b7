import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikey import SpikeyError, codec, containers, stream
from spikey.containers import WHOLE
from spikey.containers import npy


def saved(x) -> bytes:
    out = io.BytesIO()
    np.save(out, x)
    return out.getvalue()


@pytest.mark.parametrize("x", [np.arange(12, dtype=np.int16), np.arange(12, dtype=np.int16).reshape(4, 3),
                               np.asfortranarray(np.arange(12, dtype=np.int16).reshape(4, 3)),
                               np.zeros((0, 5), dtype=np.int16)], ids=["1-D", "C", "Fortran", "empty"])
def test_what_np_save_writes_is_canonical_and_read_back(x):
    raw = saved(x)
    f = io.BytesIO(raw)
    layout = npy.parse(f, len(raw))
    assert layout.canonical and layout.one_dim == (x.ndim == 1) and layout.suffix == b""
    assert layout.planar == (x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous)
    assert np.array_equal(containers.read_frames(f, layout, 0, layout.frames), x if x.ndim == 2 else x[:, None])
    assert npy.header(layout.frames, layout.channels, layout.one_dim, layout.planar) == layout.prefix


@pytest.mark.parametrize("x", [np.arange(4, dtype=">i2"), np.arange(4, dtype=np.uint16), np.zeros((2, 2, 2), np.int16),
                               np.arange(4.0)], ids=["big-endian", "uint16", "3-D", "float"])
def test_other_arrays_go_to_the_generic_container(x):
    raw = saved(x)
    assert npy.parse(io.BytesIO(raw), len(raw)) is WHOLE


def test_a_truncated_npy_is_not_modelled():
    raw = saved(np.arange(100, dtype=np.int16))[:-3]
    assert npy.parse(io.BytesIO(raw), len(raw)) is WHOLE
    assert containers.probe(io.BytesIO(raw), len(raw)) is None
    assert stream.NPY == npy.parse(io.BytesIO(saved(np.int16([1]))), 130).container


@pytest.mark.parametrize("text", ["'shape': (3,, }", "'shape': [(3,), }", "'shape': (3,)) }", "'shape': ((3,), }"])
def test_a_header_numpy_cannot_parse_is_not_modelled_and_round_trips(text):
    """An unbalanced bracket made numpy's tokenizer raise TokenError, a traceback out of ./encode."""
    header = ("{'descr': '<i2', 'fortran_order': False, " + text).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 6
    assert npy.parse(io.BytesIO(raw), len(raw)) is WHOLE
    assert codec.decode(codec.encode(raw)) == raw


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=80) | st.text("{}()[],:' <i2TrueFalseshapedescrfortran_order0123456789", max_size=80)
       .map(str.encode))
def test_any_npy_header_text_round_trips_or_is_refused(text):
    header = text + b" " * (-(len(text) + 11) % 64) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\1\2" * 5
    try:
        encoded = codec.encode(raw)
    except SpikeyError:
        return
    assert codec.decode(encoded) == raw
