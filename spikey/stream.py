"""The .brainwire stream format, version 3, and 4 for near-lossless streams (version 2 read too): syntax
only (docs/format.md, one function per section).

    stream  = header block* index trailer        (section 1, 4, 6)
    header  = fixed fields, container (2), channels (3), CRC
    block   = [largest error, near-lossless only], per channel: code set and payload; CRC of the samples,
              chained from the header's
    index   = how many blocks and each one's length; trailer = file CRC, index length, CRC

Which coding a channel gets, and what the payload means, is decided in spikey/codec.py; this module
only writes and reads fields, checking each against the spec's bounds.
"""
import array
import functools
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from spikey import SpikeyError
from spikey.codesets import ADC, LATTICE, VALUE_SET, VERBATIM, CodeSet
from spikey.profiles import LOOPS, PROFILES

MAGIC = b"SPKY"
VERSION = 3                    # written, but for near-lossless streams
LOSSY_VERSION = 4              # written for near-lossless streams (flag LOSSY), which an older decoder must refuse
OLDEST = 2                     # the oldest version read: the same syntax, its blocks' CRCs not chained
CHAINED = 3                    # the first version whose blocks' samples CRCs are chained (section 4)
FIXED = 5                      # magic, version
TRAILER = 12                   # file CRC, index length, CRC

# containers: what the samples were stored in, and so what the decoder rebuilds (section 2)
ARRAY, WAV, RAW, NPY, GENERIC = 0, 1, 2, 3, 4
CONTAINERS = {ARRAY: "samples", WAV: "WAV", RAW: "raw", NPY: "npy", GENERIC: "generic"}
# flags
CANONICAL = 1                  # the container's bytes before the samples are rebuilt from the fields
PLANAR = 2                     # samples stored channel after channel (npy in Fortran order), not interleaved
ONE_DIM = 4                    # the samples were a 1-D array (npy or the samples API)
UNSIGNED = 8                   # the samples were uint16, coded as int16 with the top bit flipped (samples API)
SIDECAR = 16                   # a file that describes the samples travels with them (a SpikeGLX .meta, an .oebin)
LOSSY = 32                     # near-lossless: each channel's samples are within its error bound of the original

MAX_CHANNELS = (1 << 16) - 1    # the spec's limit, which the encoder and the decoder both enforce
MAX_FRAMES = 1 << 48
MAX_BLOCK_SAMPLES = 1 << 25    # frames x channels of one block: what a decoder holds at once (64 MB)
MAX_RATE = (1 << 32) - 1
MAX_FIELD = 1 << 24            # prefix, suffix: a container's metadata, held whole (an input with more is
                               # stored generic); so a decoder's memory is one block and a fixed amount
MAX_HEADER = 1 << 34
MAX_EXTENSION = 255            # bytes of a stored extension (RAW, GENERIC), and of a sidecar's name
MAX_SIDECAR = 1 << 20          # bytes of a sidecar: text a rig writes, tens of KB (a 384-channel .meta: 20 KB)
MAX_UP = 8                     # folders a sidecar may lie above its data file (Open Ephys: 2)
MAX_REFS = 8                   # channels one channel may be predicted from
MAX_ERROR = 32767              # a channel's error bound (near-lossless): beyond it any 16-bit set is one or two groups
LINKED = 0x80                  # coding byte: the channel is predicted from its refs too
LOOP = 0x40                    # coding byte: a loop byte follows, naming the per-sample loop (else the level's own)
USES = 0x20                    # coding byte: a LINKED record uses only its first `uses` refs (a varint follows)


@dataclass
class Sidecar:
    """A small file beside a recording that describes it, kept whole: name is a file name, or an extension
    (beginning with '.') that replaces the decoded file's own (x.ap.bin's x.ap.meta); up: how many folders
    above the data file it lies."""
    name: str
    data: bytes
    up: int = 0


