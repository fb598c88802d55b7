"""The fast level's payloads as docs/format.md specifies them (sections 4.4, 4.5, 4.7 and its stage),
written again from the text in plain Python integers: it must decode spikey's fast payloads, links and
the stage included, to the bins spikey decodes. Nothing of spikey/fastcoder.py or fastcascade.py is used,
so the spec and the code check each other."""
import numpy as np
import pytest

from conftest import channels_of, common_mode, heavy_tailed, opened, switching_tone
from spikey import codec, codesets, profiles
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


def decode_fast(payload: bytes, n: int, E: list, refs: list, loop: int) -> list:
    """Section 4.7 (loop 1, or with the stage loops 7 and 12): the bin of each of n samples; E the
    fixed-point edges, refs each ref's F."""
    stage = loop in (7, 12)
    K = len(E) - 1
    w, d, wr, dr = [0] * 8, [0] * 8, [0] * (2 * len(refs)), [0] * (2 * len(refs))
    v, r = [0] * 16, [0] * 16
    last, mae = 0, 8 * 2**12
    rc = RangeDecoder(payload)
    bins = []
    for t in range(n):
        for j, F in enumerate(refs):
            dr[2 * j] = (F[t + 1] if t + 1 < n else F[t]) - F[t]
            dr[2 * j + 1] = F[t] - (F[t - 1] if t > 0 else F[t])
        total = sum(a * b for a, b in zip(wr, dr, strict=True)) + sum(a * b for a, b in zip(w, d, strict=True))
        mean1 = min(max(last + (total >> 12), E[0] - 2**12), E[K] + 2**12)
        stage_sum = sum(a * b for a, b in zip(v, r, strict=True)) >> 10
        mean = min(max(mean1 + stage_sum, E[0] - 2**12), E[K] + 2**12) if stage else mean1
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
        err = y - mean1
        wr = [a + _sign(err) * _sign(x) * 2**4 for a, x in zip(wr, dr, strict=True)]
        w = [a + _sign(err) * _sign(x) * 2**2 for a, x in zip(w, d, strict=True)]
        d = [y - last] + d[:7]
        if stage:
            g = (((y - mean) >> 6) << (24 if loop == 12 else 22)) // (1 + sum(x * x for x in r))
            v = [min(max(a + ((g * x) >> 12), -2**24), 2**24) for a, x in zip(v, r, strict=True)]
            r = [(y - mean1) >> 6] + r[:15]
            mae += (abs(y - mean) - mae) >> 5
        else:
            mae += (abs(err) - mae) >> 7
        last = y
        bins.append(k)
    return bins


@pytest.mark.parametrize("x", [common_mode(1500, 3, seed=2), default().adc.values[
    np.clip(512 + np.cumsum(np.random.default_rng(5).integers(-9, 10, 1500)), 0, 1023)].astype(np.int16)[:, None],
    heavy_tailed(3000), switching_tone(3000)], ids=["linked channels on lattices", "the ADC table", "bursts", "a tone"])
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
        used = h.refs[c][:record.uses] if record.linked else []
        refs = [[int(np.floor(v * 2**12)) for v in linear[j]] for j in used]
        assert record.loop in (None, profiles.LMS_STAGE, profiles.LMS_QUICK_STAGE)
        bins = decode_fast(record.payload, len(x), E, refs, record.loop or profiles.LMS)
        assert bins == table.indices(x[:, c])[0].tolist()
        linear.append(table.centres[bins])


def test_the_cases_above_reach_the_stages():
    """The stages' spec is checked only where the encoder chose them: the stage in the linked channels'
    case, the quick stage in the tone's, whose frequency jumps faster than the stage relearns."""
    records = channels_of(codec.encode_samples(common_mode(1500, 3, seed=2), level="fast"))
    assert any(r.loop == profiles.LMS_STAGE for r in records)
    assert [r.loop for r in channels_of(codec.encode_samples(switching_tone(3000), level="fast"))] == \
        [profiles.LMS_QUICK_STAGE]
