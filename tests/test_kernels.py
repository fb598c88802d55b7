"""The ahead-of-time kernels must give the same bytes as the numba JIT kernels they are built from."""
import ast
import os
import subprocess
import sys

import pytest

import spikey
from conftest import ROOT, SAMPLES, common_mode, fresh_python, shared_bursts, switching_tone, wav
from spikey import jit

needs_build = pytest.mark.skipif(not jit.AOT_BUILT, reason="no ahead-of-time build: python -m spikey.aot")


def _spikey_imports(path) -> set:
    """The spikey modules a source file imports (as file names)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "spikey":
            names |= {f"{a.name}.py" for a in node.names if (path.parent / f"{a.name}.py").exists()}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spikey."):
            names.add(node.module.split(".")[1] + ".py")
    return names


def test_the_source_hash_covers_every_module_the_kernels_are_made_of():
    """A module missing from KERNEL_SOURCES could change without invalidating a stale build."""
    here = ROOT / "spikey"
    closure, todo = set(), ["aot.py"]
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo += _spikey_imports(here / name)
    assert closure == set(spikey.KERNEL_SOURCES)


def run_codec(kind, tmp_path, src, level="default"):
    script = ("import sys; from spikey import codec, kernels; assert kernels.KIND == sys.argv[4], kernels.KIND; "
              f"e = codec.encode(open(sys.argv[1], 'rb').read(), level='{level}'); open(sys.argv[2], 'wb').write(e); "
              "open(sys.argv[3], 'wb').write(codec.decode(e)); "
              "print('numba' in sys.modules)")
    out = tmp_path / f"{kind}.bw"
    back = tmp_path / f"{kind}.wav"
    printed = fresh_python(script, src, out, back, "ahead-of-time" if kind == "aot" else "numba JIT",
                           SPIKEY_KERNELS=kind)
    return out.read_bytes(), back.read_bytes(), printed.strip() == "True"


@needs_build
@pytest.mark.parametrize("level", ["default", "fast"])
@pytest.mark.parametrize("make", [lambda tmp: SAMPLES[0], lambda tmp: _write(tmp, wav(list(range(-3000, 3000, 7)))),
                                  lambda tmp: _write(tmp, wav(common_mode(6000, 3).ravel(), fmt=(1, 3, 16))),
                                  lambda tmp: _write(tmp, wav(switching_tone(3000).ravel())),
                                  lambda tmp: _write(tmp, wav(shared_bursts(8000).ravel(), fmt=(1, 2, 16)))],
                         ids=["recording", "lattice coding", "linked channels", "the quick stage", "the refs' context"])
def test_aot_and_jit_give_identical_bytes(tmp_path, make, level):
    src = make(tmp_path)
    aot_stream, aot_back, aot_imported_numba = run_codec("aot", tmp_path, src, level)
    jit_stream, jit_back, _ = run_codec("jit", tmp_path, src, level)
    assert aot_stream == jit_stream
    assert aot_back == jit_back == src.read_bytes()
    assert not aot_imported_numba


def _write(tmp_path, data):
    p = tmp_path / "x.wav"
    p.write_bytes(data)
    return p


@needs_build
def test_streaming_encoder_uses_the_build_and_matches_the_file_payload(tmp_path):
    script = ("import io, sys; from spikey import codec, kernels, model, stream; "
              "from spikey.containers import read_recording; from spikey.streaming import StreamEncoder; "
              "assert kernels.KIND == 'ahead-of-time'; "
              "s = read_recording(sys.argv[1])[1][:, 0]; e = StreamEncoder(); "
              "out = b''.join(e.push(s[i:i + 999]) for i in range(0, len(s), 999)) + e.finish(); "
              "d = codec.encode_samples(s); o = codec.Opened(io.BytesIO(d), len(d), model.default()); "
              "payload = stream.read_block(o.block_bytes(0), o.header, len(s))[0][0].payload; "
              "print(out == payload, 'numba' in sys.modules)")
    assert fresh_python(script, SAMPLES[0], SPIKEY_KERNELS="aot").split() == ["True", "False"]


GIL_SCRIPT = """
import sys, threading, time
import numpy as np
from spikey import distribution as dist, fastcoder, kernels, model, predictor as pred
from spikey.containers import read_recording
assert kernels.KIND == sys.argv[2], kernels.KIND
sys.setswitchinterval(1000)     # no forced hand-over: the counter runs only while the GIL is let go of
m = model.default()
idx = m.adc.indices(np.tile(read_recording(sys.argv[1])[1][:, 0], 10))[0]
n, t, none, fixed = len(idx), m.adc, np.zeros((len(idx), 0)), fastcoder.fixed_edges(m.adc.edges)
head = (pred.VAR_INIT, pred.VAR_RATE, *m.head(0), np.empty(n))
refs, guesses = np.zeros((n, 0), dtype=np.int64), dist.GUESSES
ticks, stop = [0], [False]

def count():
    while not stop[0]:
        ticks[0] += 1
        time.sleep(0)

def ticks_during(kernel, *args):     # the kernel alone: numpy lets go of the GIL in its own loops
    before = ticks[0]
    out = kernel(*args)
    return ticks[0] - before, out

def each_kernel():
    n_enc, payload = ticks_during(kernels.encode_bins, idx, none, none, t.edges, t.centres, dist.GAUSSIAN_CDF, *head)
    n_dec, back = ticks_during(kernels.decode_bins, payload, n, none, none, t.edges, t.centres, t.cells,
                               dist.GAUSSIAN_CDF, *head)
    n_fenc, fast = ticks_during(kernels.encode_fast, idx, fixed, dist.GAUSSIAN_CDF, refs)
    n_fdec, fback = ticks_during(kernels.decode_fast, fast, n, fixed, dist.GAUSSIAN_CDF, guesses, t.cells, refs)
    assert np.array_equal(back, idx) and np.array_equal(fback, idx)
    return n_enc, n_dec, n_fenc, n_fdec

each_kernel()        # the JIT compiles or reads its cache at a first call: file I/O lets go of the GIL
counter = threading.Thread(target=count)
counter.start()
during = each_kernel()
stop[0] = True
counter.join()
print(*(k > 0 for k in during))
"""


@pytest.mark.parametrize("kind", [pytest.param("aot", marks=needs_build), "jit"])
def test_the_kernels_let_other_threads_run(kind):
    """zarr and Dask decode chunks in threads: a kernel holding the GIL would run them one at a time."""
    printed = fresh_python(GIL_SCRIPT, SAMPLES[0], "ahead-of-time" if kind == "aot" else "numba JIT",
                           SPIKEY_KERNELS=kind)
    assert printed.split() == ["True"] * 4


def test_the_first_use_says_it_compiles_and_a_warm_cache_says_nothing(tmp_path):
    """A fresh environment used to stall silently for tens of seconds a level while numba compiled."""
    script = "import sys; from spikey import kernels; print(kernels.KIND)"
    cold = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), SPIKEY_KERNELS="jit",
                                   NUMBA_CACHE_DIR=str(tmp_path / "cache")))
    assert cold.returncode == 0 and cold.stderr.count("\n") == 1, cold.stderr
    assert "compiling the coding kernels once" in cold.stderr and str(tmp_path / "cache") in cold.stderr
    assert (tmp_path / "cache").is_dir()        # made as the kernels were defined: the next use is quiet
    warm = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), SPIKEY_KERNELS="jit",
                                   NUMBA_CACHE_DIR=str(tmp_path / "cache")))
    assert warm.returncode == 0 and warm.stderr == ""
