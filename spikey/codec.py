"""A whole WAV file to a .brainwire stream and back: container -> levels -> coder -> stream."""
import hashlib
import zlib

import numpy as np

from spikey import SpikeyError, container, stream
from spikey import distribution as dist
from spikey import predictor as pred
from spikey.coder import decode_levels, encode_levels
from spikey.levels import LevelTable, adc_table, identity_table

MAX_EXCEPTION_SHARE = 0.01   # beyond this share of off-table samples, code on the identity table


def model_id() -> bytes:
    """Identifies everything a decoder must share with the encoder: tables and predictor constants."""
    t = adc_table()
    h = hashlib.sha256()
    for part in (t.values, t.edges, dist.GAUSSIAN_CDF):
        h.update(np.ascontiguousarray(part).tobytes())
    h.update(repr((pred.ORDER, pred.FORGET, pred.P_INIT, pred.P_TRACE_MAX, pred.VAR_RATE,
                   pred.VAR_INIT, pred.VAR_MIN)).encode())
    return h.digest()[:4]


def _code(table: LevelTable, idx) -> bytes:
    return encode_levels(idx, table.edges, table.centres, dist.GAUSSIAN_CDF,
                         pred.VAR_INIT, pred.VAR_RATE).tobytes()


def _decode(table: LevelTable, payload: bytes, n: int) -> np.ndarray:
    buf = np.frombuffer(payload, dtype=np.uint8)
    return table.values[decode_levels(buf, n, table.edges, table.centres, dist.GAUSSIAN_CDF,
                                             pred.VAR_INIT, pred.VAR_RATE)]


def _code_samples(samples: np.ndarray):
    """Pick the cheapest sample coding: ADC model, identity model, or verbatim."""
    n = len(samples)
    verbatim = (stream.CODING_VERBATIM, [], samples.astype("<i2").tobytes())
    adc = adc_table()
    idx, off = adc.indices(samples)
    if len(off) <= MAX_EXCEPTION_SHARE * n:
        exceptions = [(int(p), int(samples[p])) for p in off]
        best = (stream.CODING_ADC, exceptions, _code(adc, idx))
    else:
        best = (stream.CODING_IDENTITY, [], _code(identity_table(), samples.astype(np.int32) + 32768))
    cost = len(best[2]) + 4 * len(best[1])
    return best if cost < len(verbatim[2]) else verbatim


def encode(raw: bytes) -> bytes:
    layout = container.parse(raw)
    crc = zlib.crc32(raw)
    if layout is None:
        return stream.write(stream.Stream(model_id(), stream.CODING_GENERIC, 0, None, raw, b"", [], b"", crc))
    n = len(layout.samples)
    canonical = layout.prefix == container.canonical_header(n, layout.sample_rate) and not layout.suffix
    coding, exceptions, payload = _code_samples(layout.samples)
    return stream.write(stream.Stream(model_id(), coding, n, layout.sample_rate if canonical else None,
                                      b"" if canonical else layout.prefix, layout.suffix, exceptions,
                                      payload, crc))


def decode(data: bytes) -> bytes:
    s = stream.read(data, model_id())
    if s.coding == stream.CODING_GENERIC:
        raw = s.prefix
    else:
        if s.coding == stream.CODING_VERBATIM:
            if len(s.payload) != 2 * s.n_samples:
                raise SpikeyError("corrupt stream: verbatim payload has the wrong length")
            samples = np.frombuffer(s.payload, dtype="<i2")
        elif s.coding == stream.CODING_IDENTITY:
            samples = _decode(identity_table(), s.payload, s.n_samples)
        else:
            samples = _decode(adc_table(), s.payload, s.n_samples)
            for pos, value in s.exceptions:
                samples[pos] = value
        prefix = s.prefix if s.sample_rate is None else container.canonical_header(s.n_samples, s.sample_rate)
        raw = container.build(prefix, samples, s.suffix)
    if zlib.crc32(raw) != s.file_crc:
        raise SpikeyError("decoded file fails its checksum: stream is corrupt or the decoder is faulty")
    return raw
