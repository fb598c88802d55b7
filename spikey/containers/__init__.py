"""Containers: a file's bytes as (bytes before the samples, int16 frames, bytes after), and back.

The codec codes int16 frames (time x channels) and knows nothing of files. Each module here is one
container behind one interface, `probe(Input) -> Layout | WHOLE | None` (its layout; a file of its kind
whose samples are not modelled, stored whole; or not its kind), and those with a sidecar also
`sidecars(path)`, the files beside a data file that it consumes. They are asked in turn (CONTAINERS):
the formats a sidecar names first, since a sidecar beside a file says more than its first bytes; then
WAV and .npy by their magic; raw int16 last, when the caller names the channel count. Frames move between
the file and the coder a block at a time, so memory never grows with a recording's length.

Dependencies run one way: the codec imports containers, containers import only the stream's syntax.
"""
import numpy as np

from spikey import SpikeyError, stream
from spikey.containers import cbin, npy, openephys, raw, spikeglx, wav
from spikey.containers.layout import WHOLE, Input, Layout, storable

__all__ = ["Input", "Layout", "WHOLE", "canonical_prefix", "probe", "read_frames", "read_recording", "sidecars",
           "storable", "write_frames"]

CONTAINERS = (cbin, spikeglx, openephys, wav, npy, raw)
WITH_SIDECARS = (cbin, spikeglx, openephys)


def probe(f, size: int, path: str = "", channels: int | None = None, rate: int = 0, extension: str = "",
          unknown_whole: bool = False) -> Layout | None:
    """The layout of the file f (size bytes) at path; None for a file of a known container whose samples
    are not int16 (the generic container stores those), and, where unknown_whole, for a file of none.
    A sidecar is looked for only where path is given."""
    inp = Input(f, size, path, channels, rate, extension, unknown_whole)
    for container in CONTAINERS:
        layout = container.probe(inp)
        if layout is not None:
            return None if layout is WHOLE else layout
    raise AssertionError("raw.probe answers every file")


def sidecars(path: str) -> list:
    """The files beside a data file that its container consumes (they travel in its stream)."""
    return [s for container in WITH_SIDECARS for s in container.sidecars(path)]


def read_frames(f, layout: Layout, start: int, stop: int) -> np.ndarray:
    """Frames start..stop as a C-contiguous (stop - start, channels) int16 array."""
    n, c, base = stop - start, layout.channels, len(layout.prefix)
    if layout.source is not None:
        return np.ascontiguousarray(layout.source(start, stop), dtype=np.int16)
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
    if layout.container == stream.WAV:
        return wav.header(layout.frames, layout.channels, layout.rate)
    if layout.container in (stream.NPY, stream.ARRAY):
        return npy.header(layout.frames, layout.channels, layout.one_dim, layout.planar, layout.unsigned)
    return b""


def read_recording(path, channels: int | None = None, rate: int = 0) -> tuple[Layout, np.ndarray]:
    """A whole recording's layout and its frames (frames, channels), for training and benchmarks;
    a file that is not int16 samples is refused."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        layout = probe(f, size, str(path), channels, rate)
        if layout is None:
            raise SpikeyError(f"{path}: not int16 samples")
        return layout, read_frames(f, layout, 0, layout.frames)
