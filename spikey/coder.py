"""Entropy coding of bin indices: online predictor -> learned head -> Gaussian bins -> range coder.

Encoder and decoder run the same loop in the same order; the decoder learns each sample only after
decoding it, exactly as the encoder learns it only after coding it.
"""
import numpy as np
from spikey.jit import njit

from spikey import distribution as dist
from spikey import middleout as mo
from spikey import network as net
from spikey import predictor as pred
from spikey import rangecoder as rc


@njit(cache=True)
def state_size(n_scratch, n_rec, n_aux, n_moves):
    """Float64 words of one channel's coder state: sample count, predictor (its regressor the channel's
    own ORDER past values and n_aux inputs from other channels), head scratch and memory, and the
    MiddleOut stage's RLS over n_moves refs' surprises."""
    n = pred.ORDER + n_aux
    m = n_moves
    return 1 + n + n * n + n + n + 1 + net.ERRORS + net.N_INPUTS + n_scratch + n_rec + m + m * m + m


@njit(cache=True)
def new_state(var_init, n_scratch, n_rec, n_aux, n_moves):
    """One flat array holds a channel's whole state, so a stream can be paused, stored and resumed."""
    s = np.zeros(state_size(n_scratch, n_rec, n_aux, n_moves))
    w, P, h, gain, var, errors, x, z, rec = _views(s, n_scratch, n_rec, n_aux)
    pred.reset(w, P)
    var[0] = var_init
    c, Pm, gm = _moves(s, n_moves)
    mo.reset(c, Pm)
    return s


@njit(cache=True)
def _moves(s, m):
    """The MiddleOut stage's weights, inverse correlation and gain: the state's last words."""
    a = len(s) - (m + m * m + m)
    return s[a:a + m], s[a + m:a + m + m * m].reshape((m, m)), s[a + m + m * m:]


@njit(cache=True)
def _views(s, n_scratch, n_rec, n_aux):
    n = pred.ORDER + n_aux
    a = 1
    w = s[a:a + n]
    a += n
    P = s[a:a + n * n].reshape((n, n))
    a += n * n
    h = s[a:a + n]
    a += n
    gain = s[a:a + n]
    a += n
    var = s[a:a + 1]
    a += 1
    errors = s[a:a + net.ERRORS]
    a += net.ERRORS
    x = s[a:a + net.N_INPUTS]
    a += net.N_INPUTS
    z = s[a:a + n_scratch]
    a += n_scratch
    return w, P, h, gain, var, errors, x, z, s[a:a + n_rec]


@njit(cache=True, inline="always")
def online(w, h, var, centres):
    """The online predictor's mean, kept within a unit of the table's ends, and sigma."""
    mu = pred.predict(w, h)
    lo, hi = centres[0] - 1.0, centres[len(centres) - 1] + 1.0
    if not (mu >= lo):      # also catches NaN
        mu = lo
    if mu > hi:
        mu = hi
    return mu, 1.0 / pred.scale(var)


@njit(cache=True, inline="always")
def predict(w, h, var, errors, x, z, rec, centres, w1, b1, wr, w2, b2):
    """Online prediction, then the head's Gaussian: (online mean, final mean, final 1/sigma)."""
    mu, sigma = online(w, h, var, centres)
    shift, factor = net.correction(x, z, rec, h, errors, mu, sigma, centres[0], centres[len(centres) - 1], w1, b1, wr,
                                   w2, b2)
    return mu, mu + shift * sigma, 1.0 / (sigma * factor)


@njit(cache=True, inline="always")
def observe(w, P, h, gain, var, errors, var_rate, t, y, mu):
    """Learn from sample t once it is known (coded, or decoded), the one update encoder, decoder and
    training share: y is its linearised value, mu the online prediction it was coded with."""
    observe_gained(w, P, h, gain, var, errors, var_rate, t, y, mu, pred.rls_gain(P, h, gain, pred.FORGET))


@njit(cache=True, inline="always")
def observe_gained(w, P, h, gain, var, errors, var_rate, t, y, mu, gained):
    """observe, the RLS gain already made (gained: pred.rls_gain's, before the sample was known): the
    coding loops make it before the range coder's work, so the processor does both at once (the same
    operations in the same order: the same bits)."""
    den, trace = gained
    net.push_error(errors, y - mu)
    pred.update_gained(w, P, h, gain, var, var_rate, t, y, mu, den, trace)


