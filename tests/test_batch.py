"""Batch mode: every input written or reported, nothing replaced unasked, a dying worker costs one file."""
import errno
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES, cbin_files, forged, fresh_python, noisy, openephys_tree, spikeglx_pair
from spikey import SpikeyError, batch, cli, codec, fileio


@pytest.fixture
def two_folders(tmp_path):
    for d, src in (("d1", SAMPLES[0]), ("d2", SAMPLES[1])):
        (tmp_path / d).mkdir()
        shutil.copy(src, tmp_path / d / "x.wav")
    return tmp_path


def test_two_inputs_for_one_output_are_refused_before_any_work(two_folders, capsys):
    t = two_folders
    shutil.copy(SAMPLES[2], t / "d1" / "X.WAV")
    for inputs in ([t / "d1" / "x.wav", t / "d2" / "x.wav"], [t / "d1"]):
        assert batch.run("encode", inputs, t / "out") == 2
        assert "would both be written" in capsys.readouterr().err
        assert os.listdir(t / "out") == []


def test_existing_outputs_are_kept_unless_forced_and_inputs_never_replaced(two_folders, capsys):
    t = two_folders
    assert batch.run("encode", [t / "d1"], t / "out") == 0
    before = (t / "out" / "x.brainwire").stat().st_mtime_ns
    assert batch.run("encode", [t / "d2"], t / "out") == 2
    assert "--force" in capsys.readouterr().err
    assert (t / "out" / "x.brainwire").stat().st_mtime_ns == before
    assert batch.run("encode", [t / "d2"], t / "out", force=True) == 0
    (t / "d1" / "y.brainwire").write_bytes((t / "d1" / "x.wav").read_bytes())    # a WAV named like a stream
    assert batch.run("encode", [t / "d1" / "y.brainwire"], t / "d1", force=True) == 2
    assert "it is an input" in capsys.readouterr().err


@pytest.mark.parametrize("out,jobs,message", [("file", None, "not a folder"), ("out", 0, "-j must be"),
                                              ("/proc/spikey", None, "cannot create")])
def test_bad_output_folders_and_workers_are_one_line_errors(two_folders, capsys, out, jobs, message):
    (two_folders / "file").write_bytes(b"")
    assert batch.run("encode", [two_folders / "d1"], two_folders / out if out[0] != "/" else out, jobs) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def dying(work, src, dst, options):
    """A worker the system kills half-way through one file (as the OOM killer would)."""
    if src.parent.name == "d1":
        os.kill(os.getpid(), signal.SIGKILL)
    return CODE_ONE(work, src, dst, options)


def out_of_memory(src, dst, **options):
    """An input that exhausts memory while it is coded (as /dev/zero did)."""
    if "d1" in src:
        raise MemoryError
    return ENCODE_PATH(src, dst, **options)


CODE_ONE, ENCODE_PATH = batch.code_one, fileio.encode_path


@pytest.mark.parametrize("where,fault", [(batch, dying), (fileio, out_of_memory)], ids=["worker killed", "MemoryError"])
def test_a_failing_worker_costs_only_its_own_file(two_folders, capsys, monkeypatch, where, fault):
    t = two_folders
    for name in ("y", "z"):
        shutil.copy(SAMPLES[2], t / "d2" / f"{name}.wav")
    (t / "d2" / "x.wav").unlink()
    monkeypatch.setattr(where, "code_one" if where is batch else "encode_path", fault)   # workers fork: they run it too
    assert batch.run("encode", [t / "d1", t / "d2"], t / "out", jobs=2) == 1
    captured = capsys.readouterr()
    assert "d1/x.wav" in captured.err and ("died" in captured.err or "out of memory" in captured.err)
    assert "encoded 2 of 3 files, 1 failed" in captured.out
    assert sorted(os.listdir(t / "out")) == ["y.brainwire", "z.brainwire"]


def test_missing_inputs_are_reported_and_the_rest_done(two_folders, capsys):
    t = two_folders
    assert batch.run("encode", [t / "nope.wav", t / "d1"], t / "out") == 1
    captured = capsys.readouterr()
    assert "nope.wav: no such file" in captured.err and "encoded 1 of 2 files, 1 failed" in captured.out
    assert os.listdir(t / "out") == ["x.brainwire"]


