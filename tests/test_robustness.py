"""Hostile inputs: property-based round trips, decoder fuzzing, signals and unwritable outputs.

docs/robustness.md lists every case with its outcome; bench/fuzz.py is the long decoder fuzz run.
"""
import os
import resource
import signal
import stat
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import ROOT, SAMPLES, channels_of, chunk, default_model, opened, wav
from spikey import SpikeyError, cli, codec, codesets, fileio, profiles, stream

sys.path.insert(0, str(ROOT / "bench"))
import fuzz  # noqa: E402  (the decoder fuzzer's case generator and oracle, shared with bench/fuzz.py)

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_N = 3000

int16 = st.integers(-32768, 32767)
arbitrary_samples = arrays(np.int16, st.integers(0, MAX_N), elements=int16)


@st.composite
def on_grid_samples(draw):
    """ADC bin table values, as a random walk or drawn freely, with a few arbitrary values mixed in."""
    n = draw(st.integers(0, MAX_N))
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        step = draw(st.integers(0, 40))
        idx = np.clip(draw(st.integers(0, 1023)) + np.cumsum(rng.integers(-step, step + 1, n)), 0, 1023)
    else:
        idx = draw(arrays(np.int64, n, elements=st.integers(0, 1023)))
    x = default_model().adc.values[idx].astype(np.int16)
    for _ in range(draw(st.integers(0, 5)) if n else 0):
        x[draw(st.integers(0, n - 1))] = draw(int16)
    return x


def round_trip(raw: bytes) -> bytes:
    encoded = codec.encode(raw)
    assert codec.decode(encoded) == raw
    return encoded


def test_a_value_set_off_its_step_round_trips():
    """Values 1 + 3k, sparse: a value set of step 3 whose values are not multiples of it (before 1b0e925
    the stream kept them as multiples of the step, the offset lost, and the decoder refused the block)."""
    x = np.int16([1, 4, 7, 100] * 10)
    [c] = channels_of(codec.encode_samples(x))
    assert c.code_set.coding == codesets.VALUE_SET and c.code_set.step == 3
    assert np.array_equal(codec.decode_samples(codec.encode_samples(x)), x)
    round_trip(wav(x))


@PROPERTY
@given(st.one_of(on_grid_samples(), arbitrary_samples), st.integers(1, 2**31 - 1))
def test_any_samples_round_trip(samples, rate):
    raw = wav(samples, rate=rate)
    encoded = round_trip(raw)
    assert len(encoded) <= len(raw) + 32        # verbatim is the fallback: never much larger


