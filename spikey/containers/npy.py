"""NumPy .npy: the header, then int16 samples shaped (frames,) or (frames, channels), C or Fortran order.

Only little-endian int16 is modelled; any other dtype or shape, or more bytes around the samples than a
stream holds, is reported as WHOLE, and the codec stores the file through its generic container.
"""
import io

import numpy as np

from spikey import stream
from spikey.containers.layout import WHOLE, Input, Layout, storable

MAGIC = b"\x93NUMPY"


def header(frames: int, channels: int, one_dim: bool, fortran: bool, unsigned: bool = False) -> bytes:
    """The header np.save writes for an int16 (or uint16) array of this shape and order."""
    out = io.BytesIO()
    shape = (frames,) if one_dim else (frames, channels)
    descr = "<u2" if unsigned else "<i2"
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return out.getvalue()


def probe(inp: Input):
    """The layout of a .npy file (None for any other); it has no rate: the stream keeps the one given
    (spikey info shows it)."""
    inp.f.seek(0)
    if inp.f.read(6) != MAGIC:
        return None
    layout = parse(inp.f, inp.size)
    if layout is not WHOLE:
        layout.rate = inp.rate
    return layout


def parse(f, size: int):
    f.seek(0)
    try:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(f)
    except Exception:       # numpy parses the header's text with Python's tokenizer and literal_eval, which
        return WHOLE        # raise what they like on hostile text (an unbalanced bracket: TokenError)
    start = f.tell()
    if dtype != np.dtype("<i2") or len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] == 0):
        return WHOLE
    frames, channels = shape[0], (shape[1] if len(shape) == 2 else 1)
    end = start + 2 * frames * channels
    if channels > stream.MAX_CHANNELS or end > size or not storable(start, size - end):
        return WHOLE
    f.seek(0)
    prefix = f.read(start)
    f.seek(end)
    layout = Layout(stream.NPY, prefix, f.read(), frames, channels, planar=bool(fortran) and channels > 1,
                    one_dim=len(shape) == 1)
    layout.canonical = prefix == header(frames, channels, layout.one_dim, layout.planar)
    return layout