def test_outputs_keep_the_inputs_permissions(two_folders):
    t = two_folders
    os.chmod(t / "d1" / "x.wav", 0o600)
    assert batch.run("encode", [t / "d1"], t / "out") == 0
    assert (t / "out" / "x.brainwire").stat().st_mode & 0o777 == 0o600
    assert batch.run("decode", [t / "out"], t / "back") == 0
    assert (t / "back" / "x.wav").stat().st_mode & 0o777 == 0o600
    assert (t / "back" / "x.wav").read_bytes() == (t / "d1" / "x.wav").read_bytes()


def test_a_dask_cluster_codes_a_folder(two_folders, tmp_path):
    """spikey encode|decode --scheduler ADDRESS, against a LocalCluster of 2 worker processes (in a fresh
    process with a timeout: a cluster started inside the test process can hang on forked pools)."""
    pytest.importorskip("distributed")
    shutil.copy(SAMPLES[2], two_folders / "d1" / "y.wav")
    script = f"""
import sys
from distributed import LocalCluster
from spikey import batch
if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        at = cluster.scheduler_address
        a = batch.run("encode", [{str(two_folders / "d1")!r}], {str(tmp_path / "bw")!r}, scheduler=at)
        b = batch.run("decode", [{str(tmp_path / "bw")!r}], {str(tmp_path / "back")!r}, scheduler=at)
    sys.exit(a or b)
"""
    out = fresh_python(script)
    assert "encoded 2 of 2 files, 0 failed" in out and "decoded 2 of 2 files, 0 failed" in out
    for name in ("x.wav", "y.wav"):
        assert (tmp_path / "back" / name).read_bytes() == (two_folders / "d1" / name).read_bytes()


def test_progress_shows_on_a_terminal_only(two_folders, capsys, monkeypatch):
    shutil.copy(SAMPLES[2], two_folders / "d1" / "y.wav")
    assert batch.run("encode", [two_folders / "d1"], two_folders / "quiet", jobs=1) == 0
    assert capsys.readouterr().err == ""                       # a log or a pipe gets the summary alone
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert batch.run("encode", [two_folders / "d1"], two_folders / "shown", jobs=1) == 0
    assert "encoding" in capsys.readouterr().err


def test_verify_takes_folders_and_shows_progress_on_a_terminal_only(two_folders, capsys, monkeypatch):
    assert batch.run("encode", [two_folders / "d1"], two_folders / "bw") == 0
    (two_folders / "bw" / "cut.brainwire").write_bytes((two_folders / "bw" / "x.brainwire").read_bytes()[:-1])
    capsys.readouterr()
    assert cli.verify([two_folders / "bw", two_folders / "nope.brainwire"]) == 1
    captured = capsys.readouterr()
    assert "x.brainwire: ok" in captured.out and "cut.brainwire: error" in captured.err
    assert "nope.brainwire: no such file" in captured.err and "testing" not in captured.err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.verify([two_folders / "bw" / "x.brainwire"]) == 0
    assert "testing" in capsys.readouterr().err


def test_a_stream_from_anyone_writes_only_its_own_name_in_the_output_folder(tmp_path, capsys):
    """A raw stream whose stored extension climbs out of OUT: refused; nothing outside OUT is touched."""
    (tmp_path / "in").mkdir()
    (tmp_path / "x").write_bytes(b"keep")
    encoded = codec.encode(b"\1\2" * 100, channels=1, extension=".dat")
    (tmp_path / "in" / "a.brainwire").write_bytes(forged(encoded, extension="/../../x"))
    (tmp_path / "in" / "b.brainwire").write_bytes(encoded)
    assert batch.run("decode", [tmp_path / "in"], tmp_path / "out") == 1
    captured = capsys.readouterr()
    assert "a.brainwire: corrupt stream: the stored extension '/../../x' is not a bare extension" in captured.err
    assert "decoded 1 of 2 files, 1 failed" in captured.out
    assert (tmp_path / "x").read_bytes() == b"keep" and sorted(os.listdir(tmp_path)) == ["in", "out", "x"]
    assert os.listdir(tmp_path / "out") == ["b.dat"]


def test_an_output_name_that_is_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "..brainwire").write_bytes(codec.encode(b"\1\2" * 100, channels=1, extension="."))
    assert batch.run("decode", [tmp_path / "in"], tmp_path / "out") == 1
    assert "its output name '..' is not a file name" in capsys.readouterr().err


