import io
import itertools

import numpy as np
import pytest

from conftest import SAMPLES, as_version_2, channels_of, chunk, fresh_python, opened, wav
from spikey import SpikeyError, codec, codesets, profiles, stream
from spikey.model import NO_HEAD


def codings(encoded, block=0):
    return [c.code_set.coding for c in channels_of(encoded, block)]


def npy(x) -> bytes:
    out = io.BytesIO()
    np.save(out, x)
    return out.getvalue()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name[:8])
def test_embedded_recordings_round_trip_and_compress(path):
    raw = path.read_bytes()
    encoded = codec.encode(raw)
    assert codec.decode(encoded) == raw
    assert len(raw) / len(encoded) > 2.5
    assert codings(encoded) == [codesets.ADC]


def test_edge_lengths_and_values(adc_signal):
    rng = np.random.default_rng(0)
    cases = {
        "empty": [], "one": [5], "one bin": adc_signal(1),
        "silence": np.zeros(5000), "rail high": np.full(3000, 32767), "rail low": np.full(3000, -32768),
        "rails alternating": np.tile([32767, -32768], 500),
        "noise": rng.integers(-32768, 32768, 5000),
        "adc walk": adc_signal(20000),
    }
    for name, samples in cases.items():
        raw = wav(np.asarray(samples))
        assert codec.decode(codec.encode(raw)) == raw, name


def test_off_grid_samples_are_exceptions(adc_signal):
    x = adc_signal(10000)
    x[[0, 17, 9999]] = [1, -7, 12345]
    raw = wav(x)
    encoded = codec.encode(raw)
    [c] = channels_of(encoded)
    assert c.code_set.coding == codesets.ADC and [p for p, _ in c.exceptions] == [0, 17, 9999]
    assert codec.decode(encoded) == raw