@njit(cache=True, _nrt=False, nogil=True)
def encode_block(idx, aux, moves, edges, centres, table, var_rate, w1, b1, wr, w2, b2, s, st, out, surprises):
    """Code idx, continuing from state s and range-coder state st; bytes go to out from st[4] on.
    aux[i] holds the other channels' inputs to the prediction of sample i (no columns: none), moves[i]
    the refs' surprises MiddleOut moves the mean by (no columns: no move); each sample's own surprise
    goes to surprises[i]."""
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    w, P, h, gain, var, errors, x, z, rec = _views(s, *net.state_sizes(b1, wr), aux.shape[1])
    c, Pm, gm = _moves(s, moves.shape[1])
    t0 = np.int64(s[0])
    for i in range(len(idx)):
        pred.set_inputs(h, aux, i, pred.ORDER)
        mu, mean, inv_sigma = predict(w, h, var, errors, x, z, rec, centres, w1, b1, wr, w2, b2)
        coded, move = mo.moved(c, moves, i, mean, inv_sigma)
        gained = pred.rls_gain(P, h, gain, pred.FORGET)
        k = idx[i]
        lo = dist.cumulative(k, n_bins, edges, coded, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_bins, edges, coded, inv_sigma, table)
        rc.encode(st, out, lo, hi - lo, total)
        surprises[i] = mo.surprise(centres[k], coded, inv_sigma)
        mo.learn(c, Pm, gm, moves, i, centres[k], mean, inv_sigma, move)
        observe_gained(w, P, h, gain, var, errors, var_rate, t0 + i, centres[k], mu, gained)
    s[0] = t0 + len(idx)


@njit(cache=True, nogil=True)
def encode_bins(idx, aux, moves, edges, centres, table, var_init, var_rate, w1, b1, wr, w2, b2, surprises):
    s = new_state(var_init, *net.state_sizes(b1, wr), aux.shape[1], moves.shape[1])
    st = rc.encoder_new()
    out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
    encode_block(idx, aux, moves, edges, centres, table, var_rate, w1, b1, wr, w2, b2, s, st, out, surprises)
    n = rc.finish(st, out)
    return out[1:n].copy()


@njit(cache=True, _nrt=False)
def decode_block(buf, aux, moves, edges, centres, cells, table, var_rate, w1, b1, wr, w2, b2, s, st, idx,
                 surprises):
    """Decode len(idx) bin indices into idx, continuing from state s and range-decoder state st."""
    n_bins = len(centres)
    total = n_bins + dist.CDF_ONE
    w, P, h, gain, var, errors, x, z, rec = _views(s, *net.state_sizes(b1, wr), aux.shape[1])
    c, Pm, gm = _moves(s, moves.shape[1])
    t0 = np.int64(s[0])
    for i in range(len(idx)):
        pred.set_inputs(h, aux, i, pred.ORDER)
        mu, mean, inv_sigma = predict(w, h, var, errors, x, z, rec, centres, w1, b1, wr, w2, b2)
        coded, move = mo.moved(c, moves, i, mean, inv_sigma)
        gained = pred.rls_gain(P, h, gain, pred.FORGET)
        target = rc.decode_target(st, total)
        if target < 0:
            rc.mark_undecodable(idx, i)
            break
        k, lo, hi = dist.find_bin(target, n_bins, edges, coded, inv_sigma, table, cells)
        rc.decode_consume(st, buf, lo, hi - lo)
        surprises[i] = mo.surprise(centres[k], coded, inv_sigma)
        mo.learn(c, Pm, gm, moves, i, centres[k], mean, inv_sigma, move)
        observe_gained(w, P, h, gain, var, errors, var_rate, t0 + i, centres[k], mu, gained)
        idx[i] = k
    s[0] = t0 + len(idx)


@njit(cache=True, nogil=True)
def decode_bins(buf, n_samples, aux, moves, edges, centres, cells, table, var_init, var_rate, w1, b1, wr, w2, b2,
                surprises):
    s = new_state(var_init, *net.state_sizes(b1, wr), aux.shape[1], moves.shape[1])
    idx = np.empty(n_samples, dtype=np.int32)
    decode_block(buf, aux, moves, edges, centres, cells, table, var_rate, w1, b1, wr, w2, b2, s, rc.decoder_new(buf),
                 idx, surprises)
    return idx
