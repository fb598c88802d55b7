"""Channels predicted from earlier ones: links, their inputs, and what they buy on a common mode."""
from dataclasses import replace

import numpy as np
import pytest

from conftest import channels_of, common_mode, fresh_python, opened
from spikey import SpikeyError, codec, crosschannel, profiles, stream
from spikey.model import NO_HEAD


def test_links_name_the_most_correlated_earlier_channels():
    x = common_mode()
    x[:, 2] = np.random.default_rng(5).integers(-50, 50, len(x))        # noise: linked to nothing
    refs = crosschannel.links(x, 2, 0.2)
    assert refs[0] == [] and refs[2] == []
    assert all(j < c for c, r in enumerate(refs) for j in r) and 0 in refs[1]
    assert all(len(r) <= 2 for r in refs) and len(refs[4]) == 2
    assert crosschannel.links(np.zeros((100, 3), np.int16), 4, 0.2) == [[], [], []]


def test_correlations_are_exact_whatever_the_order_of_summation():
    rng = np.random.default_rng(8)
    x = np.cumsum(rng.integers(-3000, 3000, (5000, 6)), axis=0).clip(-32768, 32767).astype(np.int16)
    x[:, 5] = np.arange(5000) * 3          # a ramp: no variance in its differences
    r = crosschannel.correlations(x)
    perm = np.array([3, 0, 5, 1, 4, 2])
    assert np.array_equal(crosschannel.correlations(x[:, perm]), r[np.ix_(perm, perm)])   # another order, same bits
    assert np.array_equal(crosschannel.correlations(x[::-1]), r)
    d = np.diff(x[:, :5].astype(np.float64), axis=0)
    assert np.allclose(r[:5, :5], np.abs(np.corrcoef(d.T)), atol=1e-12) and not r[5].any()
    with pytest.raises(ValueError, match="exactly"):
        crosschannel.correlations(np.zeros((crosschannel.EXACT_FRAMES + 1, 2), np.int16))


def test_inputs_are_a_refs_samples_around_the_instant():
    aux = crosschannel.inputs([np.arange(1.0, 6.0), -np.arange(1.0, 6.0)])
    assert aux.shape == (5, 2 * len(crosschannel.LAGS))
    assert list(aux[2]) == [4, 3, 2, -4, -3, -2] and list(aux[0, :3]) == [2, 1, 0] and list(aux[4, :3]) == [0, 5, 4]


def test_a_common_mode_is_coded_once(monkeypatch):
    x = common_mode()
    encoded = codec.encode_samples(x)
    assert np.array_equal(codec.decode_samples(encoded), x)
    assert [c.linked for c in channels_of(encoded)] == [False] + [True] * 4
    monkeypatch.setattr(profiles, "PROFILES", (replace(profiles.PROFILES[0], max_refs=0), *profiles.PROFILES[1:]))
    alone = codec.encode_samples(x)
    assert opened(alone).header.refs == [[]] * 5
    assert len(encoded) < 0.85 * len(alone)


def test_a_link_is_kept_only_where_it_pays():
    rng = np.random.default_rng(3)
    a = np.cumsum(rng.integers(-3, 4, 8000)).astype(np.int16)
    model = codec.models.default()
    _, linear, _ = codec.encode_channel(a, model)
    aux = codec.all_ref_inputs([linear], [None])
    for b, pays in ((a // 2 + rng.integers(-1, 2, 8000), True), (rng.integers(-2000, 2000, 8000), False)):
        chosen, _, _ = codec.encode_channel(b.astype(np.int16), model, aux)
        alone, _, _ = codec.encode_channel(b.astype(np.int16), model)
        assert len(stream.write_channel(chosen)) <= len(stream.write_channel(alone))
        if pays:
            assert chosen.linked and len(stream.write_channel(chosen)) < 0.8 * len(stream.write_channel(alone))


def test_other_code_sets_may_go_without_the_head():
    rng = np.random.default_rng(4)
    x = (np.cumsum(rng.normal(0, 40, 30000)) % 8000).astype(np.int16)
    heads = [c.head for c in channels_of(codec.encode_samples(x))]
    assert heads[0] in (0, NO_HEAD)
    adc = channels_of(codec.encode_samples(codec.models.default().adc.values[rng.integers(400, 600, 3000)]))
    assert adc[0].head != NO_HEAD


def test_refs_that_break_the_rules_are_refused():
    for refs in ([[], [1]], [[], [0, 0]], [[1], []]):
        h = stream.Header(b"abcd", 0, stream.ARRAY, stream.CANONICAL, 2, 10, 0, 10, refs=refs)
        with pytest.raises(SpikeyError, match="predicted from|out of range"):
            stream.read_header(stream.write_header(h))
    h = stream.Header(b"abcd", 0, stream.ARRAY, stream.CANONICAL, 2, 10, 0, 10, refs=[[], []])
    lattice = codec.codesets.CodeSet(codec.codesets.LATTICE, 0, 1, 0, 0)
    block = stream.write_block([stream.Channel(lattice, 0, [], b"", linked=True)] * 2, 0)
    with pytest.raises(SpikeyError, match="linked to no other"):
        stream.read_block(block, h, 10)


def test_links_made_a_few_rows_at_a_time_are_the_links_of_the_whole_matrix(monkeypatch):
    """The matrix in parts keeps memory off channels squared (2 frames of 16,384 channels asked for
    6 GB), and picks the same links, ties included."""
    x = common_mode(2000, 9)
    x[:, 7] = x[:, 8] = x[:, 2]                         # a tie for channel 8: the earlier channel first
    whole = crosschannel.links(x, 4, 0.2)
    monkeypatch.setattr(crosschannel, "ROWS_AT_ONCE", 2 * 9)
    assert crosschannel.links(x, 4, 0.2) == whole
    r = crosschannel.correlations(x)          # the whole matrix, sorted whole (before): the same links
    assert whole == [[int(j) for j in np.argsort(-r[c, :c], kind="stable")[:4] if r[c, j] >= 0.2] for c in range(9)]
    assert whole[8][:2] == [2, 7]


def test_16384_channels_round_trip_in_bounded_memory():
    """3 frames of 16,384 channels: the correlation matrix whole was 2 GB an array (2 frames ran out of
    6 GB); in parts of 32 MB the process peaks under 1 GB, the samples round-trip."""
    script = ("import resource, numpy as np; from spikey import codec;"
              "x = np.random.default_rng(0).integers(-5, 5, (3, 16384)).astype(np.int16);"
              "assert np.array_equal(codec.decode_samples(codec.encode_samples(x)), x);"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    assert int(fresh_python(script)) < 1 << 20          # KiB