@PROPERTY
@given(st.integers(1, 5).flatmap(lambda c: arrays(np.int16, st.tuples(st.integers(0, MAX_N // c), st.just(c)),
                                                  elements=int16 | st.sampled_from([-3000, 0, 12, 24, 7000]))),
       st.booleans())
def test_any_multichannel_samples_round_trip(x, planar):
    """Through an interleaved WAV and through the samples API, in C or Fortran order."""
    raw = wav(x.ravel(), fmt=(1, x.shape[1], 16))
    encoded = round_trip(raw)
    assert len(encoded) <= len(raw) + 32 + 16 * x.shape[1]
    y = np.asfortranarray(x) if planar else x
    assert np.array_equal(codec.decode_samples(codec.encode_samples(y)), x)


@PROPERTY
@given(on_grid_samples())
def test_on_grid_samples_use_the_adc_coding_or_verbatim(samples):
    encoded = codec.encode(wav(samples))
    assert opened(encoded).header.rate == 19531
    if not len(samples):
        assert opened(encoded).header.n_blocks == 0
        return
    [c] = channels_of(encoded)
    _, off = default_model().adc.indices(samples)
    expected = {codesets.ADC, codesets.VERBATIM}
    if len(off) > codesets.MAX_EXCEPTION_SHARE * len(samples):      # off the ADC table: its own code set
        expected = {codesets.LATTICE, codesets.VALUE_SET, codesets.VERBATIM}
    assert c.code_set.coding in expected


chunk_id = st.binary(min_size=4, max_size=4).filter(lambda c: c != b"fmt ")
chunks = st.lists(st.builds(chunk, chunk_id, st.binary(max_size=40)), max_size=3).map(b"".join)


@PROPERTY
@given(samples=arrays(np.int16, st.integers(0, 300), elements=int16), odd=st.binary(max_size=1),
       before=chunks, after=st.one_of(chunks, st.binary(max_size=40)),
       riff_size=st.none() | st.integers(0, 2**32 - 1), extra_size=st.none() | st.integers(0, 2**32 - 1),
       cut=st.none() | st.integers(0, 700), fmt_fields=st.none() | st.tuples(*[st.integers(0, 2**32 - 1)] * 2))
def test_any_chunk_layout_round_trips(samples, odd, before, after, riff_size, extra_size, cut, fmt_fields):
    """Extra chunks before and after the data, odd lengths, lying RIFF and data sizes, truncation."""
    raw = bytearray(wav(samples.tobytes() + odd, before=before, after=after, riff_size=riff_size))
    if fmt_fields:                                    # sample rate and byte rate: any 32-bit values
        struct.pack_into("<II", raw, 24, *fmt_fields)
    data_at = 36 + len(before)
    if extra_size is not None:                        # a data chunk larger than the file
        size = struct.unpack_from("<I", raw, data_at + 4)[0]
        struct.pack_into("<I", raw, data_at + 4, min(size + extra_size, 2**32 - 1))
    if cut is not None:
        raw = raw[:data_at + 8 + cut]
    round_trip(bytes(raw))


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from([b"fmt ", b"data", b"LIST", b"fact", b"junk"]),
                          st.one_of(st.binary(max_size=30), st.builds(
                              lambda tag, ch, bits: struct.pack("<HHIIHH", tag, ch, 19531, 0, 0, bits),
                              st.sampled_from([1, 3, 0xFFFE]), st.integers(0, 3), st.sampled_from([8, 16, 24, 32])))),
                max_size=4), st.binary(max_size=3))
def test_any_riff_wave_file_round_trips_or_is_refused(parts, tail):
    """Whatever the chunks say, encoding either round-trips or refuses with a SpikeyError."""
    body = b"WAVE" + b"".join(chunk(cid, payload) for cid, payload in parts) + tail
    raw = b"RIFF" + struct.pack("<I", len(body)) + body
    try:
        codec.encode(raw)
    except SpikeyError:
        return
    round_trip(raw)


DEEP = ("refused: block # decodes to samples that fail its checksum",     # the block's samples CRC
        "refused: the decoded file fails the stream's checksum",          # the whole file's CRC
        "refused: the decoded samples fail the stream's checksum")        # the same, samples API


def test_decoder_fuzz():
    """Random, prefixed-random, damaged (half with their CRCs made valid) and forged streams: refused
    or decoded to the original."""
    outcomes, failures, _ = fuzz.run(400, seed=0, max_samples=1 << 18, log=lambda message: None)
    assert not failures, failures[:10]
    deep = [sum(n for o, n in outcomes.items() if o.startswith(prefix)) for prefix in DEEP]
    assert deep[0] >= 5 and deep[1] + deep[2] >= 3 and sum(deep) >= 15, outcomes    # repaired CRCs reach
    assert outcomes["decoded the original"] > 0                                      # the samples' CRCs


@pytest.mark.parametrize("kind", fuzz.KINDS)
def test_every_fuzz_kind_is_generated(kind):
    assert any(fuzz.make_case(0, i)[0] == kind for i in range(400))


def test_the_fuzz_corpus_has_every_code_set_container_and_level_with_links_and_the_new_loops():
    codings, containers, channels, blocks, linked_levels, loops = set(), set(), set(), set(), set(), set()
    for _, data in fuzz.corpus():
        h = opened(data).header
        containers.add(h.container)
        channels.add(h.channels)
        blocks.add(h.n_blocks)
        if h.container != stream.GENERIC:
            records = [c for i in range(h.n_blocks) for c in channels_of(data, i)]
            codings |= {c.code_set.coding for c in records}
            linked_levels |= {h.level for c in records if c.linked}
            loops |= {c.loop for c in records}
    assert codings == {codesets.ADC, codesets.LATTICE, codesets.VALUE_SET, codesets.VERBATIM}
    assert containers == {stream.ARRAY, stream.WAV, stream.RAW, stream.NPY, stream.GENERIC}
    assert max(channels) >= 3 and 0 in blocks and max(blocks) >= 3
    assert linked_levels == set(range(len(profiles.PROFILES)))
    assert {profiles.C8CW, profiles.LMS_QUICK_STAGE} <= loops


