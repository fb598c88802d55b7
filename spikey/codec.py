"""A whole WAV file to a .brainwire stream and back: container -> levels -> coder -> stream."""
import zlib

import numpy as np

from spikey import SpikeyError, container, stream
from spikey import distribution as dist
from spikey import predictor as pred
from spikey.kernels import decode_levels, encode_levels
from spikey.levels import LevelTable, identity_table
from spikey import weights
from spikey.weights import adc_table, heads, model_id

MAX_EXCEPTION_SHARE = 0.01   # beyond this share of off-table samples, code on the identity table
HEAD_TRIAL_SAMPLES = 16384   # the encoder picks a region head by coding this many samples with each


def code_levels(table: LevelTable, idx, head) -> bytes:
    return encode_levels(idx, table.edges, table.centres, dist.GAUSSIAN_CDF, pred.VAR_INIT, pred.VAR_RATE,
                         *head).tobytes()


def decode_levels_of(table: LevelTable, payload: bytes, n: int, head) -> np.ndarray:
    buf = np.frombuffer(payload, dtype=np.uint8)
    return table.values[decode_levels(buf, n, table.edges, table.centres, dist.GAUSSIAN_CDF, pred.VAR_INIT,
                                      pred.VAR_RATE, *head)]


def _best_head(table, idx) -> int:
    n_heads = len(heads()[0])
    if n_heads == 1:
        return 0
    trial = idx[:HEAD_TRIAL_SAMPLES]
    return int(np.argmin([len(code_levels(table, trial, weights.head(i))) for i in range(n_heads)]))


def _code_samples(samples: np.ndarray):
    """Pick the cheapest sample coding: ADC model, identity model, or verbatim."""
    n = len(samples)
    adc = adc_table()
    idx, off = adc.indices(samples)
    if len(off) <= MAX_EXCEPTION_SHARE * n:
        coding, table, exceptions = stream.CODING_ADC, adc, [(int(p), int(samples[p])) for p in off]
    else:
        coding, table, exceptions = stream.CODING_IDENTITY, identity_table(), []
        idx, _ = table.indices(samples)
    head = _best_head(table, idx)
    payload = code_levels(table, idx, weights.head(head))
    if len(payload) + 4 * len(exceptions) >= 2 * n:
        return stream.CODING_VERBATIM, 0, [], samples.astype("<i2").tobytes()
    return coding, head, exceptions, payload


def encode(raw: bytes) -> bytes:
    layout = container.parse(raw)
    crc = zlib.crc32(raw)
    if layout is None:
        return stream.write(stream.Stream(model_id(), stream.CODING_GENERIC, 0, 0, None, raw, b"", [], b"", crc))
    n = len(layout.samples)
    canonical = layout.prefix == container.canonical_header(n, layout.sample_rate) and not layout.suffix
    coding, head, exceptions, payload = _code_samples(layout.samples)
    return stream.write(stream.Stream(model_id(), coding, head, n, layout.sample_rate if canonical else None,
                                      b"" if canonical else layout.prefix, layout.suffix, exceptions,
                                      payload, crc))


def _decode_samples(s: stream.Stream) -> np.ndarray:
    if s.coding == stream.CODING_VERBATIM:
        if len(s.payload) != 2 * s.n_samples:
            raise SpikeyError("corrupt stream: verbatim payload has the wrong length")
        return np.frombuffer(s.payload, dtype="<i2")
    if s.head >= len(heads()[0]):
        raise SpikeyError(f"stream asks for region head {s.head}; the weights have {len(heads()[0])}")
    if s.coding == stream.CODING_IDENTITY:
        return decode_levels_of(identity_table(), s.payload, s.n_samples, weights.head(s.head))
    samples = decode_levels_of(adc_table(), s.payload, s.n_samples, weights.head(s.head))
    for pos, value in s.exceptions:
        samples[pos] = value
    return samples


def decode(data: bytes) -> bytes:
    s = stream.read(data, model_id())
    if s.coding == stream.CODING_GENERIC:
        raw = s.prefix
    else:
        prefix = s.prefix if s.sample_rate is None else container.canonical_header(s.n_samples, s.sample_rate)
        raw = container.build(prefix, _decode_samples(s), s.suffix)
    if zlib.crc32(raw) != s.file_crc:
        raise SpikeyError("decoded file fails its checksum: stream is corrupt or the decoder is faulty")
    return raw
