"""Recordings to .brainwire streams and back, a block at a time: container -> frames -> code sets ->
model -> stream. The decisions live here (which coding a channel gets in a block); spikey/stream.py
holds the syntax.

Three doors, one pipeline:
- files (`encode_file`/`decode_file`: the containers of spikey/containers/; anything else whole, generic),
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

from spikey import SpikeyError, codesets, containers, crosschannel, profiles, quantiser, stream
from spikey import model as models
from spikey.containers import Layout

MAX_BLOCK_FRAMES = 1 << 18   # frames per block; docs/format.md section 4.1 has the measurements
GENERIC_BLOCK = 1 << 20      # bytes of an unmodelled file per block


def block_frames(channels: int) -> int:
    return min(MAX_BLOCK_FRAMES, max(1, stream.MAX_BLOCK_SAMPLES // channels))


# ---- one channel of one block -----------------------------------------------------------------------

def _sets(x, model, quantised):
    """[(code set, bin indices, exceptions, bin table)] to try for one channel's samples x: the lossless
    candidates, or the one a near-lossless channel was quantised on (its groups are the table's bins)."""
    if quantised is not None:
        return [(quantised.code_set, quantised.idx, quantised.exceptions, quantised.table)]
    return [(*found, found[0].table(model.adc)) for found in codesets.candidates(x, model.adc)]


def _options(sets, model, profile, n_refs):
    """Every way the level's profile may code a channel on one of the sets (_sets): (code set, bin
    indices, exceptions, table, head, uses: how many of its n_refs refs it is predicted from, loop)."""
    for code_set, idx, exceptions, table in sets:
        for uses in _uses(profile, n_refs):
            for loop in _loops(profile, uses > 0):
                for head in _heads(profile, code_set.coding == codesets.ADC, loop):
                    yield code_set, idx, exceptions, table, head, uses, loop


def _heads(profile, adc: bool, loop: int) -> list:
    """The heads a record of this loop may take. The learned heads (of the level's own network files, the
    first of the model's) were fitted to the challenge ADC: other code sets may go without, and try only
    the first file's. On the ADC's set the RLS loops try every one, the cascades only the first file's: max's
    LSTM costs as much as the rest of the loop, and there it made a cascade's record shorter on 5 of
    the 600 challenge files, by 0.003% of their bytes (docs/levels.md). The fast loops have none."""
    if not profile.heads or loop in profiles.INTEGER:
        return [models.NO_HEAD]
    files = profile.networks if adc and loop not in profiles.CASCADES else profile.networks[:1]
    heads = list(range(models.of_networks(files).n_heads))
    return heads + [models.NO_HEAD] if profile.no_head and not adc else heads


def _uses(profile, n_refs: int) -> list:
    """How many of a channel's first refs its records may be predicted from: none, the level's counts,
    and as many as the level links (all of them, unless the stream's level links more)."""
    return sorted({0, *(m for m in profile.ref_counts if m < n_refs), min(n_refs, profile.max_refs)})


def _loops(profile, linked: bool) -> list:
    """The level's loops worth trying on a record: without links, the RLS with MiddleOut is the RLS
    itself, tried once, as the one the level lists first, and the loops with the refs' context have none."""
    loops = list(profile.loops)
    if not linked and profiles.RLS in loops and profiles.MIDDLEOUT in loops:
        loops.remove(max(profiles.RLS, profiles.MIDDLEOUT, key=loops.index))
    return loops if linked else [loop for loop in loops if loop not in profiles.BURSTS]


def _record(option, model, aux, moves, own_loop, n=None):
    """(record, the samples' surprises or None) of one option, over the first n samples (all: None);
    aux: what the refs give (all_ref_inputs); own_loop: the stream's level's, which a record need not name."""
    code_set, idx, exceptions, table, head, uses, loop = option
    part = slice(None) if n is None else slice(0, n)
    surprises = None
    linked = uses > 0
    refs, lags = None, len(crosschannel.LAGS)
    if linked:          # the first uses refs' columns: one each for the fast loop, one per lag for the RLS loops
        integer = loop in profiles.INTEGER
        refs = np.ascontiguousarray(aux[integer][part, :uses * (1 if integer else lags)])
    if linked and moves is not None:
        moves = np.ascontiguousarray(moves[part, :uses * lags])
    if loop in profiles.INTEGER:
        payload = model.encode_fast(table, idx[part], refs, profiles.STAGE_STEP_BITS.get(loop, 0))
    elif loop in profiles.CASCADES:
        surprises = np.empty(len(idx[part]))
        bursts = aux[2][part] if loop in profiles.BURSTS else None
        payload = model.encode_cascade(table, idx[part], profiles.shape(loop), head, refs, bursts, surprises)
    else:
        surprises = np.empty(len(idx[part]))
        payload = model.encode(table, idx[part], head, refs, moves if linked and loop == profiles.MIDDLEOUT else None,
                               surprises)
    some = uses if 0 < uses < aux[1].shape[1] else None
    return stream.Channel(code_set, head, exceptions, payload, linked, _named(loop, own_loop, linked), some), surprises


def _named(loop: int, own_loop: int, linked: bool) -> int | None:
    """The loop a record names: none where it is the level's own (without links, the RLS with and
    without MiddleOut are one)."""
    same = {loop, own_loop} == {profiles.RLS, profiles.MIDDLEOUT} and not linked
    return None if loop == own_loop or same else loop


def _best(sets, n, model, aux, moves, profile, own_loop, n_refs):
    """(record, surprises, option) of the shortest record the level's search finds for a channel of n
    samples, or its simpler level's search, which it repeats (on the same links) and keeps where shorter:
    so no level's record is longer than a simpler level's, but for a loop byte."""
    options = list(_options(sets, model, profile, n_refs))
    if profile.simpler is None:
        return _best_of(options, model, aux, moves, profile, own_loop, n)
    below = profiles.PROFILES[profiles.index(profile.simpler)]
    simpler = _best(sets, n, model, aux, moves, below, own_loop, n_refs)
    if profile.deepens:
        options = _deeper(options, simpler[2], {o[4] for o in _options(sets, model, below, n_refs)})
        if not options:         # the level has no deeper form of that choice (a profile without max's loops)
            return simpler
    found = _best_of(options, model, aux, moves, profile, own_loop, n)
    return min((found, simpler), key=lambda r: len(stream.write_channel(r[0])))


def _deeper(options, chosen, simpler_heads: set) -> list:
    """The options that deepen the simpler level's chosen one (a deepening level's search: max's): on its code
    set, with its refs or all the level's, its loop's deeper form (profiles.DEEPER) with its head, and every
    loop that takes a head the simpler level lacks (max's LSTM) with that head. Where its loop has no deeper
    form (fast's), every loop and head.
    On the shared recordings and their variants this codes as the whole search did, but for the EEG's (0.003-0.011%
    longer), at 1.3-2.1x its speed (docs/levels.md)."""
    code_set, head, uses, loop = chosen[0], chosen[4], chosen[5], chosen[6]
    most = max(o[5] for o in options)
    return [o for o in options if o[0] is code_set and o[5] in (uses, most)
            and (loop not in profiles.DEEPER or o[4] not in simpler_heads
                 or (o[6] == profiles.DEEPER[loop] and o[4] == head))]


def _best_of(options, model, aux, moves, profile, own_loop, n):
    """(record, surprises, option) of the shortest record among the options (every one, or those the
    greedy search reaches), judged on the profile's trial length of first samples (all of them when that
    is fewer or 0, and then the trial is the record): payload scaled to the whole length, plus the
    record's fixed fields. A loop other than the profile's own must be shorter by its margin (own_margin)
    to be chosen, and a record with a head than one without by head_margin (on a code set where both are
    tried)."""
    trial = min(n, profile.trial_samples or n)
    whole = {}

    def estimate(i):
        record, surprises = _record(options[i], model, aux, moves, own_loop, None if trial == n else trial)
        if trial == n:
            whole[i] = record, surprises
        fixed = len(stream.write_channel(record)) - len(record.payload)
        margin = 1.0 if options[i][6] == profile.loops[0] else 1.0 + profile.own_margin
        margin *= 1.0 if options[i][4] == models.NO_HEAD else 1.0 + profile.head_margin
        return (fixed + len(record.payload) * n / max(trial, 1)) * margin
    if len(options) == 1:
        return (*_record(options[0], model, aux, moves, own_loop), options[0])
    i = _greedy(options, estimate) if profile.greedy else min(range(len(options)), key=estimate)
    return (*(whole[i] if i in whole else _record(options[i], model, aux, moves, own_loop)), options[i])


# The fields of an option (_options') that _greedy changes, one at a time, in this order: its head first
# (on EEG, heads chosen after the loop lost 0.5% to the full search), then its loop, the refs it uses,
# its code set
CHOICES = (4, 6, 5, 0)


def _greedy(options, key) -> int:
    """The index of an option of least key(index), found by changing one choice at a time (CHOICES, in
    order) and keeping the best so far, in passes until a whole pass finds nothing better: from the
    level's own loop with the most refs, the first head and code set. Every option is tried at most once.
    Ties go to the option tried first, so the search is deterministic. (One pass alone missed up to 0.04%
    of the full search's bytes on yass_np10; with passes, the shared recordings' ratios and their
    variants' are the full search's to four digits but one: docs/levels.md.)"""
    def choices(option):
        return tuple(id(option[0]) if f == 0 else option[f] for f in CHOICES)
    where = {choices(o): i for i, o in enumerate(options)}
    most = max(o[5] for o in options)
    best = choices(next(o for o in options if o[6] == options[0][6] and o[5] == most))
    cost = {best: key(where[best])}
    start = None
    while best != start:
        start = best
        for g in range(len(CHOICES)):
            for c, i in where.items():
                if c not in cost and c[:g] + c[g + 1:] == best[:g] + best[g + 1:]:
                    cost[c] = key(i)
            best = min(cost, key=cost.get)
    return where[best]


def encode_channel(x: np.ndarray, model, aux=None, profile=profiles.PROFILES[0], linear=True, moves=None,
                   quantised=None):
    """(record, linearised samples, surprises) of the cheapest coding of one channel's samples x:
    verbatim, or through the model on a code set, by one of the level's loops, with or without a head
    and its refs' inputs aux (all_ref_inputs; for MiddleOut, their surprises moves). The linearised
    samples and surprises (None unless linear; surprises None where no RLS or cascade coded it) are what channels
    linked to this one are predicted from. A near-lossless channel (quantised: quantiser.quantise of x)
    codes its reconstruction."""
    if quantised is not None:
        x = quantised.samples
    n_refs = 0 if aux is None else aux[1].shape[1]
    coded, surprises, option = _best(_sets(x, model, quantised), len(x), model, aux, moves, profile,
                                     profile.loops[0], n_refs)
    verbatim = stream.Channel(codesets.CodeSet(codesets.VERBATIM), 0, [], x.astype("<i2").tobytes())
    if len(stream.write_channel(verbatim)) <= len(stream.write_channel(coded)):
        return verbatim, _linear(x, None, None, linear), None
    return coded, _linear(x, option[3], option[1], linear), surprises if linear else None


def _linear(x, table, idx, wanted=True) -> np.ndarray | None:
    """A channel's samples on its linearised axis, as the channels predicted from it see them (None
    where no channel is: a mono recording's gather would cost a tenth of the fast level's decode)."""
    if not wanted:
        return None
    return x.astype(np.float64) if table is None else table.centres[idx]


def loop_of(c: stream.Channel, profile) -> int:
    """The per-sample loop that made a record's payload: the one it names, else the level's own."""
    return profile.loops[0] if c.loop is None else c.loop


def decode_channel(c: stream.Channel, frames: int, model, refs=None, profile=profiles.PROFILES[0], linear=True,
                   moves=None, max_error=0, told=None):
    """(samples, linearised samples, surprises; both None unless linear, surprises None where no RLS or
    cascade coded it) of one channel record; refs: its refs' linearised samples (spikey/crosschannel.py
    makes its loop's inputs of them), moves: their surprises' inputs to MiddleOut; max_error: the channel's
    bound (its bins grouped under it); told: its refs' surprises, for the refs' context."""
    if c.code_set.coding == codesets.VERBATIM:
        x = np.frombuffer(c.payload, dtype="<i2")
        return x, _linear(x, None, None, linear), None
    if c.head >= model.n_heads and c.head != models.NO_HEAD:
        raise SpikeyError(f"stream asks for head {c.head}; its model has {model.n_heads}")
    table = quantiser.coarse(c.code_set.table(model.adc), max_error)
    loop = loop_of(c, profile)
    aux = ref_inputs(refs[:c.uses], loop) if c.linked else None
    surprises = None
    if loop in profiles.INTEGER:
        if c.head != models.NO_HEAD:
            raise SpikeyError("corrupt stream: a head in a channel of the fast loop")
        idx = model.decode_fast(table, c.payload, frames, aux, profiles.STAGE_STEP_BITS.get(loop, 0))
    elif loop in profiles.CASCADES:
        surprises = np.empty(frames) if linear else None         # none to write where no channel reads them
        bursts = burst(ref_peaks(told, frames)) if c.linked and loop in profiles.BURSTS else None
        idx = model.decode_cascade(table, c.payload, frames, profiles.shape(loop), c.head, aux, bursts, surprises)
    else:
        surprises = np.empty(frames)
        idx = model.decode(table, c.payload, frames, c.head, aux, moves if c.linked and loop == profiles.MIDDLEOUT
                           else None, surprises)
    x = table.values[idx].astype(np.int16)
    for pos, value in c.exceptions:
        x[pos] = value
    return x, _linear(x, table, idx, linear), surprises if linear else None


# ---- blocks ---------------------------------------------------------------------------------------

def ref_inputs(linear: list, loop: int) -> np.ndarray:
    """What a linked channel's loop takes from its refs' linearised samples: the RLS's regressor
    columns, or the fast loop's samples on its fixed-point axis."""
    return crosschannel.fixed_refs(linear) if loop in profiles.INTEGER else crosschannel.inputs(linear)


def all_ref_inputs(linear: list, surprises=None) -> tuple:
    """What every loop may take from a linked channel's refs, for the encoder to try them all: the RLS
    loops' inputs, then the integer loops' (indexed by loop in profiles.INTEGER), then, from their
    surprises, what the refs' context reads (burst; None where the level tries no such loop)."""
    heard = None if surprises is None else burst(ref_peaks(surprises, len(linear[0])))
    return ref_inputs(linear, profiles.RLS), ref_inputs(linear, profiles.LMS), heard


def _hears(profile) -> bool:
    """Whether a level's search, its simpler levels' included, tries a loop with the refs' context."""
    while profile is not None:
        if any(loop in profiles.BURSTS for loop in profile.loops):
            return True
        profile = profiles.PROFILES[profiles.index(profile.simpler)] if profile.simpler else None
    return False


def ref_moves(surprises: list, n: int) -> np.ndarray:
    """What MiddleOut moves a linked channel's mean by: its refs' surprises at t+1, t and t-1 (a ref
    coded without a prediction, verbatim, or by the fast loop, surprises no one: zeros). Only the RLS
    loops' surprises move it (moving): a cascade's came later, for the refs' context."""
    return crosschannel.inputs([np.zeros(n) if s is None else s for s in surprises])


def moving(surprises, loop: int):
    """A channel's surprises as MiddleOut reads them: the RLS loops', none of a cascade's."""
    return None if loop in profiles.CASCADES else surprises


def ref_peaks(surprises: list, n: int) -> np.ndarray:
    """(n, refs): each ref's largest |surprise| at t-1, t and t+1 within the block (a ref that surprises no
    one, verbatim or coded by the fast loop: 0)."""
    peaks = np.zeros((n, len(surprises)))
    for j, s in enumerate(surprises):
        if s is not None:
            a = np.abs(s)
            peak = peaks[:, j]
            peak[:] = a
            peak[1:] = np.maximum(peak[1:], a[:-1])
            peak[:-1] = np.maximum(peak[:-1], a[1:])
    return peaks


def burst(peaks: np.ndarray) -> np.ndarray:
    """The refs' surprise around each sample that the refs' context reads: the mean of all the channel's
    refs' peaks (those its RLS uses or not: a record that takes one ref's samples may hear every ref's
    bursts), summed in order."""
    total = np.zeros(len(peaks))
    for j in range(peaks.shape[1]):
        total += peaks[:, j]
    return total / peaks.shape[1]


def _encode_with_crc(item, model, refs, profile) -> bytes:
    return encode_block(*item, model=model, refs=refs, profile=profile)


def encode_block(x: np.ndarray, samples_crc: int, quantised=None, error=None, *, model, refs: list,
                 profile=profiles.PROFILES[0]) -> bytes:
    """One block: frames x (n, channels) int16, each channel offered its refs' samples, and the
    samples' CRC (chained: stream.samples_crc). Near-lossless: quantised[c], channel c's
    quantiser.quantise (None: lossless), and the block's largest error (the CRC is its reconstruction's)."""
    records, linear, surprises, moved = [], [], [], []
    wanted = {j for r in refs for j in r}
    middleout, hears = profiles.MIDDLEOUT in profile.loops, _hears(profile)
    for c in range(x.shape[1]):
        told = [surprises[j] for j in refs[c]] if hears else None
        aux = all_ref_inputs([linear[j] for j in refs[c]], told) if refs[c] else None
        moves = ref_moves([moved[j] for j in refs[c]], len(x)) if refs[c] and middleout else None
        record, lin, surprise = encode_channel(np.ascontiguousarray(x[:, c]), model, aux, profile, c in wanted, moves,
                                               None if quantised is None else quantised[c])
        records.append(record)
        linear.append(lin)
        surprises.append(surprise)
        moved.append(moving(surprise, loop_of(record, profile)))
    return stream.write_block(records, samples_crc, error)


def _decode_numbered(item, h, model) -> np.ndarray:
    return decode_block(item[1], h, item[0], item[2], model)


def decode_block(data: bytes, h: stream.Header, i: int, chain: int, model) -> np.ndarray:
    """Block i's frames; chain: what its samples CRC continues from (Opened.chain)."""
    start, stop = h.block_span(i)
    channels, samples_crc, _ = stream.read_block(data, h, stop - start)
    x = np.empty((stop - start, h.channels), dtype=np.int16)
    linear, surprises, moved = [], [], []
    profile = profiles.PROFILES[h.level]
    wanted = {j for r in h.refs for j in r}
    for c, channel in enumerate(channels):
        refs = [linear[j] for j in h.refs[c]]
        loop = loop_of(channel, profile)
        moves = (ref_moves([moved[j] for j in h.refs[c][:channel.uses]], stop - start)
                 if channel.linked and loop == profiles.MIDDLEOUT else None)
        x[:, c], lin, surprise = decode_channel(channel, stop - start, model, refs, profile, c in wanted, moves,
                                                h.max_error(c), [surprises[j] for j in h.refs[c]])
        linear.append(lin)
        surprises.append(surprise)
        moved.append(moving(surprise, loop))
    if stream.samples_crc(x, chain) != samples_crc:
        raise SpikeyError(f"block {i} decodes to samples that fail its checksum: the stream is damaged "
                          "(or the decoder faulty)")
    return x


# ---- whole streams --------------------------------------------------------------------------------

def _header(layout: Layout, model, refs, level: int, max_errors: list) -> stream.Header:
    """max_errors: per channel (all 0: a lossless stream)."""
    lossy = any(max_errors)
    flags = ((stream.CANONICAL if layout.canonical else 0) | (stream.PLANAR if layout.planar else 0)
             | (stream.ONE_DIM if layout.one_dim else 0) | (stream.UNSIGNED if layout.unsigned else 0)
             | (stream.SIDECAR if layout.sidecar else 0) | (stream.LOSSY if lossy else 0))
    return stream.Header(model.id, level, layout.container, flags, layout.channels, layout.frames, layout.rate,
                         block_frames(layout.channels), b"" if layout.canonical else layout.prefix, layout.suffix,
                         layout.extension, refs, layout.sidecar, stream.LOSSY_VERSION if lossy else stream.VERSION,
                         list(max_errors) if lossy else [])


def layout_of(h: stream.Header) -> Layout:
    layout = Layout(h.container, h.prefix, h.suffix, h.frames, h.channels, h.rate, bool(h.flags & stream.PLANAR),
                    bool(h.flags & stream.ONE_DIM), bool(h.flags & stream.CANONICAL), h.extension,
                    bool(h.flags & stream.UNSIGNED), h.sidecar)
    if layout.canonical:
        layout.prefix = containers.canonical_prefix(layout)
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
                  whole_crc=None, max_error=0, coder=None) -> None:
    """Write the stream of a recording whose frames frames_of(start, stop) gives. The file's CRC is
    summed in file order as the blocks are read, unless the caller has it (whole_crc: a planar file).
    max_error: the near-lossless bound (quantiser.bounds: K or "auto:F"; 0: lossless); the CRCs are then
    the reconstruction's, what decoding gives. coder(h, layout, blocks), where given, codes the blocks
    elsewhere (spikey/cluster.py): it gets each block's (frames, samples CRC) in order (near-lossless: the
    reconstruction's) and gives back the blocks' bytes in order."""
    number = profiles.index(level)
    profile = profiles.PROFILES[number]
    span = block_frames(layout.channels)
    first = frames_of(0, min(span, layout.frames))
    model = model or models.of_networks(profile.networks)
    bounds = quantiser.bounds(max_error, first)
    if any(bounds) and whole_crc is not None:
        raise SpikeyError("near-lossless coding needs samples stored frame after frame (this .npy is in "
                          "Fortran order: save it C-ordered)")
    h = _header(layout, model, crosschannel.links(first, profile.max_refs, profile.min_r), number, bounds)
    header = _decodable(stream.write_header(h))
    running, chain = zlib.crc32(layout.prefix), zlib.crc32(header)

    def blocks():
        nonlocal running, chain
        for i in range(h.n_blocks):
            x = first if i == 0 else frames_of(*h.block_span(i))
            item = quantiser.block(x, model.adc, bounds) if h.max_errors else (x,)
            running = zlib.crc32(item[0].astype("<i2", copy=False), running)
            chain = stream.samples_crc(item[0], chain)
            yield item[0], chain, *item[1:]

    coded = coder(h, layout, blocks()) if coder else in_order(
        partial(_encode_with_crc, model=model, refs=h.refs, profile=profile), blocks(), min(workers, h.n_blocks))
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
                level="default", path="", unknown_whole=False, max_error=0, coder=None) -> Layout | None:
    """Stream of the file src (size bytes) to out, and the layout it was coded as (None: stored whole, not
    a recording); channels and rate name a raw int16 file's layout; path, where src is a file, finds the
    sidecar beside it (a SpikeGLX .meta, an Open Ephys .oebin, a .cbin's .ch); unknown_whole: a file of no
    container Spikey knows is stored whole rather than refused (exact, whatever max_error); workers:
    threads coding blocks at once, or coder codes them (encode_frames); level: a row of
    spikey/profiles.py; max_error: the near-lossless bound (encode_frames)."""
    if not stream.is_extension(extension):
        raise SpikeyError(f"extension {extension[:40]!r} is not a bare extension such as '.dat'")
    rate = whole_rate(rate)
    layout = containers.probe(src, size, path, channels, rate, extension, unknown_whole)
    if layout is None:
        if not quantiser.exact(max_error) and not unknown_whole:
            raise SpikeyError("near-lossless coding needs int16 samples (a WAV, .npy or raw int16 file); "
                              "Spikey stores this file exact only: leave out --max-error")
        _encode_generic(src, size, out, model or models.default(), extension)
        return None
    encode_frames(lambda a, b: containers.read_frames(src, layout, a, b), layout, out, model, workers=workers,
                  level=level, whole_crc=file_crc(src, size) if layout.planar else None, max_error=max_error,
                  coder=coder)
    return layout


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