def test_a_huge_sample_rate_or_count_is_kept_or_refused(monkeypatch):
    raw = bytearray(wav(np.arange(10)))
    struct.pack_into("<II", raw, 24, 2**31, 0)      # no canonical header can say 2 * rate in 32 bits
    round_trip(bytes(raw))
    encoded = codec.encode(wav(np.arange(10)))
    _, *blocks, index = fuzz.sections(encoded)
    monkeypatch.setattr(codec, "decode_block", lambda *args: pytest.fail("a block was decoded"))
    for field, value, message in [("rate", 2**31, "no canonical header"), ("rate", 2**32, "out of range"),
                                  ("frames", 2**40, "blocks for"), ("frames", stream.MAX_FRAMES + 1, "out of range"),
                                  ("block_frames", 1, "blocks for"), ("channels", 2**16 + 1, "out of range")]:
        h = opened(encoded).header
        setattr(h, field, value)
        forged = fuzz.assemble(stream.write_header(h), blocks, fuzz.file_crc_of(encoded), index)   # CRC valid
        with pytest.raises(SpikeyError, match=message):
            codec.decode(forged)


def test_a_forged_payload_is_refused_not_decoded_forever(tmp_path):
    """One payload byte changed (bench/fuzz.py seed 1, case 16611, on the old layout): the range
    decoder's code left its range, a symbol of frequency 0 was chosen and the decoder looped forever.
    Now the decoder stops at the first target out of range (run in a process, with a timeout)."""
    data = bytearray(codec.encode(wav(SAMPLES[0].read_bytes()[44:44 + 2 * 4000])))
    header, block, index = fuzz.sections(bytes(data))
    body = bytearray(block)
    body[944 - 31] = 0x0E
    (tmp_path / "in.bw").write_bytes(fuzz.assemble(header, [bytes(body)], fuzz.file_crc_of(bytes(data)), index))
    script = "import sys; from spikey import codec; codec.decode(open(sys.argv[1], 'rb').read())"
    try:
        r = subprocess.run([sys.executable, "-c", script, tmp_path / "in.bw"], capture_output=True, text=True,
                           timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    except subprocess.TimeoutExpired:
        pytest.fail("still decoding after 60 s")
    assert "SpikeyError" in r.stderr and "corrupt stream" in r.stderr or "damaged" in r.stderr, r.stderr


def test_a_samples_api_stream_decodes_to_npy_through_decode():
    x = np.arange(-3000, 3000, dtype=np.int16).reshape(2000, 3)
    assert codec.extension_of(opened(codec.encode_samples(x)).header) == ".npy"
    assert codec.decode(codec.encode_samples(x)) == fuzz.npy(x)


def test_extensible_16_bit_mono_is_coded_as_pcm():
    samples = np.frombuffer(SAMPLES[0].read_bytes()[44:44 + 4000], dtype="<i2")
    guid = b"\1\0\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71"            # KSDATAFORMAT_SUBTYPE_PCM
    fmt = struct.pack("<HHIIHHHHI16s", 0xFFFE, 1, 19531, 39062, 2, 16, 22, 16, 4, guid)
    body = b"WAVE" + chunk(b"fmt ", fmt) + chunk(b"data", samples.tobytes())
    raw = b"RIFF" + struct.pack("<I", len(body)) + body
    encoded = round_trip(raw)
    assert [c.code_set.coding for c in channels_of(encoded)] == [codesets.ADC]
    assert opened(encoded).header.frames == len(samples)


# --- signals during ./encode -------------------------------------------------------------------

BIG_SAMPLES = 8_000_000      # ~6 s of coding here: long enough to be interrupted inside the coder loop


@pytest.fixture(scope="module")
def big_wav(tmp_path_factory):
    recording = np.frombuffer(SAMPLES[0].read_bytes()[44:], dtype="<i2")
    path = tmp_path_factory.mktemp("big") / "big.wav"
    path.write_bytes(wav(np.resize(recording, BIG_SAMPLES)))
    return path


def _bytes_read_importing(modules: str) -> int:
    """What a process reads to start (modules, weights) before its input, where it imports those."""
    code = f"import {modules}; print(open('/proc/self/io').read().split()[1])"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT))).stdout)


