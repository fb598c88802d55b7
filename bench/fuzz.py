"""Decoder fuzzing: a hostile stream must be refused with SpikeyError or decode to its original.

    python bench/fuzz.py [CASES] [SEED] [--max-samples N] [--save DIR]     (defaults: 10000 cases, seed 0)

Cases are random bytes, random bytes behind a valid stream prefix (SPKY, version, header length, model
id), and the streams of a small corpus (every code set, every container, canonical and kept headers,
exceptions, chunks, several channels, several blocks) damaged by bit flips, byte overwrites, insertions
(also of varint continuation bytes), deletions, truncation and splices of two streams, or forged: a
header field changed (frames, rate, block span, channels, container, flags, prefix, a hostile stored
extension or sidecar, each at its limit and one past, ...), a channel's code set, head, exceptions or payload
changed, blocks reordered, repeated, dropped or taken from another stream, the index changed, the file
CRC alone changed, a foreign model id or another version.

A stream has several CRC-32s (docs/format.md): the trailer's over header and index, one per block of
its samples (chained from the header's through the blocks before it; a generic block's of its bytes),
and the file's. Half of the byte-damaged streams, and every forged one, get
the CRC of each section they damaged recomputed and the lengths that frame it (the header length, the
index) made to fit, as a deliberate forger would, so that they reach the deeper checks: a block's
samples CRC and the decoded file's CRC. Case i of a seed depends only on (seed, i), so a failure is
reproduced by its number. The cases run in a forked process, started again after one that hangs the
decoder (HANG_S) or kills its process: that case is counted as a failure and the run goes on.
tests/test_robustness.py runs a few hundred cases in its own process.

Streams of files are decoded with codec.decode and must give an original file back; streams of the
samples API (container ARRAY) with codec.decode_samples, and must give an original array's samples
back (in any shape: shape and dtype are header fields, which the header's CRC covers, not the file's).
Every stream is also sliced (frames SLICE, through decode_samples), which no file CRC covers: the slice
must be refused or be the original's.

A stream may declare many samples in few bytes, legitimately (silence costs ~1e-6 bit a sample, a
block of 2^18 frames a dozen bytes), and decoding then takes time in proportion; a case whose header
and index agree on more than --max-samples samples is counted as a bomb and not decoded.
"""
import argparse
import faulthandler
import io
import multiprocessing
import random
import re
import struct
import sys
import time
from collections import Counter
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SAMPLES, bursts, chunk, switching_tone, wav  # noqa: E402  (the tests' builders)
from spikey import SpikeyError, codec, containers, stream  # noqa: E402
from spikey.codesets import ADC, LATTICE, VALUE_SET, VERBATIM, CodeSet  # noqa: E402
from spikey.model import default as default_model        # noqa: E402

SLICE = (256, 1299)         # frames that decode_samples decodes of each stream besides the whole
TIME_LIMIT_S = 5.0          # a case slower than this is a failure
HANG_S = 120                # a case still running after this dumps every thread's stack and exits
BYTE_KINDS = ("bitflip", "overwrite", "insert", "delete", "truncate", "splice", "varint")
KINDS = ("random", "random-prefix", *BYTE_KINDS, "field", "channel", "blocks", "index", "file-crc",
         "foreign-model", "version")


# ---- corpus ---------------------------------------------------------------------------------------

def npy(x) -> bytes:
    out = io.BytesIO()
    np.save(out, x)
    return out.getvalue()


@contextmanager
def small_blocks(frames: int):
    """Streams encoded inside have blocks of this many frames (a generic stream's of this many bytes),
    so that small inputs have several."""
    saved = codec.MAX_BLOCK_FRAMES, codec.GENERIC_BLOCK
    codec.MAX_BLOCK_FRAMES = codec.GENERIC_BLOCK = frames
    try:
        yield
    finally:
        codec.MAX_BLOCK_FRAMES, codec.GENERIC_BLOCK = saved


def samples_key(x: np.ndarray) -> tuple:
    """Samples as the stream codes them (int16; uint16 with the top bit flipped), whatever their shape:
    the samples API's shape and dtype are header flags, which its file CRC does not cover, so a forged
    flag decodes to the same samples in another shape, as the stream then says."""
    x = np.ascontiguousarray(x)
    return ("samples", (x ^ np.uint16(0x8000)).view(np.int16).tobytes() if x.dtype == np.uint16 else x.tobytes())


