import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

# In-process tests use the numba kernels (the reference); tests/test_kernels.py compares the
# ahead-of-time build against them in subprocesses.
os.environ["SPIKEY_KERNELS"] = "jit"

import numpy as np
import pytest

from spikey import codec, stream
from spikey.model import default as default_model

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.wav"))


def fresh_python(script: str, *args, cwd=None, timeout=600, **env) -> str:
    """The output of `python -c script args` in a new interpreter that imports this checkout's spikey,
    with env's variables set; the test fails with its stderr if it exits other than 0."""
    r = subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, PYTHONPATH=str(ROOT), **env))
    assert r.returncode == 0, r.stderr
    return r.stdout


def wav(samples, rate=19531, before=b"", after=b"", riff_size=None, fmt=(1, 1, 16)):
    """A WAV file with optional chunks before/after the data chunk and a chosen RIFF size field."""
    data = np.asarray(samples, dtype="<i2").tobytes() if not isinstance(samples, bytes) else samples
    tag, channels, bits = fmt
    block = channels * bits // 8
    # block align and byte rate wrap where the fields cannot hold them (32768 channels or more), as a
    # writer that does not check them writes them
    fmt_chunk = b"fmt " + struct.pack("<IHHIIHH", 16, tag, channels, rate, rate * block & 0xFFFFFFFF, block & 0xFFFF,
                                      bits)
    body = b"WAVE" + fmt_chunk + before + b"data" + struct.pack("<I", len(data)) + data
    body += b"\0" * (len(data) & 1) + after
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def chunk(cid: bytes, payload: bytes) -> bytes:
    return cid + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)


@pytest.fixture(scope="session")
def recording():
    return SAMPLES[0].read_bytes()


@pytest.fixture
def adc_signal():
    """An ADC-like signal: a random walk on the bin table."""
    def make(n, seed=0):
        rng = np.random.default_rng(seed)
        idx = np.clip(512 + np.cumsum(rng.integers(-3, 4, n)), 0, 1023)
        return default_model().adc.values[idx].astype(np.int16)
    return make


def opened(encoded: bytes) -> codec.Opened:
    """A stream's header and index, read as the decoder reads them."""
    return codec.Opened(io.BytesIO(encoded), len(encoded))


def forged(encoded: bytes, **fields) -> bytes:
    """The stream with header fields changed and its framing made valid again (the header's length, the
    trailer's CRC over header and index), as a forger would: what a decoder checks after that CRC."""
    s = opened(encoded)
    header = stream.write_header(stream.Header(**{**vars(s.header), **fields}))
    blocks = encoded[s.offsets[0]:s.offsets[-1]]
    index = encoded[s.offsets[-1]:-stream.TRAILER]
    return header + blocks + index + stream.write_trailer(header, index, s.file_crc)


def as_version_2(encoded: bytes) -> bytes:
    """The stream as format version 2 wrote it: the same bytes but for the version and the blocks'
    samples CRCs, which version 2 did not chain (a generic block's CRC is the same in both)."""
    s = opened(encoded)
    header = stream.write_header(stream.Header(**{**vars(s.header), "version": 2}))
    blocks = [s.block_bytes(i) for i in range(s.header.n_blocks)]
    if s.header.container != stream.GENERIC:
        blocks = [b[:-4] + struct.pack("<I", stream.samples_crc(s.frames(i), 0)) for i, b in enumerate(blocks)]
    index = encoded[s.offsets[-1]:-stream.TRAILER]
    return header + b"".join(blocks) + index + stream.write_trailer(header, index, s.file_crc)


def cascade_sizes(x, loops) -> dict:
    """{loop: bytes of its payload} of one channel's samples x, each cascade loop coding them alone with no
    head, on the lattice of every integer they span."""
    from spikey import bins, profiles
    from spikey.model import NO_HEAD
    table = bins.lattice_table(int(x.min()), 1, 0, int(x.max()) - int(x.min()))
    idx = table.indices(x)[0].astype(np.int32)
    return {loop: len(default_model().encode_cascade(table, idx, profiles.shape(loop), NO_HEAD)) for loop in loops}


def channels_of(encoded: bytes, block: int = 0) -> list:
    """The stream.Channel records of one block: code set, head, exceptions and payload per channel."""
    s = opened(encoded)
    start, stop = s.header.block_span(block)
    return stream.read_block(s.block_bytes(block), s.header, stop - start)[0]


def common_mode(n=20000, channels=5, seed=0):
    """Channels sharing a slow common signal, each with its own noise: EEG-like."""
    rng = np.random.default_rng(seed)
    common = np.cumsum(rng.normal(0, 30, n))
    common -= np.linspace(common[0], common[-1], n)
    own = np.cumsum(rng.normal(0, 3, (n, channels)), axis=0) * 0.2
    return (common[:, None] * rng.uniform(0.5, 1.5, channels) + own).astype(np.int16)


