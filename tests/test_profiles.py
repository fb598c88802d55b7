"""Compression levels: every level round-trips, the stream names its level, the decoder needs no hint."""
import dataclasses

import numpy as np
import pytest

from conftest import SAMPLES, bursts, channels_of, common_mode, heavy_tailed, opened
from spikey import SpikeyError, codec, profiles, stream
from spikey.model import NO_HEAD


@pytest.mark.parametrize("level", profiles.NAMES)
def test_every_level_round_trips_files_and_samples(level, adc_signal):
    raw = SAMPLES[0].read_bytes()
    encoded = codec.encode(raw, level=level)
    assert codec.decode(encoded) == raw and opened(encoded).header.level == profiles.index(level)
    a = adc_signal(6000, seed=1)
    x = np.stack([a, a // 4 * 4 + 3, np.arange(6000) % 700], axis=1).astype(np.int16)
    data = codec.encode_samples(x, level=level)
    assert np.array_equal(codec.decode_samples(data), x)
    assert np.array_equal(codec.decode_samples(data, 10, 20), x[10:20])


def test_fast_uses_no_head_and_links_channels_that_share_a_signal():
    x = common_mode(channels=3)
    data = codec.encode_samples(x, level="fast")
    records = channels_of(data)
    assert all(c.head == NO_HEAD for c in records)
    assert opened(data).header.refs[1] == [0] and records[1].linked and records[2].linked
    alone = sum(len(codec.encode_samples(np.ascontiguousarray(x[:, c]), level="fast")) for c in range(3))
    assert len(data) < 0.9 * alone
    assert np.array_equal(codec.decode_samples(data), x)
    assert np.array_equal(codec.decode_samples(data, 5000, 5100), x[5000:5100])


def test_the_level_table_is_one_row_per_level():
    assert profiles.NAMES == ("default", "fast", "max")
    assert [p.loops[0] for p in profiles.PROFILES] == [profiles.RLS, profiles.LMS, profiles.MIDDLEOUT]
    with pytest.raises(SpikeyError, match="unknown level"):
        codec.encode_samples(np.zeros(10, np.int16), level="turbo")


def test_a_level_this_decoder_does_not_know_is_refused():
    h = stream.Header(b"abcd", len(profiles.PROFILES), stream.ARRAY, stream.CANONICAL, 1, 10, 0, 10)
    with pytest.raises(SpikeyError, match="not known"):
        stream.read_header(stream.write_header(h))


def test_a_fast_channel_with_a_head_is_refused(adc_signal):
    data = codec.encode_samples(adc_signal(3000), level="fast")
    s = opened(data)
    [record], samples_crc, _ = stream.read_block(s.block_bytes(0), s.header, 3000)
    record.head = 0
    block = stream.write_block([record], samples_crc)
    with pytest.raises(SpikeyError, match="fast loop"):
        codec.decode_block(block, s.header, 0, s.chain(0), codec.models.default())


def test_no_level_loses_to_a_simpler_one(adc_signal):
    """Per channel and block, a level's record is at most the simpler level's and a loop byte: default
    tries fast's loop as fast does, max every option of default's (on the whole block), the context scale
    among them (bursts)."""
    a = adc_signal(20000, seed=2)
    for x in (heavy_tailed(), common_mode(channels=3), np.stack([a, a // 4 * 4 + 1], axis=1), bursts(20000, 2)):
        data = [codec.encode_samples(x, level=level) for level in ("fast", "default", "max")]
        assert all(np.array_equal(codec.decode_samples(d), x) for d in data)
        assert len({str(opened(d).header.refs) for d in data}) == 1     # the same links: records compare
        for simpler, level in zip(data, data[1:], strict=False):
            for s, c in zip(channels_of(simpler), channels_of(level), strict=True):
                assert len(stream.write_channel(c)) <= len(stream.write_channel(s)) + 1


@pytest.mark.parametrize("level", ["default", "max"])
def test_a_record_names_the_fast_loop_where_it_made_it(level):
    x = heavy_tailed()
    data = codec.encode_samples(x, level=level)
    records = channels_of(data)        # the first walk's heavy tails go to the warp (spikey/warp.py), the
    assert records[0].loop == profiles.C8CW and records[1].loop == profiles.LMS and records[1].linked   # second: fast
    assert records[1].head == NO_HEAD                                       # the fast loop has none
    assert np.array_equal(codec.decode_samples(data), x)
    assert np.array_equal(codec.decode_samples(data, 7000, 7100), x[7000:7100])


def test_the_greedy_search_changes_one_choice_at_a_time():
    """On options whose cost adds up over their choices (head, loop, refs used, code set), the greedy
    search finds the cheapest: a first pass tries each choice's alternatives once (1 + 1 + 2 + 2 + 1), a second
    the alternatives of the best it found not yet tried (5 more of 36), which are no better."""
    sets, heads, uses, loops = ("a", "b"), (0, NO_HEAD), (0, 1, 3), (profiles.MIDDLEOUT, profiles.C16, profiles.C16X2)
    options = [(s, None, None, None, h, u, lp) for s in sets for u in uses for lp in loops for h in heads]
    price = {"a": 5, "b": 0, 0: 3, NO_HEAD: 1, 1: 0, 3: 2, profiles.C16: 0, profiles.C16X2: 4}
    tried = []

    def cost(i):
        tried.append(i)
        s, _, _, _, h, u, lp = options[i]
        return price[s] + price[h] + price.get(u, 1) + price.get(lp, 2)
    best = codec._greedy(options, cost)
    assert options[best] == ("b", None, None, None, NO_HEAD, 1, profiles.C16)
    assert len(tried) == len(set(tried)) == 12
    assert options[tried[0]][4:] == (0, 3, profiles.MIDDLEOUT)       # the level's own loop, every ref, head 0


@pytest.mark.parametrize("margin, with_head", [(1e9, False), (-0.5, True)])
def test_a_record_takes_a_head_only_where_it_saves_the_head_margin(monkeypatch, margin, with_head):
    """Where a code set tries both (not the ADC's), the head must beat no head by head_margin: never with an
    endless margin, always where the margin favours it. The decoder reads the choice from the record."""
    level = dataclasses.replace(profiles.PROFILES[0], head_margin=margin, simpler=None)
    monkeypatch.setattr(profiles, "PROFILES", (level, *profiles.PROFILES[1:]))
    x = heavy_tailed()
    data = codec.encode_samples(x, level="default")
    assert all((c.head != NO_HEAD) == with_head for c in channels_of(data))
    assert np.array_equal(codec.decode_samples(data), x)