@pytest.fixture(scope="module")
def startup_bytes():
    """What ./encode reads to start."""
    return _bytes_read_importing("spikey.cli, spikey.codec, spikey.fileio")


def _progress(pid):
    """(bytes read, resident bytes, CPU seconds) of a process."""
    with open(f"/proc/{pid}/io") as f:
        read = int(f.read().split()[1])                # rchar: every byte read, imports included
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (read, int(fields[21]) * os.sysconf("SC_PAGE_SIZE"),
            (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))


def _wait_until_coding(proc, input_bytes, startup_bytes, timeout=30.0):
    """Until the process has read an eighth of its input and computed for 0.3 s more: the encoder reads
    its input a block at a time and spends nearly all of its time in the per-sample coder loop, so that
    is where it is."""
    start, cpu_then = time.monotonic(), None
    while proc.poll() is None and time.monotonic() - start < timeout:
        read, _, cpu = _progress(proc.pid)
        if read >= startup_bytes + input_bytes // 8:
            cpu_then = cpu if cpu_then is None else cpu_then
            if cpu - cpu_then > 0.3:
                return
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_encode_leaves_nothing(big_wav, startup_bytes, tmp_path, sig):
    out = tmp_path / "out.brainwire"
    proc = subprocess.Popen([ROOT / "encode", big_wav, out], stderr=subprocess.PIPE, text=True)
    _wait_until_coding(proc, big_wav.stat().st_size, startup_bytes)
    assert proc.poll() is None, "encoding finished before it could be interrupted"
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=1)
        prompt = True
    except subprocess.TimeoutExpired:                 # the compiled coder loop defers SIGINT
        prompt = False
        proc.wait(timeout=60)
    stderr = proc.stderr.read()
    assert proc.returncode != 0 and "Traceback" not in stderr, stderr
    assert os.listdir(tmp_path) == []
    if not prompt:
        pytest.xfail(f"exited {time.monotonic() - sent:.1f} s after {sig.name}: the coder loop defers "
                     "SIGINT (fix in spikey/cli.py, see docs/robustness.md)")


def test_a_signal_during_a_batch_encode_leaves_nothing_and_says_so(big_wav, tmp_path):
    """spikey encode FILE -j 2: the file's blocks on two threads; SIGTERM while it is written."""
    startup = _bytes_read_importing("spikey.cli, spikey.batch, spikey.codec, spikey.fileio, typer")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", "from spikey.cli import app; app()", "encode", big_wav, "-o", out,
                             "-j", "2"], stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    _wait_until_coding(proc, big_wav.stat().st_size, startup)
    assert proc.poll() is None, "encoding finished before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    stderr = proc.stderr.read()
    assert proc.returncode == 130 and stderr == "encode interrupted: the files finished are whole, and none is left " \
                                                "half-written\n", stderr
    assert not out.exists() or os.listdir(out) == []


def _open_files() -> str:
    return " ".join(os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                    if os.path.exists(f"/proc/self/fd/{fd}"))


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named temporary"])
def test_a_signal_while_writing_removes_the_temporary_file(tmp_path, monkeypatch, unnamed):
    def fsync_then_signal(fd):
        os.kill(os.getpid(), signal.SIGTERM)        # arrives once the temporary file is written
        return real_fsync(fd)

    handler, real_fsync = signal.getsignal(signal.SIGTERM), os.fsync
    if not unnamed:                                 # a file system without O_TMPFILE
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    monkeypatch.setattr(os, "fsync", fsync_then_signal)
    with pytest.raises(KeyboardInterrupt):
        fileio.write_atomic(tmp_path / "out", b"x" * 1000)
    assert os.listdir(tmp_path) == [] and str(tmp_path) not in _open_files()
    assert signal.getsignal(signal.SIGTERM) == handler  # restored after the write


