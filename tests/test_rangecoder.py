import numpy as np
import pytest

from spikey import rangecoder as rc


def roundtrip(symbols, cum):
    total = int(cum[-1])
    out = np.zeros(8 * len(symbols) + 16, dtype=np.uint8)
    st = rc.encoder_new()
    for s in symbols:
        rc.encode(st, out, cum[s], cum[s + 1] - cum[s], total)
    n = rc.finish(st, out)
    buf = out[1:n].copy()
    st = rc.decoder_new(buf)
    back = []
    for _ in symbols:
        target = rc.decode_target(st, total)
        s = int(np.searchsorted(cum, target, side="right") - 1)
        back.append(s)
        rc.decode_consume(st, buf, cum[s], cum[s + 1] - cum[s])
    return back, buf


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("total_bits", [8, 20, 30])
def test_round_trip_skewed_tables(seed, total_bits):
    rng = np.random.default_rng(seed)
    freqs = np.maximum(1, (rng.pareto(0.7, 300) * 1000).astype(np.int64))
    freqs = np.maximum(1, freqs * (1 << total_bits) // freqs.sum())
    cum = np.concatenate([[0], np.cumsum(freqs)])
    symbols = rng.choice(len(freqs), 3000, p=freqs / freqs.sum())
    symbols[::97] = np.argmin(freqs)            # the rarest symbol too
    back, _ = roundtrip(symbols, cum)
    assert back == list(symbols)


def test_cost_is_close_to_information():
    rng = np.random.default_rng(1)
    freqs = np.array([1 << 29, 1 << 28, 1 << 28], dtype=np.int64)
    cum = np.concatenate([[0], np.cumsum(freqs)])
    symbols = rng.choice(3, 20000, p=freqs / freqs.sum())
    back, buf = roundtrip(symbols, cum)
    assert back == list(symbols)
    information = -np.log2(freqs[symbols] / freqs.sum()).sum() / 8
    assert information <= len(buf) + 1 <= information * 1.001 + 8


def test_long_carry_chains():
    cum = np.array([0, 1, 1 << 30], dtype=np.int64)      # symbol 1 costs almost nothing
    symbols = [1] * 5000 + [0] + [1] * 5000
    back, _ = roundtrip(symbols, cum)
    assert back == symbols