def originals_of(data: bytes, raw: bytes | None = None, x: np.ndarray | None = None) -> frozenset:
    """What a stream may decode to: its file, its samples as decode_samples gives them, and the frames
    SLICE of them (which in a stream of small blocks spans three, each found by the index alone, and
    no file CRC covers a slice)."""
    keys = {("file", raw)} if raw is not None else set()
    if opened(data).header.container != stream.GENERIC:
        keys.add(samples_key(codec.decode_samples(data) if x is None else x))
        if opened(data).header.frames >= SLICE[0]:
            keys.add(sliced(data, *SLICE))
    return frozenset(keys)


@cache
def corpus() -> list[tuple[frozenset, bytes]]:
    """(what it decodes to, stream) pairs covering every code set, container and header path, all small."""
    rng = np.random.default_rng(0)
    values = default_model().adc.values
    walk = values[np.clip(512 + np.cumsum(rng.integers(-3, 4, 3000)), 0, 1023)].astype(np.int16)
    off_grid = walk.copy()
    off_grid[[0, 5, 700, 2999]] = [1, -7, 12345, 3]
    smooth = (3000 * np.sin(np.arange(3000) / 50) + rng.normal(0, 20, 3000)).astype(np.int16)
    sparse = np.int16([-900, -20, 0, 7, 3000])[rng.integers(0, 5, 2000)]
    noise = rng.integers(-32768, 32768, 500).astype(np.int16)
    real = SAMPLES[0].read_bytes()[44:44 + 2 * 4000]
    two = np.stack([walk[:2000], smooth[:2000]], axis=1)                       # ADC and lattice, one block
    three = np.stack([walk[:1500], sparse[:1500], (smooth[:1500] // 40 * 12 + 3)], axis=1)
    files = [
        wav(walk),                                                              # ADC, canonical header
        wav(off_grid, before=chunk(b"LIST", b"INFOISFT" + b"spikey " * 20),     # ADC with exceptions,
            after=chunk(b"junk", b"z" * 9)),                                     # kept prefix and suffix
        wav(smooth),                                                            # lattice
        wav(sparse),                                                            # value set
        wav(noise),                                                             # verbatim
        wav(b"\1\2\3" * 200, fmt=(1, 1, 24)),                                   # generic (24-bit)
        wav([]),                                                                # no samples, no blocks
        wav(real),                                                              # a real recording
        wav(walk[:999].tobytes() + b"\x07", riff_size=7),                       # odd length, lying size
        wav(two.ravel(), fmt=(1, 2, 16)),                                       # 2 channels
        npy(np.asfortranarray(three)),                                          # npy, 3 channels, planar
        npy(walk[:700]),                                                        # npy, 1-D
    ]
    pairs = [(originals_of(codec.encode(raw), raw), codec.encode(raw)) for raw in files]
    raw = walk[:1201].tobytes() + b"\x05"                                       # raw int16 with a partial frame
    pairs.append((originals_of(codec.encode(raw, channels=3, extension=".dat"), raw),
                  codec.encode(raw, channels=3, extension=".dat")))
    data = with_sidecar(walk[:1200].reshape(400, 3), b"\x05")                  # raw with a sidecar (a .meta)
    pairs.append((originals_of(data, walk[:1200].tobytes() + b"\x05"), data))
    for x in (np.stack([walk[:1000], noise.repeat(2)], axis=1), sparse[:900],  # the samples API, also uint16
              (smooth[:800].astype(np.int32) + 32768).astype(np.uint16)):
        pairs.append((originals_of(codec.encode_samples(x, rate=30000), x=x), codec.encode_samples(x, rate=30000)))
    shared = np.cumsum(rng.normal(0, 30, 1500))                                 # channels the encoder links
    linked = np.stack([shared, shared + rng.normal(0, 2, 1500), shared / 2], axis=1).astype(np.int16)
    for level, x in (("default", linked), ("fast", linked), ("fast", walk[:1200]), ("max", linked),
                     ("default", bursts(2500, channels=2)),                        # the context scale
                     ("fast", switching_tone(2000))):                              # the quick stage
        data = codec.encode_samples(x, rate=1000, level=level)                   # every level, with links
        pairs.append((originals_of(data, x=x), data))
    with small_blocks(512):                                                     # several blocks, the last short
        raw = wav(two[:1500].ravel(), fmt=(1, 2, 16))
        pairs.append((originals_of(codec.encode(raw), raw), codec.encode(raw)))
        x = np.stack([off_grid[:1300], smooth[:1300]], axis=1)
        pairs.append((originals_of(codec.encode_samples(x), x=x), codec.encode_samples(x)))
        raw = wav(bytes(range(256)) * 6, fmt=(1, 1, 24))                        # generic, 4 blocks: their
        pairs.append((originals_of(codec.encode(raw), raw), codec.encode(raw)))  # CRCs are not chained
        data = codec.encode_samples(linked, max_error=3)                        # near-lossless, several blocks
        pairs.append((originals_of(data), data))
    for data in (codec.encode(wav(off_grid), max_error=64),                     # near-lossless: decodes to its
                 codec.encode_samples(linked, level="fast", max_error="auto:0.5"),  # reconstruction
                 codec.encode_samples(three, level="max", max_error=12)):
        pairs.append((originals_of(data, codec.decode(data) if opened(data).header.container == stream.WAV
                                   else None), data))
    for originals, data in pairs:                                               # the oracle's own premise
        assert decoded(data) in originals, sorted(o[0] for o in originals)
    return pairs


def with_sidecar(x: np.ndarray, suffix: bytes) -> bytes:
    """The stream of raw frames x and suffix with a SpikeGLX .meta travelling (the bytes API finds no
    sidecar: it has no path)."""
    meta = stream.Sidecar(".meta", f"nSavedChans={x.shape[1]}\nimSampRate=30000\n".encode())
    layout = containers.Layout(stream.RAW, b"", suffix, len(x), x.shape[1], 30000, extension=".bin", sidecar=meta)
    out = io.BytesIO()
    codec.encode_frames(lambda a, b: x[a:b], layout, out, None)
    return out.getvalue()


# ---- a stream's sections, and putting them back together ---------------------------------------------

def opened(data: bytes) -> codec.Opened:
    return codec.Opened(io.BytesIO(data), len(data))


def sections(data: bytes) -> list[bytes]:
    """A valid stream cut into header, blocks and index (the trailer is derived from header and index)."""
    s = opened(data)
    _, index_len = stream.read_trailer(data[-stream.TRAILER:])
    return [data[:s.offsets[0]], *(s.block_bytes(i) for i in range(len(s.offsets) - 1)),
            data[len(data) - stream.TRAILER - index_len:len(data) - stream.TRAILER]]


def file_crc_of(data: bytes) -> int:
    return stream.read_trailer(data[-stream.TRAILER:])[0]


def assemble(header: bytes, blocks: list[bytes], file_crc: int, index: bytes | None = None) -> bytes:
    """A stream from its parts: an index that fits the blocks unless one is given, and the trailer."""
    index = stream.write_index([len(b) for b in blocks]) if index is None else index
    return header + b"".join(blocks) + index + stream.write_trailer(header, index, file_crc)


def _header_fitted(old: bytes, new: bytes) -> bytes:
    """A damaged header with its length field made to fit, unless the damage hit magic, version or the
    length field itself."""
    n = stream.FIXED + len(stream.varint(len(old) - stream.FIXED))
    if len(new) < n or new[:n] != old[:n]:
        return new
    rest = new[n:]
    return new[:stream.FIXED] + stream.varint(len(rest)) + rest


def refit(secs: list[bytes], k: int, body: bytes, file_crc: int) -> bytes:
    """The stream with section k replaced by body, as a forger makes it: the header's length field, the
    index and the trailer's CRC made to fit (a block has no CRC of its bytes: its samples' CRC, checked
    after decoding, is what a forger cannot make fit, nor the original file's)."""
    header, blocks, index = secs[0], list(secs[1:-1]), secs[-1]
    if k == 0:
        return assemble(_header_fitted(header, body), blocks, file_crc, index)
    if k == len(secs) - 1:
        return assemble(header, blocks, file_crc, body)
    blocks[k - 1] = body
    return assemble(header, blocks, file_crc)


def fix_trailer(data: bytes) -> bytes:
    """The trailer's CRC recomputed over the header (as long as its length field says) and the index
    (as long as the trailer says), where the stream is long enough to hold them."""
    try:
        n = stream.read_fixed(data[:stream.FIXED + 5])
        file_crc, index_len = stream.read_trailer(data[-stream.TRAILER:])
    except SpikeyError:
        return data
    if n + index_len + stream.TRAILER > len(data):
        return data
    index = data[len(data) - stream.TRAILER - index_len:len(data) - stream.TRAILER]
    return data[:-stream.TRAILER] + stream.write_trailer(data[:n], index, file_crc)


# ---- mutations ------------------------------------------------------------------------------------

def _position(rng: random.Random, n: int) -> int:
    """Half the damage lands in the first 48 bytes, where the header's fields or a block's code sets are."""
    return rng.randrange(min(n, 48) if rng.random() < 0.5 else n) if n else 0


def _damage(rng: random.Random, kind: str, d: bytes, other: bytes) -> bytes:
    """One byte-level mutation of d (other: what a splice continues with)."""
    if kind == "bitflip":
        b = bytearray(d)
        for _ in range(rng.randint(1, 4) if b else 0):
            b[_position(rng, len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == "overwrite":
        b = bytearray(d)
        if b:
            b[_position(rng, len(b))] = rng.randrange(256)
        return bytes(b)
    if kind == "insert":
        p = _position(rng, len(d))
        return d[:p] + rng.randbytes(rng.randint(1, 8)) + d[p:]
    if kind == "delete":
        p = _position(rng, len(d))
        return d[:p] + d[p + rng.randint(1, 8):]
    if kind == "varint":             # continuation bytes: a count, rate or length grows by 7 bits each
        p = _position(rng, min(len(d), 48))
        return d[:p] + bytes(0x80 | rng.randrange(128) for _ in range(rng.randint(1, 4))) + d[p:]
    if kind == "truncate":
        return d[:rng.randrange(len(d))] if d else d
    assert kind == "splice"
    return d[:rng.randrange(len(d) + 1)] + other[rng.randrange(len(other) + 1):]


def _big(rng: random.Random) -> int:
    return rng.choice([0, 1, 2, 3, 0x7FFFFFFF, 1 << 31, 0xFFFFFFFF, 1 << 32, 1 << 40, stream.MAX_FRAMES,
                       stream.MAX_FRAMES + 1, 1 << 63, rng.getrandbits(rng.randint(1, 48))])


def _bytes_changed(rng: random.Random, old: bytes) -> bytes:
    cut = rng.randrange(len(old) + 1)
    return rng.choice([old[:cut], old + rng.randbytes(rng.randint(1, 9)), rng.randbytes(cut)])


def _change_header(rng: random.Random, h: stream.Header) -> stream.Header:
    """A parsed header with one field changed (written back by stream.write_header)."""
    field = rng.choice(["frames", "frames", "rate", "block_frames", "channels", "level", "container", "flags",
                        "prefix", "suffix", "extension", "refs", "max_errors", "sidecar"])
    if field == "frames":
        h.frames = rng.choice([max(h.frames + rng.randint(-3, 3), 0), h.frames + h.block_frames,
                               max(h.frames - h.block_frames, 0), _big(rng)])
    elif field == "rate":
        h.rate = rng.choice([stream.MAX_RATE, stream.MAX_RATE + 1, _big(rng)])
    elif field == "block_frames":
        h.block_frames = rng.choice([0, 1, h.block_frames - 1, h.block_frames + 1, 2 * h.block_frames,
                                     stream.MAX_BLOCK_SAMPLES // max(h.channels, 1),
                                     stream.MAX_BLOCK_SAMPLES // max(h.channels, 1) + 1, _big(rng)])
    elif field == "channels":
        h.channels, h.refs = rng.choice([0, 1, 2, max(h.channels - 1, 0), h.channels + 1, stream.MAX_CHANNELS,
                                         stream.MAX_CHANNELS + 1]), []
    elif field == "level":
        h.level = rng.randrange(1, 256)
    elif field == "container":
        h.container = rng.randrange(7)
    elif field == "flags":
        h.flags = rng.randrange(256)
    elif field in ("prefix", "suffix"):
        setattr(h, field, _bytes_changed(rng, getattr(h, field)))
    elif field == "extension":
        h.extension = rng.choice(["", ".wav", ".npy", "é" * rng.randint(1, 200), "x" * rng.randint(200, 300),
                                  "../x", "/../../x", ".a/../../b", ".a\\b", ".\0", "..", "." + "x" * 254,
                                  "." + "x" * 255])       # hostile names, and the limit (255 bytes) and one past
    elif field == "max_errors":       # another bound groups other bins; at the limit and one past; none
        h.max_errors = rng.choice([[rng.choice([0, 1, 2, 63, 64, 65, stream.MAX_ERROR, stream.MAX_ERROR + 1])
                                    for _ in range(h.channels)], [], [1] * (h.channels + 1)])
        if rng.random() < 0.5:
            h.flags ^= stream.LOSSY
            h.version = rng.choice([stream.VERSION, stream.LOSSY_VERSION])
    elif field == "sidecar":         # hostile names, and each field at its limit and one past
        h.flags |= stream.SIDECAR
        h.sidecar = stream.Sidecar(rng.choice(["structure.oebin", ".meta", "", ".", "..", "../x", "a/b", "a\\b", "\0",
                                               "x" * 255, "x" * 256]), rng.choice([b"", b"{}", rng.randbytes(99)]),
                                   rng.choice([0, 2, stream.MAX_UP, stream.MAX_UP + 1]))
    elif rng.random() < 0.5:
        h.refs = [[rng.randrange(4)] if rng.random() < 0.5 else [] for _ in range(h.channels)]
        if not any(h.refs) and h.refs:
            h.refs[0] = [0]
    else:                            # as many refs as a channel may have, and one more
        h.refs = [list(range(min(c, stream.MAX_REFS + rng.randrange(2)))) for c in range(h.channels)]
    return h


def _code_set(rng: random.Random) -> CodeSet:
    coding = rng.choice([ADC, LATTICE, VALUE_SET, VERBATIM])
    if coding == LATTICE:
        step = rng.choice([0, 1, 2, 12, 4096, 65535, 65536])
        k_lo = rng.choice([-40000, -32768, -3000, -1, 0, 1, 3000, 32767, 40000])
        return CodeSet(LATTICE, rng.choice([0, 1, 3, 11, 65535, 65536, rng.randrange(step or 1)]), step, k_lo,
                       k_lo + rng.choice([0, 1, 5, 1000, 65535, 65536]))
    if coding == VALUE_SET:
        step = rng.choice([1, 2, 3, 12])
        n = rng.choice([1, 2, 5, 300])
        base = rng.choice([-32768, -40000, -1000, 0, 32000])
        gaps = [rng.choice([0, 1, 1, 2, 50, 40000]) for _ in range(n - 1)]
        values = step * (base // step + np.concatenate([[0], np.cumsum(gaps, dtype=np.int64)]))
        values[1:] += rng.choice([0, 0, 1])              # values off the step: the writer floors their gaps
        return CodeSet(VALUE_SET, step=step, values=values.astype(np.int64))
    return CodeSet(coding)


def _change_channel(rng: random.Random, h: stream.Header, block: bytes, i: int) -> bytes:
    """Block i read into channels, one channel's field (or the samples CRC) changed, written back."""
    a, b = h.block_span(i)
    channels, samples_crc, error = stream.read_block(block, h, b - a)
    c = rng.randrange(len(channels))
    ch = channels[c]
    what = rng.choice(["code set", "code set", "head", "exceptions", "payload", "payload", "samples crc",
                       "drop", "add", "error"])
    if what == "error":             # a block's largest error: anything up to its bound and past it
        error = rng.choice([0, error + 1, max(h.max_errors, default=0), max(h.max_errors, default=0) + 1])
    if what == "code set":
        ch.code_set = _code_set(rng)
    elif what == "head":
        ch.head = rng.choice([1, 2, 200, 255])
    elif what == "exceptions":
        n = max(b - a, 1)
        positions = sorted(rng.choice([0, n - 1, n, n + 1, rng.randrange(n)]) for _ in range(rng.randint(0, 5)))
        ch.exceptions = [(p, rng.randint(-32768, 32767)) for p in positions]
    elif what == "payload":
        ch.payload = rng.choice([_bytes_changed(rng, ch.payload), b"", ch.payload[:-1], ch.payload + b"\0"])
    elif what == "samples crc":
        samples_crc = rng.getrandbits(32)
    elif what == "drop":
        del channels[c]
    elif what == "add":
        channels.insert(c, ch)
    return stream.write_block(channels, samples_crc, error if h.flags & stream.LOSSY else None)


def _change_blocks(rng: random.Random, blocks: list[bytes], other_blocks: list[bytes]) -> list[bytes]:
    n = len(blocks)
    what = rng.choice(["swap", "reverse", "duplicate", "drop", "foreign", "rotate"])
    if what == "swap" and n > 1:
        i, j = rng.sample(range(n), 2)
        blocks[i], blocks[j] = blocks[j], blocks[i]
    elif what == "reverse":
        blocks.reverse()
    elif what == "duplicate" and n:
        i = rng.randrange(n)
        blocks.insert(i, blocks[i])
    elif what == "drop" and n:
        del blocks[rng.randrange(n)]
    elif what == "foreign" and n and other_blocks:
        blocks[rng.randrange(n)] = rng.choice(other_blocks)
    elif n:
        blocks.append(blocks.pop(0))
    return blocks


def _forged_index(rng: random.Random, lengths: list[int]) -> tuple[bytes, int | None]:
    """(index, the index length a trailer should claim, None: the true one)."""
    what = rng.choice(["count", "count", "length", "boundary", "index length"])
    count = len(lengths)
    if what == "count":
        count = rng.choice([count + 1, max(count - 1, 0), _big(rng)])
    elif what == "length" and lengths:
        i = rng.randrange(len(lengths))
        lengths[i] = max(lengths[i] + rng.choice([-5, -1, 1, 5, 1 << 20]), 0)
    elif what == "boundary" and len(lengths) > 1:            # the total kept: two blocks cut elsewhere
        i = rng.randrange(len(lengths) - 1)
        shift = rng.randint(-min(lengths[i], 9), min(lengths[i + 1], 9))
        lengths[i], lengths[i + 1] = lengths[i] + shift, lengths[i + 1] - shift
    index = stream.varint(count) + b"".join(stream.varint(n) for n in lengths[:-1])
    claimed = rng.choice([0, len(index) - 1, len(index) + 1, 1 << 31]) if what == "index length" else None
    return index, claimed


@cache
def _with_blocks(of_channels: bool) -> list:
    """The corpus streams that have blocks (of channels: not the generic container)."""
    return [(o, d) for o, d in corpus() if opened(d).header.n_blocks
            and not (of_channels and opened(d).header.container == stream.GENERIC)]


def make_case(seed: int, i: int):
    """Case i of a seed: (kind, stream bytes, the originals it may decode to)."""
    rng = random.Random(f"{seed}:{i}")
    kind = KINDS[rng.randrange(len(KINDS))]
    pairs = corpus()
    originals, data = pairs[rng.randrange(len(pairs))]
    if kind == "random":
        return kind, rng.randbytes(rng.randrange(64 if rng.random() < 0.5 else 400)), frozenset()
    if kind == "random-prefix":
        rest = rng.randbytes(rng.randrange(300))
        length = rng.choice([len(rest) + 4, rng.randrange(4, 64), rng.getrandbits(32)])
        data = stream.MAGIC + bytes([stream.VERSION]) + stream.varint(length) + default_model().id + rest
        return kind, (fix_trailer(data) if rng.random() < 0.5 else data), frozenset()
    if kind in ("channel", "blocks"):
        usable = _with_blocks(kind == "channel")
        originals, data = usable[rng.randrange(len(usable))]
    secs = sections(data)
    header, blocks, file_crc = secs[0], secs[1:-1], file_crc_of(data)
    h = opened(data).header
    if kind in BYTE_KINDS:
        other_originals, other = pairs[rng.randrange(len(pairs))]
        if kind == "splice":
            originals = originals | other_originals
        if rng.random() < 0.5:                # damage anywhere, the trailer's CRC left as it is
            data = _damage(rng, kind, data, other)
        else:                                 # damage inside one section, the framing refitted
            other_secs = sections(other)
            r = rng.random()
            k = 0 if r < 0.4 or len(secs) == 2 and r < 0.8 else \
                rng.randrange(1, len(secs) - 1) if r < 0.8 else len(secs) - 1
            same = 0 if k == 0 else len(other_secs) - 1 if k == len(secs) - 1 or len(other_secs) == 2 else \
                rng.randrange(1, len(other_secs) - 1)
            data = refit(secs, k, _damage(rng, kind, secs[k], other_secs[same]), file_crc)
    elif kind == "field":                     # a well-formed stream with one header field changed
        data = assemble(stream.write_header(_change_header(rng, h)), blocks, file_crc)
    elif kind == "channel":                   # one channel of one block changed, the block well formed
        i = rng.randrange(len(blocks))
        blocks[i] = _change_channel(rng, h, blocks[i], i)
        data = assemble(header, blocks, file_crc)
    elif kind == "blocks":                    # blocks moved, repeated, dropped or foreign; the index fits
        other_originals, other = pairs[rng.randrange(len(pairs))]
        originals = originals | other_originals
        data = assemble(header, _change_blocks(rng, blocks, sections(other)[1:-1]), file_crc)
    elif kind == "index":
        index, claimed = _forged_index(rng, [len(b) for b in blocks])
        data = assemble(header, blocks, file_crc if rng.random() < 0.7 else file_crc ^ 1, index)
        if claimed is not None:
            data = data[:-8] + struct.pack("<I", claimed % (1 << 32)) + data[-4:]
    elif kind == "file-crc":                  # every other checksum valid: only the file CRC can tell
        data = assemble(header, blocks, file_crc ^ 1 << rng.randrange(32), secs[-1])
    elif kind == "foreign-model":
        n = stream.FIXED + len(stream.varint(len(header) - stream.FIXED))
        data = fix_trailer(data[:n] + rng.randbytes(4) + data[n + 4:])
    elif kind == "version":
        data = fix_trailer(data[:4] + bytes([rng.choice([0, 1, stream.OLDEST, stream.VERSION + 1, 255])]) + data[5:])
    return kind, data, originals


# ---- the oracle -----------------------------------------------------------------------------------

def decoded(data: bytes) -> tuple:
    """What the stream decodes to through its door: a file, or (container ARRAY) samples."""
    if opened(data).header.container == stream.ARRAY:
        return samples_key(codec.decode_samples(data))
    return ("file", codec.decode(data))


def sliced(data: bytes, a: int, b: int) -> tuple:
    """Frames a..b of the stream through decode_samples, as originals_of keys them."""
    return ("slice", a, b, samples_key(codec.decode_samples(data, a, b))[1])


def answers(data: bytes, originals) -> list:
    """(key, None) or (None, SpikeyError) of each door: the whole stream, and SLICE where an original has it."""
    doors = [lambda: decoded(data)] + [lambda: sliced(data, *SLICE)] * any(key[0] == "slice" for key in originals)
    out = []
    for door in doors:
        try:
            out.append((door(), None))
        except SpikeyError as e:
            out.append((None, e))
    return out


def check(data: bytes, originals, max_samples: int) -> tuple[str, bool]:
    """Decode one case: (outcome, passed). Passing is a SpikeyError or exactly an original."""
    try:
        h = opened(data).header
        declared = h.frames * max(h.channels, 1)
    except SpikeyError:
        declared = 0                 # the decoder below refuses it the same way
    except Exception as e:           # noqa: BLE001 (any other exception is what we look for)
        return f"CRASH in codec.Opened: {type(e).__name__}: {e}", False
    if declared > max_samples:
        return "bomb: header and index declare too many samples to decode here", True
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    start = time.perf_counter()
    try:
        results = answers(data, originals)
        wrong = [key[0] for key, e in results if e is None and key not in originals]
        refusals = [e for _, e in results if e is not None]
        outcome, ok = (f"WRONG OUTPUT ({wrong[0]})", False) if wrong else \
            ("refused: " + re.sub(r"\b[0-9a-f]{8}\b|\d+", "#", str(refusals[0])), True) if refusals else \
            ("decoded the original", True)
    except Exception as e:           # noqa: BLE001
        outcome, ok = f"CRASH: {type(e).__name__}: {e}", False
    finally:
        faulthandler.cancel_dump_traceback_later()
    elapsed = time.perf_counter() - start
    if elapsed > TIME_LIMIT_S:
        return f"SLOW ({elapsed:.1f} s, {declared} samples declared): {outcome}", False
    return outcome, ok


def _cases(seed: int, first: int, cases: int, max_samples: int):
    """(case, kind, stream, outcome, passed, seconds) for cases first..cases-1, one at a time."""
    for i in range(first, cases):
        kind, data, originals = make_case(seed, i)
        start = time.perf_counter()
        outcome, ok = check(data, originals, max_samples)
        yield i, kind, data, outcome, ok, time.perf_counter() - start


def _worker(conn, seed: int, first: int, cases: int, max_samples: int):
    for i, kind, data, outcome, ok, seconds in _cases(seed, first, cases, max_samples):
        conn.send((i, kind, None if ok else data, outcome, ok, seconds))
    conn.send(None)


def _isolated(seed: int, cases: int, max_samples: int):
    """_cases, each run in a forked process: a case that hangs the decoder (a compiled loop cannot be
    interrupted) or kills its process is reported as a failure, and the run goes on after it."""
    ctx = multiprocessing.get_context("fork")
    i = 0
    while i < cases:
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(send, seed, i, cases, max_samples), daemon=True)
        sys.stdout.flush()           # else the child inherits what is buffered, and prints it again
        sys.stderr.flush()
        proc.start()
        send.close()
        while True:
            try:                     # the case's own watchdog (check) ends a hang after HANG_S, exit status 1
                message = receive.recv() if receive.poll(HANG_S + 10) else "hang"
            except EOFError:
                message = "died"
            if message is None:
                proc.join()
                return
            if message in ("hang", "died"):
                proc.kill()
                proc.join()
                kind, data, _ = make_case(seed, i)
                outcome = f"HANG: still decoding after {HANG_S} s" if message == "hang" or proc.exitcode == 1 \
                    else f"CRASH: the process died (exit status {proc.exitcode})"
                yield i, kind, data, outcome, False, float(HANG_S)
                i += 1
                break
            yield message
            i = message[0] + 1


def run(cases: int, seed: int, max_samples: int, save: Path | None = None, log=print, isolate=False):
    """Fuzz cases 0..cases-1 of a seed; returns (Counter of outcomes, list of failures, slowest case).
    isolate: each case in a forked process, so that a hang or a crash of the process is counted and the
    run goes on (in-process, a hang dumps every stack and exits after HANG_S)."""
    outcomes, failures, slowest = Counter(), [], (0.0, None)
    results = _isolated(seed, cases, max_samples) if isolate else _cases(seed, 0, cases, max_samples)
    for i, kind, data, outcome, ok, seconds in results:
        slowest = max(slowest, (seconds, f"case {i}, {kind}: {outcome}"))
        outcomes[outcome] += 1
        if not ok:
            failures.append((i, kind, outcome))
            log(f"FAIL case {i} ({kind}, {len(data)} bytes): {outcome}")
            if save:
                save.mkdir(parents=True, exist_ok=True)
                (save / f"seed{seed}-case{i}.brainwire").write_bytes(data)
    return outcomes, failures, slowest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", type=int, nargs="?", default=10000)
    ap.add_argument("seed", type=int, nargs="?", default=0)
    ap.add_argument("--max-samples", type=int, default=1 << 21,
                    help="decode only streams declaring at most this many samples (default 2^21)")
    ap.add_argument("--save", type=Path, help="write failing streams to this folder")
    args = ap.parse_args()
    corpus()                                      # compile or load the kernels before timing anything
    start = time.perf_counter()
    outcomes, failures, slowest = run(args.cases, args.seed, args.max_samples, args.save, isolate=True)
    elapsed = time.perf_counter() - start
    width = max(len(str(c)) for c in outcomes.values())
    for outcome, count in sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{count:>{width}}  {outcome}")
    print(f"slowest: {slowest[0]:.2f} s ({slowest[1]})")
    print(f"{args.cases} cases, seed {args.seed}, {elapsed:.1f} s: {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