@pytest.mark.parametrize("work,options,message", [
    ("encode", {"rate": -1}, "--rate must be 0 to 4294967295, not -1"),          # before: never ended
    ("encode", {"rate": 1 << 32}, "--rate must be 0 to 4294967295, not 4294967296"),   # before: a stream
    ("encode", {"channels": 0}, "--channels must be 1 to 65535, not 0"),                # the decoder refused
    ("encode", {"channels": 65536}, "--channels must be 1 to 65535, not 65536"),
    ("decode", {"start": -1}, "--start must be 0 to 281474976710656, not -1"),
    ("decode", {"start": 5, "stop": 3}, "--stop must be 5 to 281474976710656, not 3")])
def test_an_option_out_of_range_is_refused_before_any_work(two_folders, capsys, work, options, message):
    assert batch.run(work, [two_folders / "d1"], two_folders / "out", **options) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not (two_folders / "out").exists()


def test_an_output_that_appears_after_the_plan_is_kept_and_its_input_reported(two_folders, capsys, monkeypatch):
    """Two runs writing one folder at once: each planned before the other wrote, and each reported every
    file written while half the outputs were lost. Without --force an output is linked, never renamed
    over a file; the run that comes second is refused."""
    t = two_folders
    real = codec.encode_file

    def racing(src, size, out, *args, **kwargs):
        real(src, size, out, *args, **kwargs)
        (t / "out" / "x.brainwire").write_bytes(b"the other run's")      # it finished first
    monkeypatch.setattr(codec, "encode_file", racing)
    assert batch.run("encode", [t / "d1"], t / "out") == 1
    captured = capsys.readouterr()
    assert f"{t / 'out' / 'x.brainwire'} exists already (another run wrote it?); it was kept" in captured.err
    assert "encoded 0 of 1 files, 1 failed" in captured.out
    assert os.listdir(t / "out") == ["x.brainwire"] and (t / "out" / "x.brainwire").read_bytes() == b"the other run's"
    assert batch.run("encode", [t / "d1"], t / "out", force=True) == 0
    assert codec.decode((t / "out" / "x.brainwire").read_bytes()) == SAMPLES[0].read_bytes()


def test_without_hard_links_an_output_is_still_never_renamed_over_a_file(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")    # FAT, some network file systems
    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    with fileio.atomic_output(tmp_path / "a", replace=False) as f:
        f.write(b"new")
    assert os.listdir(tmp_path) == ["a"] and (tmp_path / "a").read_bytes() == b"new"
    with pytest.raises(SpikeyError, match="exists already"):
        with fileio.atomic_output(tmp_path / "a", replace=False) as f:
            f.write(b"newer")
    assert os.listdir(tmp_path) == ["a"] and (tmp_path / "a").read_bytes() == b"new"


@pytest.mark.parametrize("hard_links", [True, False], ids=["link", "no hard links"])
def test_an_output_of_the_same_bytes_is_no_loss(tmp_path, monkeypatch, hard_links):
    """The same input written twice (by two runs, or again after a worker died having written it)."""
    if not hard_links:
        monkeypatch.setattr(os, "link", lambda *a, **k: (_ for _ in ()).throw(PermissionError(errno.EPERM, "no")))
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    (tmp_path / "a").write_bytes(b"same")
    with fileio.atomic_output(tmp_path / "a", replace=False) as f:
        f.write(b"same")
    assert os.listdir(tmp_path) == ["a"] and (tmp_path / "a").read_bytes() == b"same"


def test_two_runs_writing_one_folder_at_once_lose_nothing(tmp_path):
    """Each run's files are written or reported: every output holds one of its inputs, and the runs'
    counts of files written add up to the outputs there (before: each said 3 of 3, and 3 of 6 survived)."""
    runs = []
    for d, sources in (("d1", SAMPLES[:3]), ("d2", SAMPLES[3:6])):
        (tmp_path / d).mkdir()
        for name, src in zip("abc", sources, strict=True):
            shutil.copy(src, tmp_path / d / f"{name}.wav")
    for d in ("d1", "d2"):
        runs.append(subprocess.Popen([sys.executable, "-c", "from spikey.cli import app; app()", "encode",
                                      tmp_path / d, "-o", tmp_path / "out", "-j", "1"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT))))
    written = 0
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode in (0, 1, 2) and "Traceback" not in err, err
        written += int(re.search(r"encoded (\d+) of 3", out).group(1)) if run.returncode != 2 else 0
    outputs = sorted(os.listdir(tmp_path / "out"))
    assert outputs == ["a.brainwire", "b.brainwire", "c.brainwire"] and written == 3
    for name in outputs:
        decoded = codec.decode((tmp_path / "out" / name).read_bytes())
        assert decoded in ((tmp_path / d / name.replace(".brainwire", ".wav")).read_bytes() for d in ("d1", "d2"))


