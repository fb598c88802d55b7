"""WAV: split a file into the bytes before the samples, 16-bit PCM frames, and the bytes after.

Every byte outside the sample payload is kept so that the file can be rebuilt exactly, whatever its
chunks or size fields say. 16-bit PCM of any channel count is modelled; any other RIFF/WAVE file is
reported as such (WHOLE) so the codec can store it through its generic container.
"""
import struct

from spikey import SpikeyError, stream
from spikey.containers.layout import WHOLE, Input, Layout, storable

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def header(frames: int, channels: int, rate: int) -> bytes | None:
    """The 44-byte header a plain 16-bit PCM writer produces; None where its 32-bit fields cannot hold
    the byte rate or the sizes (over 4 GB of samples), or its 16-bit block align the frame (32768
    channels or more)."""
    block = 2 * channels
    data_bytes = block * frames
    if block * rate > 0xFFFFFFFF or 36 + data_bytes > 0xFFFFFFFF or block > 0xFFFF:
        return None
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, WAVE_FORMAT_PCM,
                       channels, rate, block * rate, block, 16, b"data", data_bytes)


def _chunks(f, size: int):
    """Yield (chunk id, payload start, declared size) for each chunk after the RIFF/WAVE header."""
    pos = 12
    while pos + 8 <= size:
        f.seek(pos)
        cid, length = struct.unpack("<4sI", f.read(8))
        yield cid, pos + 8, length
        pos += 8 + length + (length & 1)


def probe(inp: Input):
    """The layout of a RIFF/WAVE file (None for any other): its own rate must agree with --rate."""
    inp.f.seek(0)
    magic = inp.f.read(12)
    if not (magic[:4] == b"RIFF" and magic[8:12] == b"WAVE"):
        return None
    layout = parse(inp.f, inp.size)
    if layout is not WHOLE and inp.rate and inp.rate != layout.rate:
        raise SpikeyError(f"--rate {inp.rate} disagrees with the WAV's own rate, {layout.rate}")
    return layout


def parse(f, size: int):
    """Layout of a 16-bit PCM WAV file f of size bytes; WHOLE for a valid WAV of another format, or one
    with more bytes around its samples than a stream holds (layout.storable)."""
    fmt = None
    for cid, start, length in _chunks(f, size):
        if cid == b"fmt ":
            if length < 16 or start + 16 > size:
                raise SpikeyError("WAV fmt chunk is truncated")
            f.seek(start)
            raw = f.read(min(length, 40))
            fmt = struct.unpack_from("<HHIIHH", raw)
            if fmt[0] == WAVE_FORMAT_EXTENSIBLE and len(raw) >= 40:
                # Writers use this header for plain PCM too: the sub-format GUID begins with the real tag.
                fmt = struct.unpack_from("<H", raw, 24) + fmt[1:]
        elif cid == b"data":
            if fmt is None:
                raise SpikeyError("WAV data chunk comes before its fmt chunk")
            tag, channels, rate, _, _, bits = fmt
            if not (tag == WAVE_FORMAT_PCM and 1 <= channels <= stream.MAX_CHANNELS and bits == 16):
                return WHOLE
            frames = (min(start + length, size) - start) // (2 * channels)
            if not storable(start, size - start - 2 * channels * frames):
                return WHOLE
            f.seek(0)
            prefix = f.read(start)
            f.seek(start + 2 * channels * frames)
            layout = Layout(stream.WAV, prefix, f.read(), frames, channels, rate)
            layout.canonical = prefix == header(frames, channels, rate)
            return layout
    raise SpikeyError("WAV file has no fmt or data chunk")