def decode_file(src, size: int, out, model=None, start=None, stop=None, workers=1, exact=False) -> Layout:
    """Write the recording (or frames start..stop of it, in a plain container of its kind) to out,
    which must be readable and seekable, decoding blocks in that many threads. A whole file is read
    back once written and checked against the stream's CRC of the original (of its reconstruction, for
    a near-lossless stream, which exact refuses before writing anything)."""
    s = Opened(src, size, model)
    h = s.header
    if exact and h.max_errors:
        raise SpikeyError(f"a near-lossless stream (samples within {max(h.max_errors)} of the original) does not "
                          "restore the exact file; decode it with spikey decode")
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
            containers.write_frames(out, layout, at, x)
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
    part.prefix = containers.canonical_prefix(part)
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


def whole_rate(rate) -> int:
    """A sampling rate as the stream holds it: a whole number of samples per second, given as an int or
    an integer-valued float (SpikeInterface's get_sampling_frequency() returns floats), within the field."""
    if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise SpikeyError(f"rate must be a number of samples per second, not {rate!r}")
    if not float(rate).is_integer():
        raise SpikeyError(f"rate must be a whole number of samples per second, not {rate}")
    stream.check_range("rate", int(rate), 0, stream.MAX_RATE)
    return int(rate)


def encode_samples(x, rate: int = 0, model=None, level: str = "default", workers: int = 1, max_error=0) -> bytes:
    """Stream of int16 (or uint16) samples x shaped (frames,) or (frames, channels), any memory order;
    level: fast, default or max (spikey/profiles.py); workers: threads coding blocks at once; max_error:
    0 (lossless), a whole number K (every decoded sample within K of x) or "auto:F" (spikey/quantiser.py)."""
    x = np.asarray(x)
    if x.dtype not in (np.int16, np.uint16) or x.ndim not in (1, 2) or (
            x.ndim == 2 and not 1 <= x.shape[1] <= stream.MAX_CHANNELS):
        raise SpikeyError(f"samples must be int16 or uint16 shaped (frames,) or (frames, channels), "
                          f"not {x.dtype} {x.shape}")
    rate = whole_rate(rate)
    x2 = x if x.ndim == 2 else x[:, None]
    unsigned = x.dtype == np.uint16
    layout = Layout(stream.ARRAY, b"", b"", x2.shape[0], x2.shape[1], rate, one_dim=x.ndim == 1, canonical=True,
                    unsigned=unsigned)

    def frames_of(a, b):
        part = np.ascontiguousarray(x2[a:b])
        return (part ^ np.uint16(0x8000)).view(np.int16) if unsigned else part

    out = io.BytesIO()
    encode_frames(frames_of, layout, out, model, workers, level, max_error=max_error)
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
