"""spikey/cluster.py: a file's blocks coded by Dask's workers, its stream byte for byte a local run's."""
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import SAMPLES, fresh_python
from spikey import SpikeyError, cluster, codec, containers, fileio


class ThreadClient:
    """Stands in for distributed.Client: tasks run on threads here; counts the blocks in flight (submitted,
    their result not yet taken)."""

    def __init__(self, threads):
        self.pool, self.threads = ThreadPoolExecutor(threads), threads
        self.lock, self.in_flight, self.most = threading.Lock(), 0, 0

    def nthreads(self):
        return {f"worker-{i}": 1 for i in range(self.threads)}

    def submit(self, fn, *args, pure=True):
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        return _Counted(self, self.pool.submit(fn, *args))


class _Counted:
    def __init__(self, client, future):
        self.client, self.future = client, future

    def result(self):
        with self.client.lock:
            self.client.in_flight -= 1
        return self.future.result()

    def cancel(self):
        return self.future.cancel()


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(codec, "MAX_BLOCK_FRAMES", 1 << 12)


@pytest.fixture
def recordings(tmp_path):
    """Multi-block inputs (with small_blocks) of each kind the reader knows: WAV, npy in C and Fortran order
    (planar: read channel by channel), raw int16 with a partial frame after the last."""
    rng = np.random.default_rng(1)
    x = np.cumsum(rng.normal(0, 30, (10_000, 3)), axis=0).astype(np.int16)
    (tmp_path / "x.wav").write_bytes(SAMPLES[0].read_bytes())
    np.save(tmp_path / "c.npy", x)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    (tmp_path / "r.bin").write_bytes(x.tobytes() + b"\1")
    return tmp_path


@pytest.mark.parametrize("name,max_error", [("x.wav", 0), ("c.npy", 0), ("f.npy", 0), ("r.bin", 0), ("x.wav", 64),
                                            ("c.npy", "auto:0.5"), ("r.bin", 3)])
def test_the_stream_is_a_local_runs_byte_for_byte(small_blocks, recordings, name, max_error):
    options = {"channels": 3} if name == "r.bin" else {}
    options["max_error"] = max_error          # near-lossless: the workers quantise as the client did
    fileio.encode_path(recordings / name, recordings / "local.bw", level="fast", **options)
    client = ThreadClient(3)
    coder = cluster.Blocks(client).coder(recordings / name, "fast")
    fileio.encode_path(recordings / name, recordings / "spread.bw", level="fast", coder=coder, **options)
    local = (recordings / "local.bw").read_bytes()
    assert (recordings / "spread.bw").read_bytes() == local
    assert codec.Opened(open(recordings / "local.bw", "rb"), len(local)).header.n_blocks >= 3
    assert 2 <= client.most <= 2 * 3        # blocks in flight at once: several, but no more than two a thread


def test_blocks_in_flight_stay_bounded_over_files_coded_at_once(small_blocks, recordings):
    client = ThreadClient(1)
    blocks = cluster.Blocks(client)
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda n: fileio.encode_path(recordings / n, recordings / f"{n}.bw", level="fast",
                                                   coder=blocks.coder(recordings / n, "fast")),
                      ["x.wav", "c.npy", "f.npy"]))
    assert client.most <= 2
    for n in ("x.wav", "c.npy", "f.npy"):
        fileio.decode_path(recordings / f"{n}.bw", recordings / f"back-{n}")
        assert (recordings / f"back-{n}").read_bytes() == (recordings / n).read_bytes()


def test_once_stopped_a_file_fails_at_once_and_leaves_nothing(small_blocks, recordings):
    """An interrupt stops the batch (cluster.encode_files): the files being written fail, none half-written."""
    blocks = cluster.Blocks(ThreadClient(1))
    blocks.stop()
    with pytest.raises(SpikeyError, match="interrupted"):
        fileio.encode_path(recordings / "c.npy", recordings / "c.bw", coder=blocks.coder(recordings / "c.npy", "fast"))
    assert not (recordings / "c.bw").exists()
    assert all(blocks.slots.acquire(blocking=False) for _ in range(2))     # no slot kept by the file that failed


def test_a_file_changed_under_the_workers_is_refused(recordings):
    path = recordings / "c.npy"
    with open(path, "rb") as f:
        layout = containers.probe(f, path.stat().st_size)
        x = containers.read_frames(f, layout, 0, 100)
    digest = zlib.crc32(x)
    assert cluster.encode_block_at(str(path), layout, (0, 100), digest, 0, [[], [], []], "fast", [])
    np.save(path, np.zeros((10_000, 3), np.int16))
    with pytest.raises(SpikeyError, match="changed while it was being encoded"):
        cluster.encode_block_at(str(path), layout, (0, 100), digest, 0, [[], [], []], "fast", [])


def test_spikey_encode_scheduler_spreads_a_files_blocks_over_a_dask_cluster(recordings, tmp_path):
    """Through batch.run(..., scheduler=ADDRESS), as `spikey encode --scheduler` calls it, against a real
    LocalCluster of 2 workers (threads in a fresh process: a cluster started in the test process can hang
    on forked pools): every block is a task, and the streams are a local run's."""
    pytest.importorskip("distributed", reason="--scheduler needs Dask's distributed")
    out = fresh_python(f"""
import sys
from distributed import Client, LocalCluster, get_task_stream
from pathlib import Path
from spikey import batch, codec, fileio
codec.MAX_BLOCK_FRAMES = 1 << 12
with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \\
        Client(cluster) as client:
    with get_task_stream(client) as tasks:
        a = batch.run("encode", [{str(recordings / "x.wav")!r}, {str(recordings / "f.npy")!r}],
                      {str(tmp_path / "spread")!r}, scheduler=cluster.scheduler_address, level="fast")
    b = batch.run("decode", [{str(tmp_path / "spread")!r}], {str(tmp_path / "back")!r},
                  scheduler=cluster.scheduler_address)
Path({str(tmp_path / "local")!r}).mkdir()
for name in ("x.wav", "f.npy"):         # as a local `spikey encode` codes it, in this process (small blocks)
    fileio.encode_path({str(recordings)!r} + "/" + name, {str(tmp_path / "local")!r} + "/" + name[0] + ".brainwire",
                       level="fast")
print("encode tasks", sum(str(t["key"]).startswith("encode_block_at") for t in tasks.data))
sys.exit(a or b)
""")
    assert "encoded 2 of 2 files, 0 failed" in out and "decoded 2 of 2 files, 0 failed" in out
    for name in ("x", "f"):
        local = (tmp_path / "local" / f"{name}.brainwire").read_bytes()
        assert (tmp_path / "spread" / f"{name}.brainwire").read_bytes() == local
        n_blocks = codec.Opened(open(tmp_path / "local" / f"{name}.brainwire", "rb"), len(local)).header.n_blocks
        assert n_blocks >= 3
    assert (tmp_path / "back" / "x.wav").read_bytes() == (recordings / "x.wav").read_bytes()
    assert int(out.split("encode tasks ")[1].split()[0]) >= 6
