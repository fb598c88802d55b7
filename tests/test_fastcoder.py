"""The fast level's payload as docs/format.md specifies it (sections 4.4, 4.5 and 4.7), written again
from the text in plain Python integers: it must decode spikey's fast payloads, links included, to the
bins spikey decodes. Nothing of spikey/fastcoder.py is used, so the spec and the code check each other."""
import numpy as np
import pytest

from conftest import channels_of, common_mode, opened
from spikey import codec, codesets
from spikey.distribution import GAUSSIAN_CDF
from spikey.model import default

T = [int(v) for v in GAUSSIAN_CDF]          # section 4.4's table


def _sign(v):
    return (v > 0) - (v < 0)


class RangeDecoder:
    """Section 4.5: 56-bit range; the payload lacks the encoder's first byte and reads past its end as 0."""

    def __init__(self, payload: bytes):
        self.data, self.pos, self.range, self.code = payload, 0, 2**56 - 1, 0
        for _ in range(7):
            self.code = (self.code << 8) | self._byte()

    def _byte(self):
        self.pos += 1
        return self.data[self.pos - 1] if self.pos <= len(self.data) else 0

    def target(self, total_bits):
        self.r = self.range >> total_bits
        return self.code // self.r

    def consume(self, cum, freq):
        self.code -= self.r * cum
        self.range = self.r * freq
        while self.range < 2**48:
            self.code = (self.code << 8) | self._byte()
            self.range <<= 8


def cumulative(k, E, mean, inv):
    """C(k) of section 4.7, step 3."""
    K = len(E) - 1
    if k <= 0:
        return 0
    if k >= K:
        return 2**31
    g = min(max(E[k] - mean, -2**29), 2**29)
    q = ((g * inv) >> 16) + 8 * 2**24
    if q <= 0:
        phi = 0
    elif q >= 4096 * 2**16:
        phi = 2**30
    else:
        i, f = q >> 16, q & 0xFFFF
        phi = T[i] + (((T[i + 1] - T[i]) * f) >> 16)
    return k + ((phi * (2**31 - K)) >> 30)


def decode_fast(payload: bytes, n: int, E: list, refs: list) -> list:
    """Section 4.7: the bin of each of n samples; E the fixed-point edges, refs each ref's F."""
    K = len(E) - 1
    w, d, wr, dr = [0] * 8, [0] * 8, [0] * (2 * len(refs)), [0] * (2 * len(refs))
    last, mae = 0, 8 * 2**12
    rc = RangeDecoder(payload)
    bins = []
    for t in range(n):
        for j, F in enumerate(refs):
            dr[2 * j] = (F[t + 1] if t + 1 < n else F[t]) - F[t]
            dr[2 * j + 1] = F[t] - (F[t - 1] if t > 0 else F[t])
        total = sum(a * b for a, b in zip(wr, dr, strict=True)) + sum(a * b for a, b in zip(w, d, strict=True))
        mean = min(max(last + (total >> 12), E[0] - 2**12), E[K] + 2**12)
        s = max(mae + (mae >> 2), 2**10)
        inv = 2**40 // s

        target = rc.target(31)
        lo, hi = 0, K                        # the one k with C(k) <= target < C(k + 1), by bisection
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if cumulative(mid, E, mean, inv) <= target else (lo, mid)
        k = lo
        cum = cumulative(k, E, mean, inv)
        rc.consume(cum, cumulative(k + 1, E, mean, inv) - cum)
        y = (E[k] + E[k + 1]) >> 1
        err = y - mean
        wr = [v + _sign(err) * _sign(x) * 2**4 for v, x in zip(wr, dr, strict=True)]
        w = [v + _sign(err) * _sign(x) * 2**2 for v, x in zip(w, d, strict=True)]
        d = [y - last] + d[:7]
        mae += (abs(err) - mae) >> 7
        last = y
        bins.append(k)
    return bins


@pytest.mark.parametrize("x", [common_mode(1500, 3, seed=2), default().adc.values[
    np.clip(512 + np.cumsum(np.random.default_rng(5).integers(-9, 10, 1500)), 0, 1023)].astype(np.int16)[:, None]],
    ids=["linked channels on lattices", "the ADC table"])
def test_the_spec_decodes_spikeys_fast_payloads(x):
    data = codec.encode_samples(x, level="fast")
    h = opened(data).header
    records = channels_of(data)
    assert any(r.linked for r in records) == (x.shape[1] > 1)
    linear = []
    for c, record in enumerate(records):
        assert record.code_set.coding != codesets.VERBATIM
        table = record.code_set.table(default().adc)
        E = [round(e * 2**12) for e in table.edges]
        refs = [[int(np.floor(v * 2**12)) for v in linear[j]] for j in h.refs[c]] if record.linked else []
        bins = decode_fast(record.payload, len(x), E, refs)
        assert bins == table.indices(x[:, c])[0].tolist()
        linear.append(table.centres[bins])
