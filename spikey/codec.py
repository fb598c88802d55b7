"""Recordings to .brainwire streams and back, a block at a time: container -> frames -> code sets ->
model -> stream. The decisions live here (which coding a channel gets in a block); spikey/stream.py
holds the syntax.

Three doors, one pipeline:
- files (`encode_file`/`decode_file`: WAV, npy, raw int16; anything else whole as the generic container),
- bytes (`encode`/`decode`: the challenge's ./encode and ./decode, and tests),
- arrays (`encode_samples`/`decode_samples`: spikey.encode_samples and the numcodecs/zarr codecs).
Memory is bounded by one block (all channels over block_frames frames), whatever the length.
"""
import io
import os
import struct
import zlib
from functools import partial

import numpy as np

from spikey import SpikeyError, codesets, container, crosschannel, profiles, stream
from spikey import model as models
from spikey.container import Layout

MAX_BLOCK_FRAMES = 1 << 18   # frames per block; docs/format.md section 4.1 has the measurements
GENERIC_BLOCK = 1 << 20      # bytes of an unmodelled file per block


def block_frames(channels: int) -> int:
    return min(MAX_BLOCK_FRAMES, max(1, stream.MAX_BLOCK_SAMPLES // channels))


# ---- one channel of one block -----------------------------------------------------------------------

def _options(x, model, aux, profile):
    """Every way the level's profile may code x: (code set, bin indices, exceptions, table, head,
    linked). The learned heads were fitted to the challenge ADC: other code sets may go without."""
    for code_set, idx, exceptions in codesets.candidates(x, model.adc):
        table = code_set.table(model.adc)
        heads = list(range(model.n_heads)) if profile.heads else []
        if (profile.no_head and code_set.coding != codesets.ADC) or not heads:
            heads.append(models.NO_HEAD)
        for head in heads:
            for linked in (False, True) if aux is not None else (False,):
                yield code_set, idx, exceptions, table, head, linked


def _record(option, model, aux, moves, profile, n=None):
    """(record, the samples' surprises or None) of one option, over the first n samples (all: None)."""
    code_set, idx, exceptions, table, head, linked = option
    part = slice(None) if n is None else slice(0, n)
    surprises = None
    if profile.coder == "lms":
        payload = model.encode_fast(table, idx[part], aux[part] if linked else None)
    else:
        surprises = np.empty(len(idx[part]))
        payload = model.encode(table, idx[part], head, aux[part] if linked else None,
                               moves[part] if linked and moves is not None else None, surprises)
    return stream.Channel(code_set, head, exceptions, payload, linked), surprises


def _best(options, model, aux, moves, profile, n):
    """(record, surprises, option) of the shortest record among the options, judged on the profile's
    trial length of first samples (all of them when that is fewer or 0, and then the trial is the
    record): payload scaled to the whole length, plus the record's fixed fields."""
    trial = min(n, profile.trial_samples or n)
    if len(options) == 1 or trial == n:
        coded = [(*_record(option, model, aux, moves, profile), option) for option in options]
        return min(coded, key=lambda r: len(stream.write_channel(r[0])))

    def estimate(option):
        record, _ = _record(option, model, aux, moves, profile, trial)
        fixed = len(stream.write_channel(record)) - len(record.payload)
        return fixed + len(record.payload) * n / max(trial, 1)
    option = min(options, key=estimate)
    return (*_record(option, model, aux, moves, profile), option)


def encode_channel(x: np.ndarray, model, aux=None, profile=profiles.PROFILES[0], linear=True, moves=None):
    """(record, linearised samples, surprises) of the cheapest coding of one channel's samples x:
    verbatim, or through the model on a code set, with or without a head and its refs' inputs aux
    (and, with MiddleOut, their surprises moves). The linearised samples and surprises (None unless
    linear) are what channels linked to this one are predicted from."""
    coded, surprises, option = _best(list(_options(x, model, aux, profile)), model, aux, moves, profile, len(x))
    verbatim = stream.Channel(codesets.CodeSet(codesets.VERBATIM), 0, [], x.astype("<i2").tobytes())
    if len(stream.write_channel(verbatim)) <= len(stream.write_channel(coded)):
        return verbatim, _linear(x, None, None, linear), surprises_of(None, len(x), profile, linear)
    return coded, _linear(x, option[3], option[1], linear), surprises_of(surprises, len(x), profile, linear)


def _linear(x, table, idx, wanted=True) -> np.ndarray | None:
    """A channel's samples on its linearised axis, as the channels predicted from it see them (None
    where no channel is: a mono recording's gather would cost a tenth of the fast level's decode)."""
    if not wanted:
        return None
    return x.astype(np.float64) if table is None else table.centres[idx]


def surprises_of(surprises, n, profile, wanted=True) -> np.ndarray | None:
    """A channel's surprises as the channels linked to it see them at a MiddleOut level: a verbatim
    channel, coded without a prediction, surprises no one."""
    if not (wanted and profile.middleout):
        return None
    return np.zeros(n) if surprises is None else surprises


def decode_channel(c: stream.Channel, frames: int, model, aux=None, profile=profiles.PROFILES[0], linear=True,
                   moves=None):
    """(samples, linearised samples, surprises; both None unless linear) of one channel record."""
    if c.code_set.coding == codesets.VERBATIM:
        x = np.frombuffer(c.payload, dtype="<i2")
        return x, _linear(x, None, None, linear), surprises_of(None, frames, profile, linear)
    if c.head >= model.n_heads and c.head != models.NO_HEAD:
        raise SpikeyError(f"stream asks for head {c.head}; its model has {model.n_heads}")
    table = c.code_set.table(model.adc)
    surprises = None
    if profile.coder == "lms":
        if c.head != models.NO_HEAD:
            raise SpikeyError("corrupt stream: a head in a fast-level channel")
        idx = model.decode_fast(table, c.payload, frames, aux if c.linked else None)
    else:
        surprises = np.empty(frames)
        idx = model.decode(table, c.payload, frames, c.head, aux if c.linked else None,
                           moves if c.linked else None, surprises)
    x = table.values[idx].astype(np.int16)
    for pos, value in c.exceptions:
        x[pos] = value
    return x, _linear(x, table, idx, linear), surprises_of(surprises, frames, profile, linear)


# ---- blocks ---------------------------------------------------------------------------------------

def ref_inputs(linear: list, profile) -> np.ndarray:
    """What a linked channel's predictor takes from its refs' linearised samples: the RLS's regressor
    columns, or the fast level's samples on its fixed-point axis."""
    return crosschannel.fixed_refs(linear) if profile.coder == "lms" else crosschannel.inputs(linear)


def ref_moves(surprises: list, profile) -> np.ndarray | None:
    """What MiddleOut moves a linked channel's mean by: its refs' surprises at t+1, t and t-1."""
    return crosschannel.inputs(surprises) if profile.middleout else None


def _encode_with_crc(item, model, refs, profile) -> bytes:
    return encode_block(item[0], item[1], model, refs, profile)


def encode_block(x: np.ndarray, samples_crc: int, model, refs: list, profile=profiles.PROFILES[0]) -> bytes:
    """One block: frames x (n, channels) int16, each channel offered its refs' samples, and the
    samples' CRC (chained: stream.samples_crc)."""
    records, linear, surprises = [], [], []
    wanted = {j for r in refs for j in r}
    for c in range(x.shape[1]):
        aux = ref_inputs([linear[j] for j in refs[c]], profile) if refs[c] else None
        moves = ref_moves([surprises[j] for j in refs[c]], profile) if refs[c] else None
        record, lin, surprise = encode_channel(np.ascontiguousarray(x[:, c]), model, aux, profile, c in wanted, moves)
        records.append(record)
        linear.append(lin)
        surprises.append(surprise)
    return stream.write_block(records, samples_crc)


def _decode_numbered(item, h, model) -> np.ndarray:
    return decode_block(item[1], h, item[0], item[2], model)


def decode_block(data: bytes, h: stream.Header, i: int, chain: int, model) -> np.ndarray:
    """Block i's frames; chain: what its samples CRC continues from (Opened.chain)."""
    start, stop = h.block_span(i)
    channels, samples_crc = stream.read_block(data, h, stop - start)
    x = np.empty((stop - start, h.channels), dtype=np.int16)
    linear, surprises = [], []
    profile = profiles.PROFILES[h.level]
    wanted = {j for r in h.refs for j in r}
    for c, channel in enumerate(channels):
        aux = ref_inputs([linear[j] for j in h.refs[c]], profile) if channel.linked else None
        moves = ref_moves([surprises[j] for j in h.refs[c]], profile) if channel.linked else None
        x[:, c], lin, surprise = decode_channel(channel, stop - start, model, aux, profile, c in wanted, moves)
        linear.append(lin)
        surprises.append(surprise)
    if stream.samples_crc(x, chain) != samples_crc:
        raise SpikeyError(f"block {i} decodes to samples that fail its checksum: the stream is damaged "
                          "(or the decoder faulty)")
    return x


# ---- whole streams --------------------------------------------------------------------------------

def _header(layout: Layout, model, refs, level: int) -> stream.Header:
    flags = ((stream.CANONICAL if layout.canonical else 0) | (stream.PLANAR if layout.planar else 0)
             | (stream.ONE_DIM if layout.one_dim else 0) | (stream.UNSIGNED if layout.unsigned else 0))
    return stream.Header(model.id, level, layout.container, flags, layout.channels, layout.frames, layout.rate,
                         block_frames(layout.channels), b"" if layout.canonical else layout.prefix, layout.suffix,
                         layout.extension, refs)


def layout_of(h: stream.Header) -> Layout:
    layout = Layout(h.container, h.prefix, h.suffix, h.frames, h.channels, h.rate, bool(h.flags & stream.PLANAR),
                    bool(h.flags & stream.ONE_DIM), bool(h.flags & stream.CANONICAL), h.extension,
                    bool(h.flags & stream.UNSIGNED))
    if layout.canonical:
        layout.prefix = container.canonical_prefix(layout)
        if layout.prefix is None:
            raise SpikeyError("corrupt stream: no canonical header exists for these fields")
    return layout


def in_order(work, items, workers: int):
    """work(item) for each item, in order, by that many threads: the coding loops let go of the GIL,
    and threads share the model and the blocks where processes would start, load and copy them.
    Blocks are independent, so the bytes are the same for any number. At most workers + 1 items are
    read ahead, so memory stays bounded by the blocks in flight."""
    if workers <= 1:
        yield from map(work, items)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(workers)
    try:
        pending = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BaseException:       # an error, an interrupt, or the reader gone: start nothing more, wait for nothing
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def encode_frames(frames_of, layout: Layout, out, model, workers=1, level="default",
                  whole_crc=None) -> None:
    """Write the stream of a recording whose frames frames_of(start, stop) gives. The file's CRC is
    summed in file order as the blocks are read, unless the caller has it (whole_crc: a planar file)."""
    number = profiles.index(level)
    profile = profiles.PROFILES[number]
    span = block_frames(layout.channels)
    first = frames_of(0, min(span, layout.frames))
    model = model or models.of_networks(profile.networks)
    h = _header(layout, model, crosschannel.links(first, profile.max_refs, profile.min_r), number)
    header = _decodable(stream.write_header(h))
    running, chain = zlib.crc32(layout.prefix), zlib.crc32(header)

    def blocks():
        nonlocal running, chain
        for i in range(h.n_blocks):
            x = first if i == 0 else frames_of(*h.block_span(i))
            running = zlib.crc32(x.astype("<i2", copy=False), running)
            chain = stream.samples_crc(x, chain)
            yield x, chain

    coded = in_order(partial(_encode_with_crc, model=model, refs=h.refs, profile=profile), blocks(),
                     min(workers, h.n_blocks))
    _write(header, coded, out, lambda: zlib.crc32(layout.suffix, running) if whole_crc is None else whole_crc)


def _write(header: bytes, blocks, out, file_crc) -> None:
    """Header, blocks (as they come), index and trailer; file_crc() once the blocks are done."""
    out.write(header)
    lengths = []
    for block in blocks:
        out.write(block)
        lengths.append(len(block))
    index = stream.write_index(lengths)
    out.write(index + stream.write_trailer(header, index, file_crc()))


def _decodable(header: bytes) -> bytes:
    """The header, read back as a decoder reads it: the encoder refuses, before writing a block, any
    field a decoder would refuse."""
    try:
        stream.read_header(header)
    except SpikeyError as e:
        raise SpikeyError(f"this input cannot be stored in a stream: {str(e).removeprefix('corrupt stream: ')}") \
            from None
    return header


def _encode_generic(src, size: int, out, model, extension: str) -> None:
    h = stream.Header(model.id, 0, stream.GENERIC, 0, 0, size, 0, GENERIC_BLOCK, extension=extension)
    src.seek(0)
    _write(_decodable(stream.write_header(h)),
           (stream.write_generic_block(src.read(GENERIC_BLOCK)) for _ in range(h.n_blocks)), out,
           lambda: file_crc(src, size))


def file_crc(f, size: int, start: int = 0, unsigned: bool = False) -> int:
    """CRC-32 of bytes start..size of the file f, read a block at a time; of uint16 samples, as the
    stream codes them (int16, the top bit flipped)."""
    f.seek(start)
    value = 0
    for _ in range(start, size, GENERIC_BLOCK):
        data = f.read(GENERIC_BLOCK)
        value = zlib.crc32((np.frombuffer(data, "<u2") ^ np.uint16(0x8000)) if unsigned else data, value)
    return value


def encode_file(src, size: int, out, model=None, channels=None, rate=0, extension="", workers=1,
                level="default") -> None:
    """Stream of the file src (size bytes) to out; channels and rate name a raw int16 file's layout;
    workers: threads coding blocks at once; level: a row of spikey/profiles.py."""
    if not stream.is_extension(extension):
        raise SpikeyError(f"extension {extension[:40]!r} is not a bare extension such as '.dat'")
    stream.check_range("rate", rate, 0, stream.MAX_RATE)
    layout = container.probe(src, size, channels, rate, extension)
    if layout is None:
        return _encode_generic(src, size, out, model or models.default(), extension)
    encode_frames(lambda a, b: container.read_frames(src, layout, a, b), layout, out, model, workers=workers,
                  level=level, whole_crc=file_crc(src, size) if layout.planar else None)


class Opened:
    """A stream's header and index, read and checked; blocks are read one by one as asked."""

    def __init__(self, f, size: int, model=None):
        f.seek(0)
        header_len = stream.read_fixed(f.read(stream.FIXED + 5))
        if header_len > size - stream.TRAILER:
            raise SpikeyError("corrupt stream: truncated or damaged (header length)")
        f.seek(size - stream.TRAILER)
        last = f.read(stream.TRAILER)
        self.file_crc, index_len = stream.read_trailer(last)
        blocks_bytes = size - stream.TRAILER - index_len - header_len
        if blocks_bytes < 0:
            raise SpikeyError("corrupt stream: truncated or damaged (index length)")
        f.seek(0)
        header = f.read(header_len)
        f.seek(header_len + blocks_bytes)
        index = f.read(index_len)
        stream.check_trailer(header, index, last)
        self.header = stream.read_header(header)
        self.model = models.for_stream(self.header.model_id, model)
        self.offsets = stream.read_index(index, self.header, blocks_bytes) + header_len
        self.header_crc = zlib.crc32(header)
        self.f = f

    def block_bytes(self, i: int) -> bytes:
        self.f.seek(self.offsets[i])
        return self.f.read(self.offsets[i + 1] - self.offsets[i])

    def chain(self, i: int) -> int:
        """What block i's samples CRC continues from (stream.samples_crc): the header's CRC for block 0,
        else the CRC stored at the end of the block before, read from the stream (none before CHAINED)."""
        if self.header.version < stream.CHAINED:
            return 0
        if i == 0:
            return self.header_crc
        self.f.seek(self.offsets[i] - 4)
        return struct.unpack("<I", self.f.read(4))[0]

    def frames(self, i: int) -> np.ndarray:
        return decode_block(self.block_bytes(i), self.header, i, self.chain(i), self.model)

    def blocks_of(self, start: int, stop: int) -> range:
        span = self.header.block_frames
        return range(start // span, -(-stop // span)) if stop > start else range(0)

    def parts(self, start: int, stop: int, workers: int = 1):
        """(position from start, frames) of each block's part of frames start..stop, in order, the
        blocks decoded by that many threads."""
        wanted = self.blocks_of(start, stop)
        work = partial(_decode_numbered, h=self.header, model=self.model)
        blocks = in_order(work, ((i, self.block_bytes(i), self.chain(i)) for i in wanted), min(workers, len(wanted)))
        for i, x in zip(wanted, blocks, strict=True):
            a, b = self.header.block_span(i)
            yield max(a, start) - start, x[max(start - a, 0):min(stop, b) - a]


def _slice(h: stream.Header, start, stop) -> tuple[int, int]:
    start = 0 if start is None else start
    stop = h.frames if stop is None else min(stop, h.frames)
    if not 0 <= start <= stop:
        raise SpikeyError(f"a slice must have 0 <= start <= stop, not {start}..{stop}")
    return start, stop


def decode_file(src, size: int, out, model=None, start=None, stop=None, workers=1) -> Layout:
    """Write the recording (or frames start..stop of it, in a plain container of its kind) to out,
    which must be readable and seekable, decoding blocks in that many threads. A whole file is read
    back once written and checked against the stream's CRC of the original."""
    s = Opened(src, size, model)
    h = s.header
    whole = start is None and stop is None
    if h.container == stream.GENERIC:
        if not whole:
            raise SpikeyError("this stream holds a file Spikey does not model: it has no frames to slice")
        for i in range(h.n_blocks):
            a, b = h.block_span(i)
            out.write(stream.read_generic_block(s.block_bytes(i), b - a))
        layout = None
    else:
        start, stop = _slice(h, start, stop)
        layout = layout_of(h) if whole else _sliced(layout_of(h), stop - start)
        out.write(layout.prefix)
        for at, x in s.parts(start, stop, workers):
            container.write_frames(out, layout, at, x)
        out.seek(len(layout.prefix) + 2 * layout.channels * layout.frames)
        out.write(layout.suffix)
    out.flush()
    # the samples API's "file" is its samples: a decoded .npy's header is not in the CRC
    skip = len(layout.prefix) if h.container == stream.ARRAY else 0
    if whole and file_crc(out, out.tell(), skip, bool(h.flags & stream.UNSIGNED)) != s.file_crc:
        raise SpikeyError("the decoded file fails the stream's checksum of the original: the stream is damaged "
                          "(or the decoder faulty)")
    return layout


def stored_extension(path) -> str:
    """The extension of an input's name as a stream stores it: empty where it cannot be one (too long,
    or bytes that are not UTF-8), so that the decoded file is named .bin rather than the stream refused."""
    extension = os.path.splitext(path)[1]
    return extension if stream.is_extension(extension) else ""


def extension_of(h: stream.Header) -> str:
    """The file name extension a decoded stream is written with: the container's own."""
    return {stream.WAV: ".wav", stream.NPY: ".npy", stream.ARRAY: ".npy"}.get(h.container) or h.extension or ".bin"


def _sliced(layout: Layout, frames: int) -> Layout:
    """The plain container of the same kind for a slice of frames (no metadata chunks, no trailing bytes)."""
    part = Layout(layout.container, b"", b"", frames, layout.channels, layout.rate, layout.planar,
                  layout.one_dim, True, layout.extension, layout.unsigned)
    part.prefix = container.canonical_prefix(part)
    if part.prefix is None:
        raise SpikeyError("no plain WAV header holds this slice (over 4 GB, or 32768 channels or more)")
    return part


# ---- bytes and arrays -------------------------------------------------------------------------------

def encode(raw: bytes, model=None, **layout) -> bytes:
    out = io.BytesIO()
    encode_file(io.BytesIO(raw), len(raw), out, model, **layout)
    return out.getvalue()


def decode(data: bytes, model=None, start=None, stop=None) -> bytes:
    out = io.BytesIO()
    decode_file(io.BytesIO(data), len(data), out, model, start, stop)
    return out.getvalue()


def encode_samples(x, rate: int = 0, model=None, level: str = "default", workers: int = 1) -> bytes:
    """Stream of int16 (or uint16) samples x shaped (frames,) or (frames, channels), any memory order;
    level: fast, default or max (spikey/profiles.py); workers: threads coding blocks at once."""
    x = np.asarray(x)
    if x.dtype not in (np.int16, np.uint16) or x.ndim not in (1, 2) or (
            x.ndim == 2 and not 1 <= x.shape[1] <= stream.MAX_CHANNELS):
        raise SpikeyError(f"samples must be int16 or uint16 shaped (frames,) or (frames, channels), "
                          f"not {x.dtype} {x.shape}")
    stream.check_range("rate", rate, 0, stream.MAX_RATE)
    x2 = x if x.ndim == 2 else x[:, None]
    unsigned = x.dtype == np.uint16
    layout = Layout(stream.ARRAY, b"", b"", x2.shape[0], x2.shape[1], rate, one_dim=x.ndim == 1, canonical=True,
                    unsigned=unsigned)

    def frames_of(a, b):
        part = np.ascontiguousarray(x2[a:b])
        return (part ^ np.uint16(0x8000)).view(np.int16) if unsigned else part

    out = io.BytesIO()
    encode_frames(frames_of, layout, out, model, workers, level)
    return out.getvalue()


def decode_samples(data: bytes, start=None, stop=None, model=None, out=None, workers: int = 1) -> np.ndarray:
    """The samples of a stream (frames start..stop), C-contiguous int16 (uint16 if so encoded), shaped
    as encoded: (frames,) for 1-D input, else (frames, channels). out, when given, is filled and returned;
    workers: threads decoding blocks at once."""
    s = Opened(io.BytesIO(data), len(data), model)
    h = s.header
    if h.container == stream.GENERIC:
        raise SpikeyError("this stream holds a file Spikey does not model: it has no samples")
    start, stop = _slice(h, start, stop)
    shape = (stop - start,) if h.flags & stream.ONE_DIM else (stop - start, h.channels)
    dtype = np.uint16 if h.flags & stream.UNSIGNED else np.int16
    y = np.empty(shape, dtype=dtype) if out is None else out
    if y.shape != shape or y.dtype != dtype or not y.flags.c_contiguous:
        raise SpikeyError(f"out must be C-contiguous {np.dtype(dtype)} of shape {shape}")
    y2 = y.view(np.int16).reshape(stop - start, h.channels)
    for at, x in s.parts(start, stop, workers):
        y2[at:at + len(x)] = x
    if start == 0 and stop == h.frames and h.container == stream.ARRAY and zlib.crc32(y2) != s.file_crc:
        raise SpikeyError("the decoded samples fail the stream's checksum of the original: the stream is damaged")
    if h.flags & stream.UNSIGNED:
        y2 ^= np.int16(-0x8000)
    return y
