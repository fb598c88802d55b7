"""What the coder spent on each sample of a stream: its loop rerun with a record where the range coder was,
and the measures over time, of the residuals and of the links that the figures draw."""
import io

import numpy as np

from spikey import cascade, codec, codesets, coder, crosschannel, fastcascade, fastcoder, profiles, quantiser, stream
from spikey import rangecoder as rc
from spikey import distribution as dist
from spikey import middleout as mo
from spikey import network as net
from spikey import predictor as pred
from spikey.jit import njit

WINDOW_S = 0.05                  # bits/sample over time: mean over windows this long
Z_EDGES = np.linspace(-8, 8, 321)    # standardised residual histogram's bins
PAIR_MAX_FRAMES = 1 << 22        # mono recordings longer than this stay out of the pairs (kept in memory)


@njit(cache=True)
def ideal_bits(idx, aux, moves, edges, centres, table, var_init, var_rate, w1, b1, wr, w2, b2):
    """coder.encode_block's loop from a fresh state, with the range coder replaced by a record: each
    sample's ideal code length -log2(frequency / total) in bits, the mean and 1/sigma it was coded with,
    and its surprise (spikey/middleout.py)."""
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    s = coder.new_state(var_init, *net.state_sizes(b1, wr), aux.shape[1], moves.shape[1])
    w, P, h, gain, var, errors, x, z, rec = coder._views(s, *net.state_sizes(b1, wr), aux.shape[1])
    c, Pm, gm = coder._moves(s, moves.shape[1])
    n = len(idx)
    bits, means, inv_sigmas, surprises = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        pred.set_inputs(h, aux, i, pred.ORDER)
        mu, mean, inv_sigma = coder.predict(w, h, var, errors, x, z, rec, centres, w1, b1, wr, w2, b2)
        coded, move = mo.moved(c, moves, i, mean, inv_sigma)
        k = idx[i]
        lo = dist.cumulative(k, n_bins, edges, coded, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_bins, edges, coded, inv_sigma, table)
        bits[i] = np.log2(total / (hi - lo))
        means[i], inv_sigmas[i] = coded, inv_sigma
        surprises[i] = mo.surprise(centres[k], coded, inv_sigma)
        mo.learn(c, Pm, gm, moves, i, centres[k], mean, inv_sigma, move)
        coder.observe(w, P, h, gain, var, errors, var_rate, i, centres[k], mu)
    return bits, means, inv_sigmas, surprises


@njit(cache=True)
def cascade_ideal_bits(idx, aux, bursts, edges, centres, table, w1, b1, wr, w2, b2, shape, surprises):
    """cascade.encode_loop's record: each sample's ideal code length in bits and its standardised residual;
    its surprises to surprises (where it has a row a sample)."""
    trace = np.empty((len(idx), 2))
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    cascade.encode_loop(idx, aux, bursts, edges, centres, table, w1, b1, wr, w2, b2, shape,
                        *cascade.new_views(shape, b1, wr, aux, table), rc.encoder_new(), out, trace, surprises)
    return trace[:, 0].copy(), trace[:, 1].copy()


@njit(cache=True)
def stage_ideal_bits(idx, edges, table, refs, step_bits):
    """fastcascade.encode_loop's record (its stage's step 2^-step_bits), as cascade_ideal_bits."""
    trace = np.empty((len(idx), 2))
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    fastcascade.encode_loop(idx, edges, table, refs, step_bits, *fastcoder.state(refs.shape[1]),
                            *fastcascade.stage_state(), rc.encoder_new(), out, trace)
    return trace[:, 0].copy(), trace[:, 1].copy()


@njit(cache=True)
def fast_ideal_bits(idx, edges, table, refs):
    """fastcoder's loop (the fast level) from a fresh state, with the range coder replaced by a record:
    each sample's ideal code length in bits and its residual standardised by the width it was coded with."""
    n_bins = len(edges) - 1
    w, d, sd, wr, dr = fastcoder.state(refs.shape[1])
    last, mae = np.int64(0), np.int64(fastcoder.MAE_INIT)
    n = len(idx)
    bits, z = np.empty(n), np.empty(n)
    for t in range(n):
        mean, width, inv = fastcoder.predict(w, d, last, mae, edges, fastcoder.refs_sum(wr, dr, refs, t))
        k = idx[t]
        lo = fastcoder.cumulative(k, n_bins, edges, mean, inv, table)
        hi = fastcoder.cumulative(k + 1, n_bins, edges, mean, inv, table)
        bits[t] = np.log2(fastcoder.TOTAL / (hi - lo))
        y = (edges[k] + edges[k + 1]) >> 1
        z[t] = (y - mean) / width
        fastcoder.learn_refs(wr, dr, y - mean)
        mae = fastcoder.observe(w, d, sd, y, last, mean, mae)
        last = y
    return bits, z


