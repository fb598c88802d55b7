"""IBL's archive: x.cbin compressed by mtscomp, described by x.ch (JSON) beside it, and often the
SpikeGLX x.meta of the .bin it came from. The .cbin is decompressed a block at a time and its samples
coded; decoding gives the .bin that mtscomp would give (samples exact), not the .cbin: the .cbin's and
the .ch's bytes are not kept. The .meta, where there is one, is checked against that .bin and travels.

mtscomp is an optional extra (pip install 'spikey-codec[cbin]'); without it a .cbin is refused in one line."""
import json
import os
from itertools import pairwise

from spikey import SpikeyError, stream
from spikey.containers import raw, spikeglx
from spikey.containers.layout import Input, Layout, agree, nominal_rate, read_sidecar
from spikey.stream import Sidecar

CACHE_CHUNKS = 2    # mtscomp's chunks (a second each) held at once: a block spans at most two or three


def sidecars(path: str) -> list:
    """The files that a .cbin at path consumes: its .ch, and the .meta where there is one."""
    if not path.endswith(".cbin"):
        return []
    return [p for p in (raw.beside(path, ".ch"), raw.beside(path, ".meta")) if os.path.isfile(p)]


def probe(inp: Input) -> Layout | None:
    if not inp.path.endswith(".cbin"):
        return None
    ch = raw.beside(inp.path, ".ch")
    if not os.path.isfile(ch):
        raise SpikeyError(f"{inp.path}: no {os.path.basename(ch)} beside it (mtscomp's description of the .cbin)")
    cmeta = describe(read_sidecar(ch), inp.size, ch)
    channels, frames = cmeta["n_channels"], cmeta["chunk_bounds"][-1]
    rate = nominal_rate(cmeta["sample_rate"], ch)
    sidecar = _meta(inp.path, 2 * channels * frames, channels)
    agree(inp, channels, rate, ch)
    return Layout(stream.RAW, b"", b"", frames, channels, rate, extension=".bin", sidecar=sidecar,
                  source=_reader(inp.f, cmeta, inp.path))


def describe(data: bytes, size: int, name: str) -> dict:
    """The .ch's fields, checked: int16 samples, a channel count, chunks that fit the .cbin's size bytes."""
    try:
        cmeta = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise SpikeyError(f"{name}: not JSON") from None
    if not isinstance(cmeta, dict):
        raise SpikeyError(f"{name}: not an mtscomp description (a JSON object)")
    if cmeta.get("dtype") != "int16":
        raise SpikeyError(f"{name}: the .cbin's samples are not int16 (dtype {cmeta.get('dtype')!r})")
    channels, bounds, offsets = cmeta.get("n_channels"), cmeta.get("chunk_bounds"), cmeta.get("chunk_offsets")
    if not (_count(channels) and 0 < channels <= stream.MAX_CHANNELS):
        raise SpikeyError(f"{name}: n_channels {channels!r} is not a channel count (1 to {stream.MAX_CHANNELS})")
    if not (_rising(bounds) and _rising(offsets) and len(bounds) == len(offsets) >= 2 and bounds[0] == offsets[0] == 0):
        raise SpikeyError(f"{name}: chunk_bounds and chunk_offsets are not two rising lists from 0 of one length")
    if offsets[-1] != size:
        raise SpikeyError(f"{name}: its chunks end at byte {offsets[-1]}, but the .cbin holds {size} bytes")
    if not isinstance(cmeta.get("sample_rate"), (int, float)) or isinstance(cmeta.get("sample_rate"), bool):
        raise SpikeyError(f"{name}: sample_rate {cmeta.get('sample_rate')!r} is not a number")
    return cmeta


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _rising(values) -> bool:
    return isinstance(values, list) and all(map(_count, values)) and all(a <= b for a, b in pairwise(values))


def _meta(path: str, size: int, channels: int) -> Sidecar | None:
    """The SpikeGLX .meta beside the .cbin, checked against the .bin it decompresses to."""
    meta = raw.beside(path, ".meta")
    if not os.path.isfile(meta):
        return None
    data = read_sidecar(meta)
    described, _ = spikeglx.check(spikeglx.parse(data, meta), size, meta)
    if described != channels:
        raise SpikeyError(f"{meta}: nSavedChans={described}, but the .cbin holds {channels} channels")
    return Sidecar(".meta", data)


def _reader(f, cmeta: dict, path: str):
    """frames(start, stop) of the .cbin, decompressed by mtscomp from its own handle on the file (it
    closes the one it is given)."""
    try:
        import mtscomp
    except ImportError:
        raise SpikeyError(f"{path}: a .cbin needs mtscomp: pip install 'spikey-codec[cbin]' "
                          "(or pip install mtscomp)") from None
    reader = mtscomp.Reader(cache_size=CACHE_CHUNKS, quiet=True)
    reader.open(os.fdopen(os.dup(f.fileno()), "rb"), cmeta)

    def frames(start: int, stop: int):
        try:
            return reader[start:stop]
        except Exception as e:      # mtscomp asserts, and raises IOError on a damaged chunk
            raise SpikeyError(f"{path}: mtscomp cannot decompress it: {type(e).__name__} {e}".strip()) from None
    return frames
