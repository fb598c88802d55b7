"""Spikey as a numcodecs codec: a compressor for zarr v2 arrays (zarr 2.x, or zarr 3 with zarr_format=2),
SpikeInterface, hdmf-zarr and anything else that takes a numcodecs codec.

    import numcodecs, zarr
    codec = numcodecs.get_codec({"id": "spikey"})       # found through the numcodecs.codecs entry point

Each encoded chunk is one .brainwire stream (docs/format.md), so it decodes alone and `spikey decode`
reads it. The configuration is {"id": "spikey", "level": ..., "max_error": ...}: the level is how hard the
encoder works (docs/levels.md), max_error the near-lossless bound (0, lossless, unless given: a whole
number K, or "auto:F" from each chunk's own noise; docs/near-lossless.md); everything decoding needs
(channels, frames, dtype, memory order, level, bound) is in the stream (the sampling rate is header
metadata only; zarr and SpikeInterface keep it in the array's attributes).

numcodecs codecs transform memory: zarr v2 hands the compressor a chunk in the array's order ("C" or
"F") and reinterprets what decode returns in that same order. So decode gives back what encode was given, shape
and memory order: C-contiguous (frames,) or (frames, channels) for a C-ordered chunk (and for any that is
not contiguous), and for a Fortran-ordered (frames, channels) chunk a Fortran-ordered one, since a
C-contiguous result would be read back channel-major by zarr and scramble the chunk. Such a chunk is
stored as a Fortran-order .npy in the stream (the PLANAR flag, docs/format.md section 2): still coded
channel by channel over time, and the stream says which order to give back.
"""
import io

import numpy as np
from numcodecs.abc import Codec
from numcodecs.compat import ensure_bytes, ensure_ndarray, ndarray_copy
from numcodecs.registry import register_codec

from spikey import SpikeyError, codec, profiles, quantiser, stream

DTYPES = (np.dtype(np.int16), np.dtype(np.uint16))


def check_samples(x: np.ndarray) -> None:
    """TypeError/ValueError unless x is native int16 or uint16 shaped (frames,) or (frames, channels)."""
    if x.dtype not in DTYPES:
        raise TypeError(f"Spikey codes int16 or uint16 samples (native byte order), not {x.dtype.str} "
                        f"({x.dtype}); convert with astype('int16') first if the values fit")
    if x.ndim not in (1, 2):
        raise ValueError(f"Spikey codes arrays shaped (frames,) or (frames, channels), not {x.ndim}-D {x.shape}")
    if x.ndim == 2 and not 1 <= x.shape[1] <= stream.MAX_CHANNELS:
        raise ValueError(f"Spikey codes 1 to {stream.MAX_CHANNELS} channels, not {x.shape[1]}")


def _fortran(x: np.ndarray) -> bool:
    """Whether x's memory is channel after channel (F-ordered and not also C-ordered, as (T, 1) is)."""
    return x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous


class Spikey(Codec):
    """Lossless (or near-lossless: max_error) compression of int16/uint16 electrode recordings: chunks
    shaped (frames,) or (frames, channels), any memory order. level: fast, default or max
    (docs/levels.md); the stream names its level and bound, so decoding needs neither."""

    codec_id = "spikey"

    def __init__(self, level: str = "default", max_error=0):
        profiles.index(level)         # refuses an unknown level or bound now, not at the first chunk
        quantiser.check(max_error)
        self.level = level
        self.max_error = max_error

    def get_config(self):
        config = {"id": self.codec_id, "level": self.level}
        return config if quantiser.exact(self.max_error) else {**config, "max_error": self.max_error}

    def encode(self, buf):
        x = ensure_ndarray(buf)
        check_samples(x)
        if not _fortran(x):
            return codec.encode_samples(x, level=self.level, max_error=self.max_error)
        if not quantiser.exact(self.max_error):
            raise ValueError("Spikey's near-lossless coding needs C-ordered chunks (zarr v2 order='C')")
        if x.dtype != np.int16:
            # The .npy container holds int16 only and the samples container has no order flag.
            raise ValueError("Spikey cannot code a Fortran-ordered uint16 chunk (zarr v2 order='F'); "
                             "use order='C', or int16")
        npy = io.BytesIO()
        np.save(npy, x)            # F-contiguous: a Fortran-order .npy, coded with the PLANAR flag
        return codec.encode(npy.getvalue(), level=self.level)

    def decode(self, buf, out=None):
        data = ensure_bytes(buf)
        opened = codec.Opened(io.BytesIO(data), len(data))
        h, model = opened.header, opened.model
        if h.container == stream.GENERIC:
            raise SpikeyError("this stream holds a file Spikey does not model, not samples")
        shape = (h.frames,) if h.flags & stream.ONE_DIM else (h.frames, h.channels)
        dtype = np.dtype(np.uint16 if h.flags & stream.UNSIGNED else np.int16)
        planar = h.flags & stream.PLANAR and len(shape) == 2
        if (not planar and isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype
                and out.flags.c_contiguous and out.flags.writeable):
            return codec.decode_samples(data, model=model, out=out)     # straight into out
        y = codec.decode_samples(data, model=model)
        if planar:
            y = np.asfortranarray(y)    # it came from a Fortran-ordered chunk: give back that memory
        return y if out is None else ndarray_copy(y, out)


register_codec(Spikey)