def channel_bits(record: stream.Channel, x: np.ndarray, aux, model, loop, moves=None, max_error=0, bursts=None):
    """(bits of each sample, standardised residuals or None, linearised samples, surprises or None) of
    one channel of one block: its record rerun sample by sample by its loop; a verbatim record
    costs 16 bits a sample. aux, moves, bursts: its refs' inputs, as codec.ref_inputs, ref_moves and burst
    give them (moves None: no MiddleOut; bursts None: no refs' context); max_error: a near-lossless
    channel's bound (x its reconstruction)."""
    n = len(x)
    if record.code_set.coding == codesets.VERBATIM:
        return np.full(n, 16.0), None, x.astype(np.float64), None
    table = quantiser.coarse(record.code_set.table(model.adc), max_error)
    idx, _ = table.indices(x)
    if loop in profiles.INTEGER:
        refs = aux if record.linked else np.zeros((n, 0), dtype=np.int64)
        edges = fastcoder.fixed_edges(table.edges)
        if loop in profiles.STAGE_STEP_BITS:
            bits, z = stage_ideal_bits(idx, edges, dist.GAUSSIAN_CDF, refs, profiles.STAGE_STEP_BITS[loop])
        else:
            bits, z = fast_ideal_bits(idx, edges, dist.GAUSSIAN_CDF, refs)
        return bits, z, table.centres[idx], None
    if loop in profiles.CASCADES:
        surprises = np.empty(n)
        bits, z = cascade_ideal_bits(idx, aux if record.linked else np.zeros((n, 0)),
                                     np.zeros(0) if bursts is None else bursts, table.edges, table.centres,
                                     dist.GAUSSIAN_CDF, *model.head(record.head), profiles.shape(loop), surprises)
        return bits, z, table.centres[idx], surprises
    aux = aux if record.linked else np.zeros((n, 0))
    moves = moves if record.linked and moves is not None else np.zeros((n, 0))
    bits, mean, inv_sigma, surprises = ideal_bits(idx, aux, moves, table.edges, table.centres, dist.GAUSSIAN_CDF,
                                                  pred.VAR_INIT, pred.VAR_RATE, *model.head(record.head))
    return bits, (table.centres[idx] - mean) * inv_sigma, table.centres[idx], surprises


def measure(data: bytes, model=None) -> dict:
    """Over a stream, block by block: bits/sample per window of frames (all channels), the histogram of
    standardised residuals, ideal and payload bits of the channels rerun, the first block's link
    correlations, and a short mono recording's samples."""
    s = codec.Opened(io.BytesIO(data), len(data), model)
    h, model = s.header, s.model
    profile = profiles.PROFILES[h.level]
    window = max(1, round(WINDOW_S * h.rate)) if h.rate else 1000
    bits = np.zeros(-(-h.frames // window))
    out = {"window": window, "histogram": np.zeros(len(Z_EDGES) - 1), "outside": 0, "residuals": 0,
           "ideal bits": 0.0, "payload bits": 0, "link r": []}
    mono = []
    for i in range(h.n_blocks):
        a, b = h.block_span(i)
        records = stream.read_block(s.block_bytes(i), h, b - a)[0]
        x = s.frames(i)
        linear, surprises, moved, block = [], [], [], np.zeros(b - a)
        for c, record in enumerate(records):
            loop = codec.loop_of(record, profile)
            used = h.refs[c][:record.uses]
            aux = codec.ref_inputs([linear[j] for j in used], loop) if record.linked else None
            moves = (codec.ref_moves([moved[j] for j in used], b - a)
                     if record.linked and loop == profiles.MIDDLEOUT else None)
            bursts = (codec.burst(codec.ref_peaks([surprises[j] for j in h.refs[c]], b - a))
                      if record.linked and loop in profiles.BURSTS else None)
            sample_bits, z, lin, surprise = channel_bits(record, np.ascontiguousarray(x[:, c]), aux, model, loop,
                                                         moves, h.max_error(c), bursts)
            linear.append(lin)
            surprises.append(surprise)
            moved.append(codec.moving(surprise, loop))
            block += sample_bits
            if z is not None:
                counts, _ = np.histogram(z, Z_EDGES)
                out["histogram"] += counts
                out["outside"] += len(z) - int(counts.sum())
                out["residuals"] += len(z)
                out["ideal bits"] += float(sample_bits.sum())
                out["payload bits"] += 8 * len(record.payload)
        bits += np.bincount((a + np.arange(b - a)) // window, weights=block, minlength=len(bits))
        if i == 0:
            r = crosschannel.correlations(x)
            out["link r"] = [[float(r[c, j]) for j in refs] for c, refs in enumerate(h.refs)]
        if h.channels == 1 and 1 < h.frames <= PAIR_MAX_FRAMES:    # for the pairs across files (of differences)
            mono.append(x[:, 0])
    out["mono"] = np.concatenate(mono) if mono else None
    frames_in = np.minimum(window, h.frames - window * np.arange(len(bits)))
    out["over time"] = bits / (frames_in * h.channels)
    return out
