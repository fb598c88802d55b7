"""SpikeGLX: x.bin (interleaved int16, every saved channel) and x.meta beside it, whose key=value lines
give the channel count (nSavedChans), the rate (imSampRate, niSampRate for the NI-DAQ, obSampRate for
a OneBox) and the .bin's size (fileSizeBytes), checked against the file. The .meta travels whole with the
stream and is written back beside the decoded .bin, under its name with .meta.

A .meta that lacks one of those keys, or disagrees with the .bin, is refused in one line: never a guess."""
import os

from spikey import SpikeyError, stream
from spikey.containers import raw
from spikey.containers.layout import Input, Layout, agree, nominal_rate, read_sidecar
from spikey.stream import Sidecar

RATE_KEYS = {"imec": "imSampRate", "nidq": "niSampRate", "obx": "obSampRate"}    # by typeThis


def sidecars(path: str) -> list:
    """The files that a .bin at path consumes: its .meta, where there is one."""
    meta = raw.beside(path, ".meta")
    return [meta] if path.endswith(".bin") and os.path.isfile(meta) else []


def probe(inp: Input) -> Layout | None:
    found = sidecars(inp.path) if inp.path else []
    if not found:
        return None
    meta = found[0]
    data = read_sidecar(meta)
    channels, rate = check(parse(data, meta), inp.size, meta)
    agree(inp, channels, rate, meta)
    return raw.layout(inp, channels, rate, ".bin", Sidecar(".meta", data))


def parse(data: bytes, name: str) -> dict:
    """A .meta's key=value lines (text; the ~tables too), a key twice refused."""
    meta = {}
    for line in data.decode("latin-1").splitlines():     # SpikeGLX writes ASCII; notes may hold more
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key in meta:
            raise SpikeyError(f"{name}: {key} appears twice")
        meta[key] = value.strip()
    return meta


def check(meta: dict, size: int, name: str) -> tuple[int, int]:
    """(channels, rate) of a .bin of size bytes described by meta, or a one-line refusal."""
    rate_key = RATE_KEYS.get(meta.get("typeThis")) or next((k for k in RATE_KEYS.values() if k in meta), None)
    for key in ("nSavedChans", rate_key or "imSampRate", "fileSizeBytes"):
        if key not in meta:
            hint = " (a .meta written while acquiring has none: SpikeGLX adds it when the file is closed)" \
                if key == "fileSizeBytes" else ""
            raise SpikeyError(f"{name}: no {key}{hint}")
    channels, declared = _integer(meta, "nSavedChans", name), _integer(meta, "fileSizeBytes", name)
    try:
        rate = float(meta[rate_key])
    except ValueError:
        raise SpikeyError(f"{name}: {rate_key}={meta[rate_key][:40]} is not a number") from None
    if declared != size:
        raise SpikeyError(f"{name}: fileSizeBytes={declared}, but the .bin holds {size} bytes")
    if not 0 < channels <= stream.MAX_CHANNELS:
        raise SpikeyError(f"{name}: nSavedChans={channels} is out of range (1 to {stream.MAX_CHANNELS})")
    if size % (2 * channels):
        raise SpikeyError(f"{name}: nSavedChans={channels} int16 channels do not divide the .bin's {size} bytes")
    return channels, nominal_rate(rate, name)


def _integer(meta: dict, key: str, name: str) -> int:
    if not (meta[key].isascii() and meta[key].isdigit()):
        raise SpikeyError(f"{name}: {key}={meta[key][:40]} is not a whole number")
    return int(meta[key])
