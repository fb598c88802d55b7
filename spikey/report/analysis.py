"""One input (a recording or a stream) as the dict the report draws: its stream, checked to round-trip,
spikey info's description of it, its measures, and the other codecs' sizes."""
import io
import os
import tempfile
from pathlib import Path

import numpy as np

from spikey import SpikeyError, codec, containers, fileio, stream
from spikey.info import describe
from spikey.report import compare, distortion
from spikey.report.measure import measure


def _same_bytes(f, g) -> bool:
    f.seek(0)
    g.seek(0)
    while True:
        a, b = f.read(1 << 20), g.read(1 << 20)
        if a != b:
            return False
        if not a:
            return True


def _stream_of(path, f, size, channels, rate, tmp) -> tuple[bytes, str]:
    """(stream, path of the original file) of an input, checked to round-trip: a recording is encoded
    at the default level and decoded back byte for byte; a stream is decoded whole (its checksums)."""
    f.seek(0)
    if f.read(4) == stream.MAGIC:
        f.seek(0)
        data = f.read()
        h = codec.Opened(io.BytesIO(data), len(data)).header
        original = os.path.join(tmp, "original" + codec.extension_of(h))     # wavpack reads only *.wav
        with open(original, "w+b") as out:
            codec.decode_file(io.BytesIO(data), len(data), out)
        return data, original
    if containers.probe(f, size, str(path), channels, rate) is None:
        raise SpikeyError("not int16 samples: Spikey stores this file whole, there is nothing to report")
    out = io.BytesIO()
    codec.encode_file(f, size, out, channels=channels, rate=rate, extension=codec.stored_extension(path),
                      path=str(path))
    data = out.getvalue()
    with tempfile.TemporaryFile() as back:
        codec.decode_file(io.BytesIO(data), len(data), back)
        if not _same_bytes(f, back):
            raise SpikeyError("the stream Spikey made of it does not decode to the same bytes (a fault of ours)")
    return data, path


def analyse(path, channels=None, rate=0, codecs=(), bounds=()) -> dict:
    """Everything the report shows of one input (a recording or a stream); bounds: near-lossless bounds
    to draw its rate-distortion curve at (distortion.curve). Runs in a worker process."""
    with fileio.opened_input(path) as (f, size), tempfile.TemporaryDirectory() as tmp:
        data, original = _stream_of(str(path), f, size, channels, rate, tmp)
        h = codec.Opened(io.BytesIO(data), len(data)).header
        if h.container == stream.GENERIC:
            raise SpikeyError("the stream holds a file Spikey does not model: there is nothing to report")
        return {"name": Path(path).name, "stream": original != str(path), "info": describe(data),
                "file bytes": os.path.getsize(original), "refs": h.refs, **measure(data),
                "compare": compare.sizes(original, h, codecs, tmp),
                **({"distortion": distortion.curve(codec.decode_samples(data).reshape(h.frames, h.channels),
                                                   h.rate, bounds)} if bounds else {})}


def ratio(r, codec_name="spikey"):
    size = r["info"]["stream bytes"] if codec_name == "spikey" else r["compare"].get(codec_name)
    return r["file bytes"] / size if size else np.nan


def bits_per_sample(r) -> float:
    """The whole stream's bits over the samples it holds."""
    info = r["info"]
    return 8 * info["stream bytes"] / max(info["frames"] * info["channels"], 1)
