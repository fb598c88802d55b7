"""Open Ephys binary format: <root>/continuous/<folder_name>/continuous.dat (interleaved int16) read
through <root>/structure.oebin, JSON whose continuous[] entry for that folder gives num_channels and
sample_rate. The .oebin travels whole with the stream: decoding writes it back two folders above the
continuous.dat where the output tree has them (a mirrored folder), else beside it.

An .oebin that is not JSON, has no entry for the folder or two, or disagrees with the .dat, is refused in
one line: never a guess."""
import json
import os

from spikey import SpikeyError, stream
from spikey.containers import raw
from spikey.containers.layout import Input, Layout, agree, nominal_rate, read_sidecar
from spikey.stream import Sidecar

DATA, STRUCTURE, UP = "continuous.dat", "structure.oebin", 2


def sidecars(path: str) -> list:
    """The files that a continuous.dat at path consumes: the structure.oebin two folders above it."""
    if os.path.basename(path) != DATA:
        return []
    oebin = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path)))), STRUCTURE)
    return [oebin] if os.path.isfile(oebin) else []


def probe(inp: Input) -> Layout | None:
    found = sidecars(inp.path) if inp.path else []
    if not found:
        return None
    data = read_sidecar(found[0])
    folder = os.path.basename(os.path.dirname(os.path.abspath(inp.path)))
    channels, rate = check(entry(data, folder, found[0]), inp.size, found[0])
    agree(inp, channels, rate, found[0])
    return raw.layout(inp, channels, rate, ".dat", Sidecar(STRUCTURE, data, UP))


def entry(data: bytes, folder: str, name: str) -> dict:
    """The .oebin's continuous[] entry whose folder_name is folder."""
    try:
        structure = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise SpikeyError(f"{name}: not JSON") from None
    streams = structure.get("continuous") if isinstance(structure, dict) else None
    if not isinstance(streams, list):
        raise SpikeyError(f"{name}: no list of continuous streams")
    mine = [s for s in streams if isinstance(s, dict) and str(s.get("folder_name", "")).strip("/") == folder]
    if len(mine) != 1:
        raise SpikeyError(f"{name}: {len(mine)} continuous entries have folder_name {folder!r}, not one")
    return mine[0]


def check(stream_entry: dict, size: int, name: str) -> tuple[int, int]:
    """(channels, rate) of a continuous.dat of size bytes described by its .oebin entry."""
    channels, rate = stream_entry.get("num_channels"), stream_entry.get("sample_rate")
    if not isinstance(channels, int) or isinstance(channels, bool) or not 0 < channels <= stream.MAX_CHANNELS:
        raise SpikeyError(f"{name}: num_channels {channels!r} is not a channel count (1 to {stream.MAX_CHANNELS})")
    if not isinstance(rate, (int, float)) or isinstance(rate, bool):
        raise SpikeyError(f"{name}: sample_rate {rate!r} is not a number")
    if size % (2 * channels):
        raise SpikeyError(f"{name}: num_channels={channels} int16 channels do not divide continuous.dat's "
                          f"{size} bytes")
    return channels, nominal_rate(rate, name)
