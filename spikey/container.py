"""Containers: a file's bytes as (bytes before the samples, int16 frames, bytes after), and back.

The codec codes int16 frames (time x channels) and knows nothing of files. This module finds which
container a file is (spikey/wavfile.py, spikey/npyfile.py, or raw interleaved int16 when the caller
names the channel count) and moves frames between the file and the coder a block at a time, so that
memory never grows with a recording's length.
"""
from dataclasses import dataclass

import numpy as np

from spikey import SpikeyError
from spikey import stream

NPY_MAGIC = b"\x93NUMPY"


@dataclass
class Layout:
    container: int             # stream.WAV, RAW, NPY, ARRAY
    prefix: bytes              # every byte before the first sample
    suffix: bytes              # every byte after the last whole frame
    frames: int
    channels: int
    rate: int = 0
    planar: bool = False       # channel after channel (npy in Fortran order), not interleaved
    one_dim: bool = False
    canonical: bool = False    # prefix is what the container's writer makes from the fields alone
    extension: str = ""
    unsigned: bool = False     # the samples API's uint16, coded as int16 with the top bit flipped


def probe(f, size: int, channels: int | None = None, rate: int = 0, extension: str = "") -> Layout | None:
    """The layout of the file f (size bytes): WAV and npy by their magic, raw when channels is given.
    None for a WAV or npy whose samples are not int16 (the generic container stores those)."""
    from spikey import npyfile, wavfile
    f.seek(0)
    magic = f.read(12)
    if magic[:4] == b"RIFF" and magic[8:12] == b"WAVE":
        layout = wavfile.parse(f, size)
        if layout is not None and rate and rate != layout.rate:
            raise SpikeyError(f"--rate {rate} disagrees with the WAV's own rate, {layout.rate}")
        return layout
    if magic[:6] == NPY_MAGIC:
        layout = npyfile.parse(f, size)
        if layout is not None:
            layout.rate = rate          # a .npy has no rate: the stream keeps the one given (spikey info shows it)
        return layout
    if channels is None:
        raise SpikeyError("not a WAV or .npy file (raw int16 needs its channel count: spikey encode --channels N)")
    stream.check_range("--channels", channels, 1, stream.MAX_CHANNELS)
    frames = size // (2 * channels)
    f.seek(2 * channels * frames)         # the suffix, a partial frame, is shorter than stream.MAX_FIELD
    return Layout(stream.RAW, b"", f.read(), frames, channels, rate, extension=extension)


def storable(prefix_bytes: int, suffix_bytes: int) -> bool:
    """Whether a stream can hold a container's bytes around the samples (stream.MAX_FIELD each); a file
    with more is stored whole, in the generic container, so that neither side holds more at once."""
    return prefix_bytes <= stream.MAX_FIELD and suffix_bytes <= stream.MAX_FIELD


def read_frames(f, layout: Layout, start: int, stop: int) -> np.ndarray:
    """Frames start..stop as a C-contiguous (stop - start, channels) int16 array."""
    n, c, base = stop - start, layout.channels, len(layout.prefix)
    if not layout.planar:
        f.seek(base + 2 * c * start)
        return _int16(f.read(2 * c * n), n * c).reshape(n, c)
    x = np.empty((n, c), dtype=np.int16)
    for ch in range(c):
        f.seek(base + 2 * (ch * layout.frames + start))
        x[:, ch] = _int16(f.read(2 * n), n)
    return x


def write_frames(f, layout: Layout, start: int, x: np.ndarray):
    """Frames x (n, channels) into place start in the file f, whose prefix is written already; uint16
    samples get their top bit back."""
    base = len(layout.prefix)
    if layout.unsigned:
        x = x ^ np.int16(-0x8000)
    if not layout.planar:
        f.seek(base + 2 * layout.channels * start)
        f.write(np.ascontiguousarray(x, dtype="<i2").tobytes())
        return
    for ch in range(layout.channels):
        f.seek(base + 2 * (ch * layout.frames + start))
        f.write(np.ascontiguousarray(x[:, ch], dtype="<i2").tobytes())


def _int16(data: bytes, n: int) -> np.ndarray:
    if len(data) != 2 * n:
        raise SpikeyError("the input file changed or ended while it was being read")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def canonical_prefix(layout: Layout) -> bytes | None:
    """The bytes before the samples that the container's plain writer makes for these fields."""
    from spikey import npyfile, wavfile
    if layout.container == stream.WAV:
        return wavfile.header(layout.frames, layout.channels, layout.rate)
    if layout.container in (stream.NPY, stream.ARRAY):
        return npyfile.header(layout.frames, layout.channels, layout.one_dim, layout.planar, layout.unsigned)
    return b""


def read_recording(path, channels: int | None = None, rate: int = 0) -> tuple[Layout, np.ndarray]:
    """A whole recording's layout and its frames (frames, channels), for training and benchmarks;
    a file that is not int16 samples is refused."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        layout = probe(f, size, channels, rate)
        if layout is None:
            raise SpikeyError(f"{path}: not int16 samples")
        return layout, read_frames(f, layout, 0, layout.frames)
