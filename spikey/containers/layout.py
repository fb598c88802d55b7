"""What every container module shares: the Layout it finds, the Input it looks at, and the bounds a
stream puts on the bytes around the samples."""
from dataclasses import dataclass

from spikey import SpikeyError, stream
from spikey.stream import Sidecar


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
    sidecar: Sidecar | None = None     # the file beside that describes the samples, kept whole
    source: object = None      # frames (start, stop) where they are not the file's bytes (a .cbin's decompressor)


@dataclass
class Input:
    """A file to encode, as each container's probe sees it: f (size bytes), its path ("" for bytes that are
    no file: then no sidecar is looked for), what the caller said of its layout, and whether a file of no
    known container is stored whole (unknown_whole) rather than refused."""
    f: object
    size: int
    path: str = ""
    channels: int | None = None
    rate: int = 0
    extension: str = ""
    unknown_whole: bool = False


WHOLE = object()    # a probe's answer for a file of its container whose samples Spikey does not model


def storable(prefix_bytes: int, suffix_bytes: int) -> bool:
    """Whether a stream can hold a container's bytes around the samples (stream.MAX_FIELD each); a file
    with more is stored whole, in the generic container, so that neither side holds more at once."""
    return prefix_bytes <= stream.MAX_FIELD and suffix_bytes <= stream.MAX_FIELD


def agree(inp: Input, channels: int, rate: int, source: str) -> None:
    """Refuse in one line --channels or --rate that contradict what the file's own metadata says."""
    if inp.channels is not None and inp.channels != channels:
        raise SpikeyError(f"--channels {inp.channels} disagrees with {source}: {channels} channels")
    if inp.rate and inp.rate != rate:
        raise SpikeyError(f"--rate {inp.rate} disagrees with {source}: {rate} samples per second")


def nominal_rate(rate: float, source: str) -> int:
    """A rig's sampling rate as the stream's whole field holds it: rounded (SpikeGLX calibrates its clock
    to 30000.155 Hz; the exact figure stays in the sidecar, which travels)."""
    if not 0 < rate <= stream.MAX_RATE:
        raise SpikeyError(f"{source}: a sampling rate of {rate} is out of range")
    return round(rate)


def read_sidecar(path: str) -> bytes:
    """A sidecar's bytes, refused in one line where it cannot be read or holds more than a stream keeps."""
    try:
        with open(path, "rb") as f:
            data = f.read(stream.MAX_SIDECAR + 1)
    except OSError as e:
        raise SpikeyError(f"cannot read {path}: {e.strerror}") from None
    if len(data) > stream.MAX_SIDECAR:
        raise SpikeyError(f"{path}: over {stream.MAX_SIDECAR} bytes, more than a stream keeps of a sidecar")
    return data