def test_code_sets_are_chosen_by_content():
    rng = np.random.default_rng(1)
    smooth = (3000 * np.sin(np.arange(20000) / 50) + rng.normal(0, 20, 20000)).astype(np.int16)
    gain = (smooth // 40 * 12 + 3).astype(np.int16)        # every value 3 + 12k
    sparse = np.int16([-900, -20, 0, 7, 3000])[rng.integers(0, 5, 5000)]
    sparse_offset = np.int16([-901, -21, -1, 7, 2999])[rng.integers(0, 5, 5000)]     # 3 + 4k: a step and an offset
    noise = rng.integers(-32768, 32768, 3000).astype(np.int16)
    encoded = codec.encode_samples(np.stack([smooth, gain], axis=1))
    [a, b] = channels_of(encoded)
    assert a.code_set.coding == codesets.LATTICE and a.code_set.step == 1
    assert (b.code_set.coding, b.code_set.offset, b.code_set.step) == (codesets.LATTICE, 3, 12)
    assert codings(codec.encode_samples(sparse)) == [codesets.VALUE_SET]
    [c] = channels_of(codec.encode_samples(sparse_offset))
    assert c.code_set.coding == codesets.VALUE_SET and c.code_set.step == 4
    assert codings(codec.encode_samples(noise)) == [codesets.VERBATIM]
    for x in (smooth, gain, sparse, sparse_offset, noise):
        assert np.array_equal(codec.decode_samples(codec.encode_samples(x)), x)


def test_a_lattice_costs_what_its_bins_cost():
    """x*12 + 3 codes in as many bytes as x: the gain is free."""
    rng = np.random.default_rng(2)
    x = np.cumsum(rng.integers(-3, 4, 30000)).astype(np.int16) + 200
    assert abs(len(codec.encode_samples(x * 12 + 3)) - len(codec.encode_samples(x))) < 40


def test_generic_container_keeps_any_other_file():
    for raw in [wav(b"\0" * 64, fmt=(1, 2, 24)), wav(b"\0" * 48, fmt=(3, 2, 32)), npy(np.arange(9.0))]:
        encoded = codec.encode(raw)
        assert opened(encoded).header.container == stream.GENERIC
        assert codec.decode(encoded) == raw


@pytest.mark.parametrize("channels", [1, 2, 5])
def test_multichannel_wav_round_trips_with_a_state_per_channel(adc_signal, channels):
    x = np.stack([adc_signal(7000, seed=c) for c in range(channels)], axis=1)
    raw = wav(x.ravel(), fmt=(1, channels, 16))
    encoded = codec.encode(raw)
    assert codec.decode(encoded) == raw
    assert codings(encoded) == [codesets.ADC] * channels
    alone = [len(codec.encode(wav(x[:, c]))) for c in range(channels)]
    assert len(encoded) <= sum(alone)            # each channel as good as coded alone, one header


@pytest.mark.parametrize("layout", ["C", "F", "1-D"])
def test_npy_round_trips_in_its_own_order(layout, adc_signal):
    x = np.stack([adc_signal(3000, seed=c) for c in range(3)], axis=1)
    x = {"C": x, "F": np.asfortranarray(x), "1-D": x[:, 0]}[layout]
    raw = npy(x)
    assert codec.decode(codec.encode(raw)) == raw


def test_raw_int16_needs_its_channel_count_and_keeps_a_partial_frame(adc_signal):
    raw = adc_signal(3001).tobytes() + b"\x07"
    with pytest.raises(SpikeyError, match="channel count"):
        codec.encode(raw)
    encoded = codec.encode(raw, channels=3, rate=30000, extension=".dat")
    h = opened(encoded).header
    assert (h.container, h.channels, h.frames, h.rate, h.extension) == (stream.RAW, 3, 1000, 30000, ".dat")
    assert codec.decode(encoded) == raw


def test_blocks_are_independent_and_slices_read_only_their_blocks(adc_signal, monkeypatch):
    monkeypatch.setattr(codec, "MAX_BLOCK_FRAMES", 1 << 12)
    x = np.stack([adc_signal(10000, seed=3), adc_signal(10000, seed=4)], axis=1)
    encoded = codec.encode_samples(x)
    s = opened(encoded)
    assert s.header.n_blocks == 3 and s.header.block_frames == 4096
    read, block_bytes = [], codec.Opened.block_bytes
    monkeypatch.setattr(codec.Opened, "block_bytes", lambda self, i: read.append(i) or block_bytes(self, i))
    for start, stop, blocks in [(0, 10000, [0, 1, 2]), (5000, 6000, [1]), (4095, 4097, [0, 1]), (9999, 10000, [2]),
                                (3, 3, [])]:
        read.clear()
        assert np.array_equal(codec.decode_samples(encoded, start, stop), x[start:stop])
        assert read == blocks


def test_samples_api_keeps_shape_and_memory_order():
    x = np.arange(-3000, 3000, dtype=np.int16).reshape(2000, 3)
    for view in (x, np.asfortranarray(x), x[::2], x[:, 1], x[:, 1:2]):
        y = codec.decode_samples(codec.encode_samples(view, rate=30000))
        assert y.flags.c_contiguous and y.shape == view.shape and np.array_equal(y, view)
    out = np.empty((2000, 3), dtype=np.int16)
    assert codec.decode_samples(codec.encode_samples(x), out=out) is out and np.array_equal(out, x)
    for bad in (x.astype(np.int32), x.reshape(1, 2000, 3)):
        with pytest.raises(SpikeyError, match="int16"):
            codec.encode_samples(bad)


def test_uint16_samples_come_back_as_uint16(adc_signal):
    """12-bit unsigned codes as uint16: the top bit flipped, they code like the int16 they become."""
    x = (adc_signal(6000) // 16 + 2048).astype(np.uint16).reshape(3000, 2)
    encoded = codec.encode_samples(x)
    y = codec.decode_samples(encoded)
    assert y.dtype == np.uint16 and np.array_equal(y, x)
    assert np.array_equal(codec.decode_samples(encoded, 10, 20), x[10:20])
    assert len(encoded) < 0.5 * x.nbytes


@pytest.mark.parametrize("shape", [(3000, 2), (6000,)], ids=["2-D", "1-D"])
def test_a_uint16_samples_stream_decodes_to_a_uint16_npy(adc_signal, shape):
    """./decode and `spikey decode` write a samples stream as .npy: of the array encoded, dtype included
    (before: int16 holding the values minus 32768)."""
    x = (adc_signal(6000) // 16 + 2048).astype(np.uint16).reshape(shape)
    x[:2] = [0, 65535]
    encoded = codec.encode_samples(x)
    assert codec.decode(encoded) == npy(x)
    assert codec.decode(encoded, start=10, stop=20) == npy(x[10:20])


def test_slices_of_files_are_plain_containers(adc_signal):
    x = np.stack([adc_signal(5000, seed=c) for c in range(2)], axis=1)
    raw = wav(x.ravel(), fmt=(1, 2, 16), after=chunk(b"LIST", b"INFOx"))
    part = codec.decode(codec.encode(raw), start=100, stop=300)
    assert part == wav(x[100:300].ravel(), fmt=(1, 2, 16))
    with pytest.raises(SpikeyError, match="slice"):
        codec.decode(codec.encode(raw), start=300, stop=100)


@pytest.mark.parametrize("level", ["default", "fast"])
def test_decoding_without_the_jit_gives_the_same_bytes(tmp_path, level):
    """The interpreted kernels are the specification; the compiled ones must agree bit for bit."""
    raw = SAMPLES[0].read_bytes()[:44 + 2 * 1500]
    raw = raw[:4] + (len(raw) - 8).to_bytes(4, "little") + raw[8:40] + (len(raw) - 44).to_bytes(4, "little") + raw[44:]
    encoded = codec.encode(raw, level=level)
    (tmp_path / "in.bw").write_bytes(encoded)
    script = ("import sys; from spikey import codec; "
              "open(sys.argv[2], 'wb').write(codec.decode(open(sys.argv[1], 'rb').read())); "
              f"open(sys.argv[3], 'wb').write(codec.encode(open(sys.argv[2], 'rb').read(), level='{level}'))")
    fresh_python(script, tmp_path / "in.bw", tmp_path / "out.wav", tmp_path / "re.bw", NUMBA_DISABLE_JIT="1",
                 SPIKEY_KERNELS="jit")
    assert (tmp_path / "out.wav").read_bytes() == raw
    assert (tmp_path / "re.bw").read_bytes() == encoded


def test_any_number_of_workers_gives_the_same_bytes(adc_signal, monkeypatch):
    monkeypatch.setattr(codec, "MAX_BLOCK_FRAMES", 1 << 12)
    x = np.stack([adc_signal(20000, seed=c) for c in range(3)], axis=1)
    raw = npy(x)
    streams, files = [], []
    for workers in (1, 2, 3):
        out = io.BytesIO()
        codec.encode_file(io.BytesIO(raw), len(raw), out, workers=workers)
        streams.append(out.getvalue())
        back = io.BytesIO()
        codec.decode_file(io.BytesIO(streams[0]), len(streams[0]), back, workers=workers)
        files.append(back.getvalue())
    assert streams[0] == streams[1] == streams[2] and opened(streams[0]).header.n_blocks == 5
    assert files[0] == files[1] == files[2] == raw
    assert codec.encode_samples(x, workers=3) == codec.encode_samples(x)
    assert np.array_equal(codec.decode_samples(streams[0], workers=3), x)
    assert np.array_equal(codec.decode_samples(streams[0], 3000, 13000, workers=2), x[3000:13000])


def test_a_failed_block_ends_the_work_with_its_error_having_read_at_most_workers_plus_one():
    import itertools
    started = []

    def work(i):
        started.append(i)
        if i == 0:
            raise SpikeyError("block 0 is bad")
        return i

    with pytest.raises(SpikeyError, match="block 0"):
        list(codec.in_order(work, itertools.count(), 2))       # endless blocks: only the error ends it
    assert 0 in started and max(started) <= 2      # blocks 1 and 2 may or may not have started by then


@pytest.mark.parametrize("level", ["default", "fast", "max"])
def test_threads_coding_side_by_side_give_what_one_thread_gives(adc_signal, level):
    """zarr's pool and Dask's threads call the codec at once: nothing may be shared that one call changes."""
    from concurrent.futures import ThreadPoolExecutor
    xs = [np.stack([adc_signal(6000, seed=4 * k + c) for c in range(2)], axis=1) for k in range(6)]
    alone = [codec.encode_samples(x, level=level) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda x: codec.encode_samples(x, level=level), xs))
        back = list(pool.map(codec.decode_samples, together))
    assert together == alone and all(np.array_equal(y, x) for x, y in zip(xs, back, strict=True))


def test_a_whole_rate_given_as_a_float_is_taken_and_a_fractional_one_refused():
    """SpikeInterface's get_sampling_frequency() gives floats: 40000.0 crashed after all the coding."""
    x = np.zeros((100, 2), np.int16)
    for rate in (40000.0, np.float64(30000.0), np.int32(160)):
        data = codec.encode_samples(x, rate=rate)
        assert opened(data).header.rate == int(rate) and np.array_equal(codec.decode_samples(data), x)
    assert opened(codec.encode(b"\1\2" * 10, channels=1, rate=19531.0)).header.rate == 19531
    for rate, message in ((40000.5, "whole number"), ("40000", "a number"), (True, "a number")):
        with pytest.raises(SpikeyError, match=message):
            codec.encode_samples(x, rate=rate)


def test_a_rate_given_for_an_npy_is_kept_and_one_a_wav_contradicts_is_refused(tmp_path, recording):
    x = np.arange(-300, 300, dtype=np.int16).reshape(-1, 2)
    np.save(tmp_path / "x.npy", x)
    raw = (tmp_path / "x.npy").read_bytes()
    data = codec.encode(raw, rate=30000)
    assert opened(data).header.rate == 30000 and codec.decode(data) == raw
    wav_rate = opened(codec.encode(recording)).header.rate
    assert opened(codec.encode(recording, rate=wav_rate)).header.rate == wav_rate
    with pytest.raises(SpikeyError, match="disagrees with the WAV's own rate"):
        codec.encode(recording, rate=wav_rate + 1)


@pytest.mark.parametrize("rate", [-1, 1 << 32])
def test_a_rate_no_stream_can_hold_is_refused(rate):
    """The encoder refuses what a decoder would refuse (before: -1 never ended, 2^32 made a stream the
    decoder refused)."""
    with pytest.raises(SpikeyError, match=f"rate must be 0 to 4294967295, not {rate}"):
        codec.encode(b"\1\2" * 10, channels=1, rate=rate)
    with pytest.raises(SpikeyError, match=f"rate must be 0 to 4294967295, not {rate}"):
        codec.encode_samples(np.zeros(10, np.int16), rate=rate)
    assert opened(codec.encode(b"\1\2" * 10, channels=1, rate=(1 << 32) - 1)).header.rate == (1 << 32) - 1


def test_the_encoder_reads_back_its_header_as_a_decoder_before_writing_a_block(monkeypatch):
    """Whatever field the options missed, the stream is refused before any block is written."""
    monkeypatch.setattr(stream, "read_header", lambda data: (_ for _ in ()).throw(SpikeyError("corrupt stream: x")))
    monkeypatch.setattr(codec, "encode_block", lambda *a, **k: pytest.fail("a block was coded"))
    with pytest.raises(SpikeyError, match="^this input cannot be stored in a stream: x$"):
        codec.encode(b"\1\2" * 10, channels=1)


def _with_blocks(encoded: bytes, order: list, other: bytes = b"") -> bytes:
    """The stream with its blocks in another order (some repeated; numbers past its own are the other
    stream's), the index and trailer made to fit: every checksum the stream has is valid, but none is
    of the block's place."""
    s, t = opened(encoded), opened(other or encoded)
    blocks = [s.block_bytes(i) if i < s.header.n_blocks else t.block_bytes(i - s.header.n_blocks) for i in order]
    header = encoded[:s.offsets[0]]
    index = stream.write_index([len(b) for b in blocks])
    return header + b"".join(blocks) + index + stream.write_trailer(header, index, s.file_crc)


@pytest.fixture
def blocks_of_400(adc_signal, monkeypatch):
    """A 2-channel recording of 4 blocks, as a WAV stream and a samples stream: (x, wav stream, samples stream)."""
    monkeypatch.setattr(codec, "MAX_BLOCK_FRAMES", 400)
    x = np.stack([adc_signal(1500, seed=1), adc_signal(1500, seed=2)], axis=1)
    return x, codec.encode(wav(x.ravel(), fmt=(1, 2, 16))), codec.encode_samples(x)


@pytest.mark.parametrize("order", [[0, 2, 1, 3], [0, 0, 2, 3], [1, 0, 2, 3], [0, 5, 2, 3]],
                         ids=["swapped", "repeated", "first", "the other stream's, in the same place"])
def test_a_block_out_of_its_place_is_refused_on_every_path(blocks_of_400, order):
    """Each block's samples CRC is chained (format 3): before, a slice, or the samples of a WAV stream,
    came back as the moved block's frames, exit 0."""
    _, in_wav, samples = blocks_of_400
    for encoded, other in ((in_wav, samples), (samples, in_wav)):
        moved = _with_blocks(encoded, order, other)
        bad = next(i for i, j in enumerate(order) if i != j)
        for decode, (start, stop) in itertools.product((codec.decode_samples, codec.decode), [(None, None),
                                                                                              (350, 1250)]):
            with pytest.raises(SpikeyError, match=f"block {bad} decodes to samples that fail its checksum"):
                decode(moved, start=start, stop=stop)


def test_a_version_2_stream_still_decodes_on_every_path(blocks_of_400):
    x, in_wav, samples = blocks_of_400
    old = as_version_2(in_wav)
    assert old[4] == 2 and old != in_wav and codec.decode(old) == wav(x.ravel(), fmt=(1, 2, 16))
    assert codec.decode(old, start=350, stop=1250) == wav(x[350:1250].ravel(), fmt=(1, 2, 16))
    assert np.array_equal(codec.decode_samples(as_version_2(samples)), x)
    assert np.array_equal(codec.decode_samples(as_version_2(samples), 350, 1250), x[350:1250])


def test_a_file_with_more_around_its_samples_than_a_stream_holds_is_stored_whole(monkeypatch):
    """The encoder never writes a field a decoder refuses: such a WAV or .npy goes to the generic container."""
    monkeypatch.setattr(stream, "MAX_FIELD", 100)
    for raw in (wav(np.arange(50), before=chunk(b"LIST", b"x" * 100)), wav(np.arange(50), after=b"y" * 101),
                npy(np.arange(50, dtype=np.int16)) + b"z" * 101):
        encoded = codec.encode(raw)
        assert opened(encoded).header.container == stream.GENERIC and codec.decode(encoded) == raw
    assert opened(codec.encode(wav(np.arange(50), after=b"y" * 100))).header.container == stream.WAV


def test_heads_are_tried_where_they_were_fitted():
    """The learned heads were fitted to the challenge ADC: off it a record may go without, and tries the
    first file's only; on it max's LSTM is tried by the RLS loops only; the fast loops have none."""
    default, fast, top = (profiles.PROFILES[profiles.index(n)] for n in ("default", "fast", "max"))
    none = NO_HEAD
    for level, loop in ((default, profiles.RLS), (default, profiles.C8C), (top, profiles.C16), (top, profiles.C16X2C)):
        assert codec._heads(level, True, loop) == [0] and codec._heads(level, False, loop) == [0, none]
    assert codec._heads(top, True, profiles.MIDDLEOUT) == [0, 1]
    assert codec._heads(top, False, profiles.MIDDLEOUT) == [0, none]
    assert all(codec._heads(fast, adc, loop) == [none] for adc in (True, False) for loop in fast.loops)


def test_max_only_deepens_the_choice_of_default():
    """Max's own search tries what it adds to default's choice: the deeper form of its loop, all refs, the
    LSTM (on the loop that takes it, whatever default chose); after a fast loop, every loop and head it has,
    with those refs."""
    default, top = (profiles.PROFILES[profiles.index(n)] for n in ("default", "max"))
    adc = codesets.CodeSet(codesets.ADC)
    sets = [(adc, None, None, None)]
    options = list(codec._options(sets, None, top, 6))
    heads_below = {o[4] for o in codec._options(sets, None, default, 6)}

    def deeper(head, uses, loop):
        return {(o[4], o[5], o[6]) for o in codec._deeper(options, (adc, None, None, None, head, uses, loop),
                                                            heads_below)}
    lstm = {(1, u, profiles.MIDDLEOUT) for u in (1, 6)}
    assert deeper(0, 1, profiles.C8X2) == {(0, 1, profiles.C16X2), (0, 6, profiles.C16X2)} | lstm
    assert deeper(0, 0, profiles.RLS) == {(h, u, profiles.MIDDLEOUT) for h in (0, 1) for u in (0, 6)}
    assert deeper(NO_HEAD, 1, profiles.LMS_STAGE) == {(o[4], o[5], o[6]) for o in options if o[5] in (1, 6)}
    assert len(options) > len({(o[4], o[5], o[6]) for o in options if o[5] in (1, 6)})


def test_the_refs_surprise_is_the_mean_of_their_peaks_around_each_sample():
    a, b = np.array([0.0, -3.0, 0.0, 0.0, 1.0]), np.array([2.0, 0.0, 0.0, 0.0, -8.0])
    peaks = codec.ref_peaks([a, None, b], 5)
    assert np.array_equal(peaks[:, 0], [3, 3, 3, 1, 1]) and not peaks[:, 1].any()
    assert np.array_equal(peaks[:, 2], [2, 2, 0, 8, 8])
    assert np.array_equal(codec.burst(peaks[:, :1]), peaks[:, 0])
    assert np.array_equal(codec.burst(peaks), (peaks[:, 0] + peaks[:, 2]) / 3)


def test_middleout_reads_no_cascades_surprises():
    """A cascade's surprises are for the refs' context only: MiddleOut's moves, as streams before it read them,
    come from the RLS loops' (docs/format.md section 4.3 step 5)."""
    s = np.ones(4)
    assert codec.moving(s, profiles.RLS) is s and codec.moving(s, profiles.MIDDLEOUT) is s
    assert all(codec.moving(s, loop) is None for loop in profiles.CASCADES)