def heavy_tailed(n=40000, channels=2, seed=0):
    """Random walks of Student-t steps (1.5 degrees of freedom), the second channel the first plus its
    own walk: bursts that throw a least-squares predictor off, where the fast level's sign-sign loop
    codes shorter."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.standard_t(1.5, (n, channels)) * 20, axis=0)
    x[:, 1:] += x[:, :1]
    x -= np.linspace(x[0], x[-1], n)
    return np.clip(np.round(x), -32000, 32000).astype(np.int16)


def bursts(n=40000, channels=1, seed=0):
    """White noise whose scale jumps between 3 and 150 for runs of ~100 samples, on a slow wave: the
    residual's size now says what the next one's is, which a running mean of |error| follows late."""
    rng = np.random.default_rng(seed)
    loud = np.cumsum(rng.random(n) < 0.01) % 2 == 1
    noise = rng.normal(size=(n, channels)) * np.where(loud, 150.0, 3.0)[:, None]
    wave = 2000 * np.sin(np.arange(n) / 300.0)[:, None]
    return np.round(wave + noise).astype(np.int16)


def shared_bursts(n=40000, seed=0):
    """Two leads that burst together (bursts' loud runs), the second partly the first: it is linked to the
    first, whose surprises tell it a burst has begun (the refs' context, loops 13-14)."""
    x = bursts(n, 2, seed).astype(np.float64)
    x[:, 1] = x[:, 1] * 0.7 + x[:, 0] * 0.3
    return np.round(x).astype(np.int16)


def switching_tone(n=6000, seed=0):
    """A tone whose frequency jumps every 500 samples, in a little noise: the fast loop's stage must relearn
    it each time, which its quick stage (loop 12) does."""
    rng = np.random.default_rng(seed)
    f = np.repeat(rng.uniform(0.01, 0.1, n // 500 + 1), 500)[:n]
    return np.round(2000 * np.sin(np.cumsum(2 * np.pi * f)) + rng.normal(0, 4, n)).astype(np.int16)[:, None]


FIXTURES = ROOT / "tests" / "fixtures"


def spikeglx_pair(folder, x, name="run_g0_t0.imec0.lf", fixture="sample3B_g0_t0.imec1.lf.meta", **keys) -> Path:
    """x (frames, channels) as a SpikeGLX .bin, a real .meta beside it (tests/fixtures/spikeglx) made to
    describe it: nSavedChans and fileSizeBytes, and keys' lines set (None drops one). The .bin's path."""
    path = Path(folder) / f"{name}.bin"
    np.asarray(x, dtype="<i2").tofile(path)
    keys = {"nSavedChans": x.shape[1], "fileSizeBytes": x.size * 2, **keys}
    lines = []
    for line in (FIXTURES / "spikeglx" / fixture).read_text().splitlines():
        key = line.partition("=")[0]
        if key not in keys:
            lines.append(line)
        elif keys[key] is not None:
            lines.append(f"{key}={keys.pop(key)}")
        else:
            keys.pop(key)
    lines += [f"{key}={value}" for key, value in keys.items() if value is not None]
    path.with_suffix(".meta").write_text("\n".join(lines) + "\n")
    return path


def openephys_tree(root, streams, rate=30000.0, gui="0.6.7") -> list:
    """An Open Ephys binary recording under root: structure.oebin, and per stream (folder name, x) a
    continuous/<folder>/continuous.dat of x (frames, channels) with the timestamps.npy beside it that
    the GUI writes. The .dat paths."""
    root = Path(root)
    entries, paths = [], []
    for folder, x in streams:
        path = root / "continuous" / folder / "continuous.dat"
        path.parent.mkdir(parents=True)
        np.asarray(x, dtype="<i2").tofile(path)
        np.save(path.parent / "timestamps.npy", np.arange(len(x), dtype=np.int64))
        entries.append({"folder_name": folder + "/", "sample_rate": rate, "source_processor_name": "Neuropix-PXI",
                        "source_processor_id": 100, "stream_name": folder, "num_channels": x.shape[1],
                        "channels": [{"channel_name": f"CH{i}", "bit_volts": 0.195} for i in range(x.shape[1])]})
        paths.append(path)
    (root / "structure.oebin").write_text(json.dumps({"GUI version": gui, "continuous": entries, "events": [],
                                                      "spikes": []}, indent=4))
    return paths


def cbin_files(folder, x, name="run_g0_t0.imec0.ap", rate=30000.0) -> Path:
    """x (frames, channels) compressed by mtscomp into name.cbin and name.ch in folder (the test skips
    where mtscomp is not installed). The .cbin's path."""
    mtscomp = pytest.importorskip("mtscomp", reason="mtscomp is an optional extra: pip install 'spikey-codec[cbin]'")
    raw = Path(folder) / f"{name}.original.bin"
    np.asarray(x, dtype="<i2").tofile(raw)
    path = Path(folder) / f"{name}.cbin"
    mtscomp.compress(raw, path, path.with_suffix(".ch"), sample_rate=rate, n_channels=x.shape[1], dtype=np.int16,
                     chunk_duration=0.1, quiet=True)
    raw.unlink()
    return path


def noisy(n=6000, channels=4, seed=0):
    """Random walks: samples for the acquisition formats' round trips."""
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.integers(-20, 21, (n, channels)), axis=0).astype(np.int16)