def test_a_signal_just_after_the_rename_keeps_the_whole_file(tmp_path, monkeypatch):
    real_replace = os.replace

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(os, "replace", replace_then_signal)
    # Python's own SIGINT handler, which a background job (nohup, &) starts without: SIGINT ignored there
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            fileio.write_atomic(tmp_path / "out", b"whole")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert os.listdir(tmp_path) == ["out"] and (tmp_path / "out").read_bytes() == b"whole"


# --- unwritable and special outputs -----------------------------------------------------------

def _encode(src, dst, capsys):
    """encode_main in this process (what ./encode runs, without the start-up): (exit status, stderr)."""
    capsys.readouterr()
    try:
        cli.encode_main([str(src), str(dst)])
        status = 0
    except SystemExit as e:
        status = e.code
    return status, capsys.readouterr().err


def test_unwritable_outputs_are_refused_cleanly(tmp_path, capsys):
    (tmp_path / "file").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    cases = {tmp_path / "file" / "out": "cannot write {}: Not a directory",   # root ignores permission
             tmp_path / "dir": "{}: is a directory",                          # bits, so use places no
             "/proc/spikey-test.brainwire": "cannot write {}: "}               # one can write; procfs
    for dst, reason in cases.items():                                          # makes no files (ENOENT)
        status, err = _encode(SAMPLES[0], dst, capsys)
        assert status == 1 and err.startswith("encode: error: " + reason.format(dst)), err
        assert len(err.splitlines()) == 1, err
    assert sorted(os.listdir(tmp_path)) == ["dir", "file"] and os.listdir(tmp_path / "dir") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused(tmp_path, capsys):
    (tmp_path / "ro").mkdir(mode=0o500)
    status, err = _encode(SAMPLES[0], tmp_path / "ro" / "out", capsys)
    assert status == 1 and "Permission denied" in err and os.listdir(tmp_path / "ro") == []


def test_a_pipe_or_device_is_written_through_and_a_symlink_kept(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
    status, err = _encode(SAMPLES[0], fifo, capsys)
    if status:
        open(fifo, "wb").close()                      # let the reader finish
    received = reader.communicate(timeout=30)[0]
    assert status == 0, err
    assert codec.decode(received) == SAMPLES[0].read_bytes()
    assert fifo.is_fifo()                             # not replaced by a regular file
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))     # /dev/null's twin, safe to write to
    except OSError:
        pass
    else:
        assert _encode(SAMPLES[0], null, capsys)[0] == 0 and null.is_char_device()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    assert _encode(SAMPLES[0], tmp_path / "link", capsys)[0] == 0
    assert (tmp_path / "link").is_symlink() and codec.decode((tmp_path / "target").read_bytes())


def test_a_long_output_name_is_written(tmp_path, capsys):
    dst = tmp_path / ("n" * 250)
    assert _encode(SAMPLES[0], dst, capsys)[0] == 0 and os.listdir(tmp_path) == [dst.name]


@pytest.mark.parametrize("prog", ["encode", "decode"])
def test_a_file_size_limit_names_the_output_not_the_input(tmp_path, prog):
    """The output cannot grow past 4 KB (RLIMIT_FSIZE, as a full disk refuses a write): before, the
    refusal read `cannot read INPUT`."""
    src = tmp_path / "in"
    src.write_bytes(SAMPLES[0].read_bytes() if prog == "encode" else codec.encode(SAMPLES[0].read_bytes()))
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # noqa: E731
    r = subprocess.run([ROOT / prog, src, tmp_path / "out"], capture_output=True, text=True, preexec_fn=limit)
    assert r.returncode == 1 and r.stderr == f"{prog}: error: cannot write {tmp_path / 'out'}: File too large\n", \
        r.stderr
    assert os.listdir(tmp_path) == ["in"]