@dataclass
class Header:
    model_id: bytes
    level: int
    container: int
    flags: int
    channels: int
    frames: int                # samples per channel; for GENERIC, bytes of the file
    rate: int                  # samples per second per channel; 0 where unknown
    block_frames: int          # frames per block (the last block may be shorter)
    prefix: bytes = b""        # container bytes before the samples (absent when CANONICAL)
    suffix: bytes = b""        # container bytes after the samples
    extension: str = ""        # RAW, GENERIC: the file name's extension, so that decoding gives it back
    refs: list = field(default_factory=list)   # per channel: earlier channels it may be predicted from
    sidecar: Sidecar | None = None             # RAW with SIDECAR: the file that describes the samples
    version: int = VERSION
    max_errors: list = field(default_factory=list)  # LOSSY: per channel, the bound on |decoded - original|

    def max_error(self, c: int) -> int:
        """Channel c's error bound: 0 where the stream is lossless."""
        return self.max_errors[c] if self.max_errors else 0

    @property
    def n_blocks(self) -> int:
        return -(-self.frames // self.block_frames)

    def block_span(self, i: int) -> tuple[int, int]:
        start = i * self.block_frames
        return start, min(start + self.block_frames, self.frames)


@dataclass
class Channel:
    """One channel of one block: its code set, head, exceptions and payload (for VERBATIM, int16 LE);
    linked: predicted from its refs too (uses: from its first so many only, else None: all of them);
    loop: the per-sample loop that made the payload where it is not the level's own (profiles.LOOPS),
    else None."""
    code_set: CodeSet
    head: int
    exceptions: list
    payload: bytes
    linked: bool = False
    loop: int | None = None
    uses: int | None = None


def check_range(name: str, value: int, low: int, high: int) -> None:
    """Refuse in one line a value a field (or the option that fills it) cannot hold: an encoder checks its
    options so before any work, and never writes what a decoder refuses."""
    if not low <= value <= high:
        raise SpikeyError(f"{name} must be {low} to {high}, not {value}")


# ---- primitives -------------------------------------------------------------------------------

def varint(v: int) -> bytes:
    if v < 0:
        raise ValueError(f"varint: {v} is negative")
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def varints(values: np.ndarray) -> bytes:
    """b"".join(varint(v) for v in values) for values below 2^21 (a value set's gaps), built at once:
    a wideband channel's set has thousands, and the encoder writes its record for every option it tries."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) and not 0 <= v.min() <= v.max() < 1 << 21:
        raise ValueError("varints: values must lie in 0 .. 2^21 - 1")
    groups = 1 + (v >= 1 << 7) + (v >= 1 << 14)
    start = np.cumsum(groups) - groups
    out = np.empty(int(groups.sum()), dtype=np.uint8)
    for g in range(3):
        has = groups > g
        out[start[has] + g] = ((v[has] >> (7 * g)) & 0x7F) | np.where(groups[has] > g + 1, 0x80, 0)
    return out.tobytes()


def zigzag(v: int) -> bytes:
    return varint(2 * v if v >= 0 else -2 * v - 1)


def blob(data: bytes) -> bytes:
    """Length-prefixed bytes, deflated when that is shorter: varint(len << 1 | deflated) [varint raw len]."""
    packed = zlib.compress(data, 9)
    if len(packed) + 3 < len(data):
        return varint(len(packed) << 1 | 1) + varint(len(data)) + packed
    return varint(len(data) << 1) + data


def crc(data) -> bytes:
    return struct.pack("<I", zlib.crc32(data))


class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise SpikeyError("corrupt stream: a field runs past the end")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def varint(self, limit: int) -> int:
        v = shift = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift > 63:
                raise SpikeyError("corrupt stream: varint too long")
        if v > limit:
            raise SpikeyError("corrupt stream: a field is out of range")
        return v

    def zigzag(self, limit: int) -> int:
        v = self.varint(2 * limit)
        return v >> 1 if not v & 1 else -((v + 1) >> 1)

    def blob(self, limit: int = MAX_FIELD) -> bytes:
        head = self.varint(2 * limit + 1)
        if not head & 1:
            return self.take(head >> 1)
        size = self.varint(limit)
        return inflate(self.take(head >> 1), size)

    def end(self):
        if self.pos != len(self.data):
            raise SpikeyError("corrupt stream: unexpected bytes after the last field")


def inflate(stored: bytes, size: int) -> bytes:
    """zlib data that must inflate to exactly size bytes: never more is produced."""
    z = zlib.decompressobj()
    try:
        raw = z.decompress(stored, size)
    except zlib.error:
        raise SpikeyError("corrupt stream: bad deflate data") from None
    if len(raw) != size or z.unconsumed_tail or not z.eof or z.unused_data:
        raise SpikeyError("corrupt stream: deflate data has the wrong length")
    return raw


# ---- 1. header, 2. container, 3. channels -------------------------------------------------------

def write_header(h: Header) -> bytes:
    body = [h.model_id, bytes([h.level, h.container, h.flags]), varint(h.channels), varint(h.frames),
            varint(h.rate), varint(h.block_frames), write_container(h), write_channels(h)]
    rest = b"".join(body)
    return MAGIC + bytes([h.version]) + varint(len(rest)) + rest


def read_fixed(first: bytes) -> int:
    """The header's whole length, from the stream's first bytes (FIXED + 5 of them, or all there are):
    checks magic and version."""
    if len(first) < 4 or first[:4] != MAGIC:
        raise SpikeyError("not a .brainwire stream (bad magic)")
    if len(first) < FIXED + 1:
        raise SpikeyError("corrupt stream: truncated header")
    if first[4] > LOSSY_VERSION:
        raise SpikeyError(f"stream format version {first[4]} is newer than this decoder ({LOSSY_VERSION})")
    if first[4] == 1:
        raise SpikeyError(f"stream format version 1 is not read by this decoder (only {OLDEST} to {LOSSY_VERSION}); "
                          "decode it with spikey 0.1")
    if first[4] < OLDEST:
        raise SpikeyError(f"unknown stream format version {first[4]}")
    r = Reader(first[FIXED:])
    rest = r.varint(MAX_HEADER)
    return FIXED + r.pos + rest


def read_header(data: bytes) -> Header:
    """data: the whole header, as long as read_fixed said, its CRC checked with the index's. Whether
    this decoder has the model it names is the caller's question (spikey/model.py)."""
    r = Reader(data)
    version = r.take(FIXED)[4]
    r.varint(MAX_HEADER)
    stream_model = r.take(4)
    level, container, flags = r.take(3)
    if level >= len(PROFILES):
        raise SpikeyError(f"stream level {level} is not known to this decoder (it knows {len(PROFILES)})")
    if container not in CONTAINERS or flags >> 6 or bool(flags & LOSSY) != (version == LOSSY_VERSION):
        raise SpikeyError("corrupt stream: unknown container or flags, or a near-lossless flag and version "
                          "that disagree")
    h = Header(stream_model, level, container, flags, r.varint(MAX_CHANNELS), r.varint(MAX_FRAMES),
               r.varint(MAX_RATE), r.varint(MAX_BLOCK_SAMPLES), version=version)
    if not 0 < h.block_frames * max(h.channels, 1) <= MAX_BLOCK_SAMPLES or (h.channels == 0) != (container == GENERIC):
        raise SpikeyError("corrupt stream: a block span out of range, or channels that do not fit the container")
    read_container(r, h)
    read_channels(r, h)
    r.end()
    return h


def _stores_prefix(h: Header) -> bool:
    """Whether the header holds the container's bytes before the samples (else they are rebuilt, or none)."""
    return h.container in (WAV, NPY) and not h.flags & CANONICAL or h.container == GENERIC


def _stores_suffix(h: Header) -> bool:
    return h.container not in (ARRAY, GENERIC)


def write_container(h: Header) -> bytes:
    parts = []
    if _stores_prefix(h):
        parts.append(blob(h.prefix))
    if _stores_suffix(h):
        parts.append(blob(h.suffix))
    if h.container in (RAW, GENERIC):
        parts.append(blob(h.extension.encode()))
    if h.sidecar is not None:       # with the flag SIDECAR (the encoder sets both; a forger may not)
        parts += [blob(h.sidecar.name.encode()), varint(h.sidecar.up), blob(h.sidecar.data)]
    return b"".join(parts)


def read_container(r: Reader, h: Header):
    rules = {ARRAY: CANONICAL | ONE_DIM | UNSIGNED | LOSSY, WAV: CANONICAL | LOSSY, RAW: SIDECAR | LOSSY,
             NPY: CANONICAL | PLANAR | ONE_DIM | LOSSY, GENERIC: 0}
    if (h.flags & ~rules[h.container] or (h.flags & ONE_DIM and h.channels != 1)
            or (h.flags & LOSSY and h.flags & PLANAR)):
        raise SpikeyError("corrupt stream: flags that this container does not have")
    if h.container == ARRAY and not h.flags & CANONICAL:
        raise SpikeyError("corrupt stream: a samples stream is always canonical")
    if _stores_prefix(h):
        h.prefix = r.blob(0 if h.container == GENERIC else MAX_FIELD)     # a generic file has no prefix
    if _stores_suffix(h):
        h.suffix = r.blob()
    if h.container in (RAW, GENERIC):
        try:
            h.extension = r.blob(MAX_EXTENSION).decode()
        except UnicodeDecodeError:
            raise SpikeyError("corrupt stream: the file extension is not text") from None
        if not is_extension(h.extension):
            raise SpikeyError(f"corrupt stream: the stored extension {h.extension[:40]!r} is not a bare "
                              "extension such as '.dat'")
    if h.flags & SIDECAR:
        h.sidecar = read_sidecar(r)


def read_sidecar(r: Reader) -> Sidecar:
    try:
        name = r.blob(MAX_EXTENSION).decode()
    except UnicodeDecodeError:
        raise SpikeyError("corrupt stream: the sidecar's name is not text") from None
    if not is_file_name(name):
        raise SpikeyError(f"corrupt stream: the sidecar's name {name[:40]!r} is not a bare file name")
    up = r.varint(MAX_UP)
    return Sidecar(name, r.blob(MAX_SIDECAR), up)


def is_file_name(text: str) -> bool:
    """Whether text may name a sidecar: a bare file name (not '.' or '..'), or an extension; like an
    extension, data from whoever made the stream, never a path."""
    try:
        size = len(text.encode())
    except UnicodeEncodeError:          # a file name's undecodable bytes (surrogate escapes)
        return False
    return 0 < size <= MAX_EXTENSION and text not in (".", "..") and not set(text) & set("/\\\0")


def is_extension(text: str) -> bool:
    """Whether text may be stored as a decoded file's extension: empty, or a dot and a name's last part
    (no folder separator, no NUL) of at most MAX_EXTENSION bytes of UTF-8. A stored extension is data
    from whoever made the stream, and a decoder joins it to an output name: it must never be a path."""
    try:
        size = len(text.encode())
    except UnicodeEncodeError:          # a file name's undecodable bytes (surrogate escapes)
        return False
    return not text or text[0] == "." and size <= MAX_EXTENSION and not set(text) & set("/\\\0")


def write_channels(h: Header) -> bytes:
    if h.container == GENERIC:
        return b""
    refs = h.refs or [[] for _ in range(h.channels)]
    bounds = b"".join(map(varint, h.max_errors)) if h.flags & LOSSY else b""
    return b"".join(varint(len(r)) + b"".join(varint(c) for c in r) for r in refs) + bounds


def read_channels(r: Reader, h: Header):
    if h.container == GENERIC:
        return
    h.refs = []
    for c in range(h.channels):
        refs = [r.varint(c) for _ in range(r.varint(MAX_REFS))]
        if any(j >= c for j in refs) or len(set(refs)) != len(refs):
            raise SpikeyError("corrupt stream: a channel predicted from itself, a later channel, or one twice")
        h.refs.append(refs)
    if h.flags & LOSSY:
        h.max_errors = [r.varint(MAX_ERROR) for _ in range(h.channels)]


# ---- 4. blocks ------------------------------------------------------------------------------------

def samples_crc(x: np.ndarray, chain: int) -> int:
    """A block's samples CRC: zlib's CRC-32 of its samples x (int16 LE, frame after frame) continued
    from chain, the CRC of the header for block 0 and the CRC the block before stores for the others
    (0 in a version before CHAINED). So a block moved, repeated or taken from another stream fails it
    on every path, a slice or the samples API too, which no file CRC covers."""
    return zlib.crc32(x.astype("<i2", copy=False), chain)


def write_block(channels: list, samples_crc: int, error: int | None = None) -> bytes:
    """error: in a near-lossless stream, the largest |decoded - original| of the block's samples."""
    last = len(channels) - 1
    return (b"" if error is None else varint(error)) + b"".join(
        write_channel(c, i == last) for i, c in enumerate(channels)) + struct.pack("<I", samples_crc)


def read_block(data: bytes, h: Header, frames: int):
    """(channels, CRC of the samples, largest error: 0 in a lossless stream) of one block of the given
    frames; the CRC is checked by the caller on the decoded samples."""
    if len(data) < 4:
        raise SpikeyError("corrupt stream: a block shorter than its checksum")
    r = Reader(data[:-4])
    error = r.varint(max(h.max_errors, default=0)) if h.flags & LOSSY else 0
    channels = [read_channel(r, frames, c == h.channels - 1) for c in range(h.channels)]
    if any(c.linked and not refs for c, refs in zip(channels, h.refs, strict=True)):
        raise SpikeyError("corrupt stream: a channel linked to no other")
    if any(c.uses is not None and c.uses >= len(refs) for c, refs in zip(channels, h.refs, strict=True)):
        raise SpikeyError("corrupt stream: a record uses as many refs as its channel has, or more")
    r.end()
    return channels, struct.unpack_from("<I", data, len(data) - 4)[0], error


def write_channel(c: Channel, last: bool = False) -> bytes:
    """A channel record; the last of a block leaves out its payload's length (it runs to the block's end)."""
    s = c.code_set
    parts = [bytes([s.coding | (LINKED if c.linked else 0) | (0 if c.loop is None else LOOP)
                    | (0 if c.uses is None else USES)])]
    if s.coding == VERBATIM:
        return parts[0] + c.payload
    parts += [b"" if c.loop is None else bytes([c.loop]), b"" if c.uses is None else varint(c.uses), bytes([c.head])]
    if s.coding == ADC:
        parts.append(varint(len(c.exceptions)))
        previous = 0
        for pos, value in c.exceptions:
            parts.append(varint(pos - previous) + struct.pack("<h", value))
            previous = pos
    elif s.coding == LATTICE:
        parts += [varint(s.offset), varint(s.step), zigzag(s.k_lo), varint(s.k_hi - s.k_lo)]
    else:
        parts.append(_value_set_fields(s))
    parts += [b"" if last else varint(len(c.payload)), c.payload]
    return b"".join(parts)


@functools.lru_cache(maxsize=16)     # the encoder writes one set's record once for every option it tries
def _value_set_fields(s: CodeSet) -> bytes:
    gaps = np.diff(s.values) // s.step
    return varint(s.step) + varint(len(s.values)) + zigzag(int(s.values[0])) + blob(varints(gaps))


def read_channel(r: Reader, frames: int, last: bool = False) -> Channel:
    coding = r.byte()
    linked, named, some = bool(coding & LINKED), bool(coding & LOOP), bool(coding & USES)
    coding &= ~(LINKED | LOOP | USES)
    if coding == VERBATIM and not (linked or named or some):
        return Channel(CodeSet(VERBATIM), 0, [], r.take(2 * frames))
    if coding not in (ADC, LATTICE, VALUE_SET):
        raise SpikeyError(f"corrupt stream: unknown coding {coding}")
    if some and not linked:
        raise SpikeyError("corrupt stream: a record using some refs is not linked")
    loop = r.byte() if named else None
    if loop is not None and loop >= len(LOOPS):
        raise SpikeyError(f"corrupt stream: unknown loop {loop}")
    uses = r.varint(MAX_REFS) if some else None
    if uses == 0:
        raise SpikeyError("corrupt stream: a record linked to none of its refs")
    head = r.byte()
    exceptions = []
    if coding == ADC:
        code_set = CodeSet(ADC)
        pos = 0
        for i in range(r.varint(frames)):
            pos += r.varint(frames)
            if pos >= frames or (i and not exceptions[-1][0] < pos):
                raise SpikeyError("corrupt stream: exception position out of order or range")
            exceptions.append((pos, struct.unpack("<h", r.take(2))[0]))
    elif coding == LATTICE:
        offset, step = r.varint(65535), r.varint(65535)
        k_lo = r.zigzag(65535)
        k_hi = k_lo + r.varint(65535)
        if not (step and offset < step and -32768 <= offset + step * k_lo and offset + step * k_hi <= 32767):
            raise SpikeyError("corrupt stream: a lattice outside 16 bits")
        code_set = CodeSet(LATTICE, offset, step, k_lo, k_hi)
    else:
        step, n = r.varint(65535), r.varint(65536)
        first = r.zigzag(32768)
        gaps = read_varints(r.blob(10 * n), n - 1)
        values = first + step * np.concatenate([[0], np.cumsum(gaps, dtype=np.int64)])
        if not (step and n and (n == 1 or gaps.min() > 0) and values[0] >= -32768 and values[-1] <= 32767):
            raise SpikeyError("corrupt stream: a value set outside 16 bits or not increasing")
        code_set = CodeSet(VALUE_SET, step=step, values=values)
    payload = r.take(len(r.data) - r.pos if last else r.varint(1 << 40))
    return Channel(code_set, head, exceptions, payload, linked, loop, uses)


def read_varints(data: bytes, n: int) -> np.ndarray:
    """n varints of at most 65535 that fill data exactly. Read at once where each is 1 to 3 bytes long,
    as a writer makes them; anything else (too few or too many, a longer form) goes through the Reader,
    which refuses it or reads it the same way."""
    b = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(b < 0x80)
    starts = np.concatenate([[0], ends[:-1] + 1]) if len(ends) else ends
    fills = ends[-1] == len(b) - 1 if len(ends) else not len(b)      # the last one ends where data does
    if len(ends) != max(n, 0) or not fills or (len(ends) and (ends - starts).max() > 2):
        r = Reader(data)
        out = np.array([r.varint(65535) for _ in range(max(n, 0))], dtype=np.int64)
        r.end()
        return out
    length = ends - starts + 1
    out = (b[starts] & 0x7F).astype(np.int64)
    for g in (1, 2):
        has = length > g
        out[has] |= (b[starts[has] + g] & 0x7F).astype(np.int64) << (7 * g)
    if len(out) and out.max() > 65535:
        raise SpikeyError("corrupt stream: a field is out of range")
    return out


def write_generic_block(raw: bytes) -> bytes:
    """A span of a file Spikey does not model: deflated when that is shorter, with the raw bytes' CRC."""
    packed = zlib.compress(raw, 6)
    return (b"\1" + packed if len(packed) < len(raw) else b"\0" + raw) + crc(raw)


def read_generic_block(data: bytes, size: int) -> bytes:
    if len(data) < 5 or data[0] > 1:
        raise SpikeyError("corrupt stream: bad generic block")
    raw = inflate(data[1:-4], size) if data[0] else data[1:-4]
    if len(raw) != size or crc(raw) != data[-4:]:
        raise SpikeyError("corrupt stream: a generic block decodes to other bytes")
    return raw


# ---- 5. index, 6. trailer ---------------------------------------------------------------------------

def write_index(lengths: list) -> bytes:
    """How many blocks, and each one's length but the last's (it runs to the index)."""
    return varint(len(lengths)) + b"".join(varint(n) for n in lengths[:-1])


def write_trailer(header: bytes, index: bytes, file_crc: int) -> bytes:
    """The original file's CRC, the index's length, and one CRC over header, index and those two."""
    fields = struct.pack("<II", file_crc, len(index))
    return fields + crc(header + index + fields)


def read_trailer(last: bytes) -> tuple[int, int]:
    """(file CRC, index length) from the stream's last TRAILER bytes (check_trailer checks them)."""
    if len(last) < TRAILER:
        raise SpikeyError("corrupt stream: truncated")
    return struct.unpack_from("<II", last, 0)


def check_trailer(header: bytes, index: bytes, last: bytes):
    if crc(header + index + last[:8]) != last[8:]:
        raise SpikeyError("corrupt stream: header or index fails its checksum (truncated or damaged)")


def read_index(index: bytes, h: Header, blocks_bytes: int) -> np.ndarray:
    """Each block's byte offset from the first block, and the end: int64, 8 bytes a block."""
    r = Reader(index)
    n = r.varint(blocks_bytes)
    if n != h.n_blocks:
        raise SpikeyError(f"corrupt stream: {n} blocks for {h.frames} frames of {h.block_frames}")
    offsets = array.array("q", [0])
    for _ in range(n - 1):
        offsets.append(offsets[-1] + r.varint(blocks_bytes))
        if offsets[-1] > blocks_bytes:
            raise SpikeyError("corrupt stream: the index does not match the blocks")
    r.end()
    if n:
        offsets.append(blocks_bytes)
    elif blocks_bytes:
        raise SpikeyError("corrupt stream: bytes between header and index that no block claims")
    offsets = np.frombuffer(offsets, dtype=np.int64)
    shortest = min_block_bytes(h)
    if n and np.diff(offsets).min() < shortest:
        raise SpikeyError(f"corrupt stream: the index gives a block fewer bytes than any block has ({shortest})")
    return offsets


def min_block_bytes(h: Header) -> int:
    """The fewest bytes a block can have: 3 a channel record (a record of one verbatim frame; an ADC
    record's coding, head, exception count and, but in the last, payload length) and the samples CRC;
    a generic block's mode byte, one raw byte and its CRC. The index is checked against it up front."""
    return 6 if h.container == GENERIC else 3 * h.channels + 4