def _files(top) -> dict:
    """{path relative to top: bytes} of every file under top."""
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def test_a_folder_tree_is_mirrored_and_round_trips_with_its_structure(tmp_path, capsys):
    """The issue's targets at once: a SpikeGLX pair, an Open Ephys recording of two streams and a WAV in
    a tree, encoded with no flags into the same tree of streams (each sidecar inside its recording's
    stream, not coded apart), decoded back byte for byte; a file that is no recording is stored whole,
    and the run says so."""
    archive = tmp_path / "archive"
    (archive / "npx" / "run_g0").mkdir(parents=True)
    spikeglx_pair(archive / "npx" / "run_g0", noisy(channels=3), name="run_g0_t0.imec0.lf")
    openephys_tree(archive / "oe" / "Record Node 101" / "experiment1" / "recording1",
                   [("Neuropix-PXI-100.0", noisy(channels=4)), ("Neuropix-PXI-100.1", noisy(channels=2, seed=1))])
    shutil.copy(SAMPLES[0], archive / "challenge.wav")
    (archive / "notes.txt").write_text("session notes")
    assert batch.run("encode", [archive], tmp_path / "compressed") == 0
    captured = capsys.readouterr()
    assert "encoded 7 of 7 files (3 not recordings, stored whole), 0 failed" in captured.out
    assert "notes.txt: not a recording Spikey models: stored whole" in captured.err
    recording = "oe/Record Node 101/experiment1/recording1/"
    assert sorted(_files(tmp_path / "compressed")) == [
        "challenge.brainwire", "notes.brainwire", "npx/run_g0/run_g0_t0.imec0.lf.brainwire",
        recording + "continuous/Neuropix-PXI-100.0/continuous.brainwire",
        recording + "continuous/Neuropix-PXI-100.0/timestamps.brainwire",
        recording + "continuous/Neuropix-PXI-100.1/continuous.brainwire",
        recording + "continuous/Neuropix-PXI-100.1/timestamps.brainwire"]
    assert batch.run("decode", [tmp_path / "compressed"], tmp_path / "restored", jobs=2) == 0
    assert _files(tmp_path / "restored") == _files(archive)


def test_a_decoded_sidecar_never_replaces_another_file_unasked(tmp_path, capsys):
    spikeglx_pair(tmp_path, noisy(channels=3), name="run")
    assert batch.run("encode", [tmp_path / "run.bin"], tmp_path / "bw") == 0
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "run.meta").write_text("someone else's")
    assert batch.run("decode", [tmp_path / "bw"], tmp_path / "out") == 2
    assert "run.meta exists already and differs from the sidecar" in capsys.readouterr().err
    assert os.listdir(tmp_path / "out") == ["run.meta"]
    assert batch.run("decode", [tmp_path / "bw"], tmp_path / "out", force=True) == 0
    assert (tmp_path / "out" / "run.meta").read_bytes() == (tmp_path / "run.meta").read_bytes()
    with pytest.raises(SpikeyError, match="exists already"):        # ./decode keeps it too
        (tmp_path / "out" / "run.meta").write_text("someone else's")
        fileio.decode_path(tmp_path / "bw" / "run.brainwire", tmp_path / "out" / "run.bin")


def test_the_files_a_cbin_consumes_are_not_coded_apart(tmp_path, capsys):
    x = noisy(n=3000, channels=2)
    (tmp_path / "in").mkdir()
    spikeglx_pair(tmp_path / "in", x, name="r")
    (tmp_path / "in" / "r.bin").unlink()
    cbin_files(tmp_path / "in", x, name="r")
    assert batch.run("encode", [tmp_path / "in"], tmp_path / "bw") == 0
    assert os.listdir(tmp_path / "bw") == ["r.brainwire"]
    assert batch.run("decode", [tmp_path / "bw"], tmp_path / "back") == 0
    assert sorted(os.listdir(tmp_path / "back")) == ["r.bin", "r.meta"]


def test_an_output_folder_inside_the_input_folder_is_not_coded_again(tmp_path, capsys):
    shutil.copy(SAMPLES[0], tmp_path / "a.wav")
    for _ in range(2):
        assert batch.run("encode", [tmp_path], tmp_path / "bw", force=True) == 0
        assert "encoded 1 of 1 files, 0 failed" in capsys.readouterr().out
    assert os.listdir(tmp_path / "bw") == ["a.brainwire"]
