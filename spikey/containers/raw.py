"""Raw interleaved int16 with nothing to say its layout: the caller names the channel count (--channels).

Every container with a sidecar (SpikeGLX, Open Ephys) stores its samples so too, and codes through here
with the channel count its sidecar gives."""
import os

from spikey import SpikeyError, stream
from spikey.containers.layout import WHOLE, Input, Layout


def probe(inp: Input):
    """The last container tried: raw when the caller gave a channel count, else WHOLE where the caller
    stores unknown files so, else a refusal."""
    if inp.channels is None and inp.unknown_whole:
        return WHOLE
    if inp.channels is None:
        raise SpikeyError("not a WAV or .npy file, and no sidecar beside it (a SpikeGLX .meta, an Open Ephys "
                          "structure.oebin); raw int16 needs its channel count: spikey encode --channels N")
    return layout(inp, inp.channels, inp.rate, inp.extension)


def layout(inp: Input, channels: int, rate: int, extension: str, sidecar=None) -> Layout:
    """Frames of channels int16 samples from the file's first byte; a partial frame at the end is kept
    as the suffix (shorter than a frame, so than stream.MAX_FIELD)."""
    stream.check_range("--channels", channels, 1, stream.MAX_CHANNELS)
    frames = inp.size // (2 * channels)
    inp.f.seek(2 * channels * frames)
    return Layout(stream.RAW, b"", inp.f.read(), frames, channels, rate, extension=extension, sidecar=sidecar)


def beside(path: str, extension: str) -> str:
    """The name of the file beside path with its extension replaced (x.ap.bin -> x.ap.meta)."""
    return os.path.splitext(path)[0] + extension
