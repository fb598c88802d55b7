"""The .brainwire stream format, version 1 (docs/format.md, one function per section)."""
import struct
import zlib
from dataclasses import dataclass

from spikey import SpikeyError

MAGIC = b"SPKY"
VERSION = 1
MAX_SAMPLES = 1 << 31          # a WAV data chunk cannot hold more 16-bit samples
MAX_CANONICAL_RATE = 0x7FFFFFFF                # the canonical header's byte rate, 2 * rate, is 32 bits
MAX_CANONICAL_SAMPLES = (0xFFFFFFFF - 36) // 2  # and so is its RIFF size, 36 + 2 * n_samples

# flags, bits 0-1: how the samples are coded
CODING_ADC = 0                 # ADC level indices through the model, plus exceptions
CODING_IDENTITY = 1            # every 16-bit value a level, through the model
CODING_VERBATIM = 2            # little-endian int16, as in the WAV
CODING_GENERIC = 3             # not 16-bit mono PCM: the whole file, deflated, in the prefix field
FLAG_CANONICAL_HEADER = 4      # bit 2: the WAV header is the 44-byte one rebuilt from rate and length


@dataclass
class Stream:
    model_id: bytes
    coding: int
    head: int                          # which region head of the network codes the samples
    n_samples: int
    sample_rate: int | None            # set when the header is canonical
    prefix: bytes                      # WAV bytes before the samples (when not canonical)
    suffix: bytes                      # WAV bytes after the samples
    exceptions: list[tuple[int, int]]  # (position, value) of samples off the ADC table
    payload: bytes
    file_crc: int


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _blob(data: bytes) -> bytes:
    """Length-prefixed bytes, deflated when that is shorter: varint(len << 1 | deflated) [varint raw len]."""
    packed = zlib.compress(data, 9)
    if len(packed) + 3 < len(data):
        return _varint(len(packed) << 1 | 1) + _varint(len(data)) + packed
    return _varint(len(data) << 1) + data


class _Reader:
    def __init__(self, data: bytes, end: int):
        self.data, self.pos, self.end = data, 0, end

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise SpikeyError("corrupt stream: a field runs past the end")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self, limit: int) -> int:
        v = shift = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift > 63:
                raise SpikeyError("corrupt stream: varint too long")
        if v > limit:
            raise SpikeyError("corrupt stream: a length field is out of range")
        return v

    def blob(self) -> bytes:
        head = self.varint(1 << 40)
        if not head & 1:
            return self.take(head >> 1)
        size = self.varint(1 << 40)
        stored = self.take(head >> 1)
        z = zlib.decompressobj()
        try:
            raw = z.decompress(stored, size)
        except zlib.error:
            raise SpikeyError("corrupt stream: bad deflate data") from None
        if len(raw) != size or z.unconsumed_tail or not z.eof:
            raise SpikeyError("corrupt stream: deflate data has the wrong length")
        return raw


def write(s: Stream) -> bytes:
    flags = s.coding | (FLAG_CANONICAL_HEADER if s.sample_rate is not None else 0)
    parts = [MAGIC, bytes([VERSION]), s.model_id, bytes([flags])]
    if s.coding in (CODING_ADC, CODING_IDENTITY):
        parts.append(bytes([s.head]))
    parts.append(_varint(s.n_samples))
    parts.append(_varint(s.sample_rate) if s.sample_rate is not None else _blob(s.prefix))
    parts.append(_blob(s.suffix))
    if s.coding == CODING_ADC:
        parts.append(_varint(len(s.exceptions)))
        last = 0
        for pos, value in s.exceptions:
            parts.append(_varint(pos - last) + struct.pack("<h", value))
            last = pos
    parts += [s.payload, struct.pack("<I", s.file_crc)]
    body = b"".join(parts)
    return body + struct.pack("<I", zlib.crc32(body))


def read(data: bytes, model_id: bytes) -> Stream:
    if len(data) < 4 or data[:4] != MAGIC:
        raise SpikeyError("not a .brainwire stream (bad magic)")
    if len(data) < 10:
        raise SpikeyError("corrupt stream: truncated header")
    if data[4] > VERSION:
        raise SpikeyError(f"stream format version {data[4]} is newer than this decoder ({VERSION})")
    if data[4] != VERSION:
        raise SpikeyError(f"unknown stream format version {data[4]}")
    if len(data) < 18 or struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]):
        raise SpikeyError("corrupt stream: checksum mismatch (truncated or damaged)")
    if data[5:9] != model_id:
        raise SpikeyError(f"stream was made with other weights (model {data[5:9].hex()}, "
                          f"this decoder has {model_id.hex()})")
    r = _Reader(data, len(data) - 8)
    r.take(9)
    flags = r.take(1)[0]
    if flags >> 3:
        raise SpikeyError("corrupt stream: unknown flags")
    coding = flags & 3
    head = r.take(1)[0] if coding in (CODING_ADC, CODING_IDENTITY) else 0
    n = r.varint(MAX_SAMPLES)
    rate = r.varint(MAX_CANONICAL_RATE) if flags & FLAG_CANONICAL_HEADER else None
    if rate is not None and n > MAX_CANONICAL_SAMPLES:
        raise SpikeyError("corrupt stream: too many samples for a canonical WAV header")
    prefix = r.blob() if rate is None else b""
    suffix = r.blob()
    exceptions = []
    if coding == CODING_ADC:
        pos = 0
        for _ in range(r.varint(n)):
            pos += r.varint(n)
            if pos >= n:
                raise SpikeyError("corrupt stream: exception position out of range")
            exceptions.append((pos, struct.unpack("<h", r.take(2))[0]))
    payload = r.take(r.end - r.pos)
    file_crc = struct.unpack_from("<I", data, len(data) - 8)[0]
    return Stream(data[5:9], coding, head, n, rate, prefix, suffix, exceptions, payload, file_crc)
