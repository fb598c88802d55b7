"""WAV container: split a file into the bytes before the samples, the samples, and the bytes after.

Every byte outside the sample payload is kept so that the file can be rebuilt exactly, whatever its
chunks or size fields say. Only the layout of a 16-bit mono PCM file is modelled; any other RIFF/WAVE
file is reported as such so the codec can store it through its generic path.
"""
import struct
from dataclasses import dataclass

import numpy as np

from spikey import SpikeyError

WAVE_FORMAT_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class WavLayout:
    prefix: bytes          # everything before the first sample byte (RIFF header, fmt, other chunks)
    samples: np.ndarray    # int16 samples of the data chunk, as stored (little-endian)
    suffix: bytes          # everything after the last whole sample (odd byte, trailing chunks)
    sample_rate: int


def canonical_header(n_samples: int, sample_rate: int) -> bytes | None:
    """The 44-byte header a plain 16-bit mono PCM writer produces; None where its 32-bit fields cannot
    hold the byte rate or the sizes (a sample rate of 2^31 or more, or over 4 GB of samples)."""
    data_bytes = 2 * n_samples
    if 2 * sample_rate > 0xFFFFFFFF or 36 + data_bytes > 0xFFFFFFFF:
        return None
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1, 1,
                       sample_rate, 2 * sample_rate, 2, 16, b"data", data_bytes)


def _chunks(raw: bytes):
    """Yield (chunk id, payload start, declared size) for each chunk after the RIFF/WAVE header."""
    pos = 12
    while pos + 8 <= len(raw):
        cid, size = struct.unpack_from("<4sI", raw, pos)
        yield cid, pos + 8, size
        pos += 8 + size + (size & 1)


def parse(raw: bytes) -> WavLayout | None:
    """Layout of a 16-bit mono PCM WAV; None for a valid WAV of another format (generic path)."""
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise SpikeyError("not a WAV file (no RIFF/WAVE header)")
    fmt = None
    for cid, start, size in _chunks(raw):
        if cid == b"fmt ":
            if size < 16 or start + 16 > len(raw):
                raise SpikeyError("WAV fmt chunk is truncated")
            fmt = struct.unpack_from("<HHIIHH", raw, start)
            if fmt[0] == WAVE_FORMAT_EXTENSIBLE and size >= 40 and start + 40 <= len(raw):
                # Writers use this header for plain PCM too: the sub-format GUID begins with the real tag.
                fmt = struct.unpack_from("<H", raw, start + 24) + fmt[1:]
        elif cid == b"data":
            if fmt is None:
                raise SpikeyError("WAV data chunk comes before its fmt chunk")
            tag, channels, rate, _, _, bits = fmt
            if not (tag == 1 and channels == 1 and bits == 16):
                return None
            end = min(start + size, len(raw))
            n = (end - start) // 2
            samples = np.frombuffer(raw, dtype="<i2", count=n, offset=start).astype(np.int16)
            return WavLayout(raw[:start], samples, raw[start + 2 * n:], rate)
    raise SpikeyError("WAV file has no fmt or data chunk")


def build(layout_prefix: bytes, samples: np.ndarray, suffix: bytes) -> bytes:
    return b"".join((layout_prefix, samples.astype("<i2").tobytes(), suffix))
