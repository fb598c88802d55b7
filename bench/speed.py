"""Speed: per-process start-up, ns/sample per stage, batch throughput, streaming latency, threads.

    python bench/speed.py [--runs 7] [--files 20] [--eval DIR] [--parts startup,stages,batch,streaming,threads]

Every figure is a median; whole processes are run interleaved so that load on the machine hits all
of them alike, and they are compared as ratios. No thresholds: this prints, it does not judge.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SPIKEY_KERNELS"] = "jit"     # stage timings compile loops around the codec's numba functions


from spikey import codec, coder, jit, network as net, predictor as pred  # noqa: E402
from spikey import distribution as dist  # noqa: E402
from spikey import model as models  # noqa: E402
from spikey.containers import read_recording  # noqa: E402
from spikey.jit import njit  # noqa: E402
from spikey.streaming import StreamEncoder  # noqa: E402

RATE = 19531


def timed(cmd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def startup(src: Path, runs: int):
    py = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        bw, wav = f"{tmp}/x.brainwire", f"{tmp}/x.wav"
        jit_env = dict(os.environ, SPIKEY_KERNELS="jit")
        aot_env = dict(os.environ, SPIKEY_KERNELS="auto")
        site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"), None)
        lean_env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=f"{ROOT}:{site}")
        cases = {"python -c 'import numpy'": ([py, "-c", "import numpy"], None),
                 "  the same, started as ./encode starts": ([py, "-S", "-c", "import numpy"], lean_env),
                 "./encode (kernels: auto)": ([ROOT / "encode", src, bw], aot_env),
                 "./decode (kernels: auto)": ([ROOT / "decode", bw, wav], aot_env),
                 "./encode (kernels: numba JIT, cached)": ([ROOT / "encode", src, bw], jit_env),
                 "./decode (kernels: numba JIT, cached)": ([ROOT / "decode", bw, wav], jit_env)}
        for cmd, env in cases.values():      # warm caches and the page cache
            timed(cmd, env)
        times = {k: [] for k in cases}
        for _ in range(runs):
            for k, (cmd, env) in cases.items():
                times[k].append(timed(cmd, env))
    base = statistics.median(times["python -c 'import numpy'"])
    print(f"\nper-process wall time, median of {runs} interleaved runs ({src.name}); ahead-of-time kernels "
          f"{'built' if jit.AOT_BUILT else 'NOT built (python -m spikey.aot)'}")
    for k, v in times.items():
        print(f"  {k:<40} {statistics.median(v) * 1000:7.1f} ms  {statistics.median(v) / base:5.2f}x numpy import")


@njit(cache=True)
def _predictor_only(idx, centres, var_rate):
    s = coder.new_state(pred.VAR_INIT, 1, 0, 0, 0)
    w, P, h, gain, var, errors, x, z, rec = coder._views(s, 1, 0, 0)
    acc = 0.0
    for t in range(len(idx)):
        mu, sigma = coder.online(w, h, var, centres)
        acc += sigma
        pred.update(w, P, h, gain, var, var_rate, t, centres[idx[t]], mu)
    return acc


def best_of(fn, *args, repeat=5):
    fn(*args)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stages(samples):
    model = models.default()
    table = model.adc
    idx, _ = table.indices(samples)
    head = model.head(0)
    no_aux = np.zeros((len(idx), 0))
    args = (table.edges, table.centres, dist.GAUSSIAN_CDF, pred.VAR_INIT, pred.VAR_RATE, *head)
    no_head = tuple(p[0] for p in net.untrained_heads(1))
    t_pred = best_of(_predictor_only, idx, table.centres, pred.VAR_RATE)
    out = np.empty(len(idx))
    t_head = best_of(coder.encode_bins, idx, no_aux, no_aux, *args[:5], *no_head, out)    # with a 1-unit head
    t_enc = best_of(coder.encode_bins, idx, no_aux, no_aux, *args, out)
    payload = coder.encode_bins(idx, no_aux, no_aux, *args, out)
    t_dec = best_of(coder.decode_bins, payload, len(idx), no_aux, no_aux, *args[:2], table.cells, *args[2:], out)
    n = len(idx)
    print(f"\nns/sample by stage (numba JIT, one core, {n} samples, median of 5)")
    print(f"  online predictor (RLS {pred.ORDER} + variance)      {t_pred / n * 1e9:7.0f}")
    print(f"  distribution + range coder (encode)         {(t_head - t_pred) / n * 1e9:7.0f}")
    print(f"  learned head ({net.N_INPUTS} in, {len(head[1])} hidden)            {(t_enc - t_head) / n * 1e9:7.0f}")
    print(f"  whole encode                              {t_enc / n * 1e9:7.0f}  ({n / t_enc / 1e6:.2f} M samples/s)")
    print(f"  whole decode                              {t_dec / n * 1e9:7.0f}  ({n / t_dec / 1e6:.2f} M samples/s)")


def batch(files):
    raws = [f.read_bytes() for f in files]
    codec.encode(raws[0])
    start = time.perf_counter()
    streams = [codec.encode(r) for r in raws]
    t_enc = time.perf_counter() - start
    start = time.perf_counter()
    for s in streams:
        codec.decode(s)
    t_dec = time.perf_counter() - start
    n = sum(read_recording(f)[1].size for f in files)
    print(f"\nbatch in one process ({len(files)} files, {n} samples, one core, whole files incl. container and checks)")
    print(f"  encode {n / t_enc / 1e6:.2f} M samples/s   decode {n / t_dec / 1e6:.2f} M samples/s")


def streaming(samples):
    enc = StreamEncoder()
    single = []
    for i in range(2000):
        start = time.perf_counter()
        enc.push(samples[i:i + 1])
        single.append(time.perf_counter() - start)
    enc = StreamEncoder()
    block = 1024
    start = time.perf_counter()
    for i in range(0, len(samples), block):
        enc.push(samples[i:i + block])
    enc.finish()
    rate = len(samples) / (time.perf_counter() - start)
    print("\nstreaming encoder (zero algorithmic delay: a sample's bytes leave with its push)")
    print(f"  one-sample push latency: median {statistics.median(single) * 1e6:.1f} us (Python call included)")
    print(f"  pushes of {block} samples: {rate / 1e6:.2f} M samples/s per core = {rate / RATE:.0f} channels "
          f"at {RATE} Hz in real time")
    print(f"  state per channel: {enc.state_bytes()} bytes")


def threads(files, runs):
    """Streams decoded by a pool of threads, as zarr and Dask decode chunks: the kernels let go of the GIL."""
    workers = os.cpu_count()
    print(f"\ndecoding {len(files)} streams in threads (spikey.decode_samples, as zarr's pool runs it; "
          f"median of {runs} alternating runs)")
    for level in ("default", "fast"):
        streams = [codec.encode_samples(read_recording(f)[1], level=level) for f in files]
        times = {1: [], workers: []}
        for _ in range(runs):
            for n in times:
                start = time.perf_counter()
                with ThreadPoolExecutor(n) as pool:
                    list(pool.map(codec.decode_samples, streams))
                times[n].append(time.perf_counter() - start)
        one, many = statistics.median(times[1]), statistics.median(times[workers])
        print(f"  {level:<8} 1 thread {one:.3f} s   {workers} threads {many:.3f} s   {one / many:.2f}x")


def harness(folder):
    start = time.perf_counter()
    out = subprocess.run([ROOT / "eval.sh", folder], capture_output=True, text=True, check=True).stdout
    print(f"\n./eval.sh {folder}: {time.perf_counter() - start:.1f} s wall\n  " + "\n  ".join(out.strip().splitlines()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--data", type=Path, default=ROOT / "samples")
    ap.add_argument("--eval", type=Path, default=None, help="also time ./eval.sh over this folder")
    ap.add_argument("--parts", default="startup,stages,batch,streaming,threads")
    args = ap.parse_args()
    parts = args.parts.split(",")
    files = sorted(args.data.glob("*.wav"))
    samples = read_recording(files[0])[1][:, 0].copy()
    if "startup" in parts:
        startup(files[0], args.runs)
    if "stages" in parts:
        stages(samples)
    if "batch" in parts:
        batch((files * args.files)[:args.files])
    if "streaming" in parts:
        streaming(samples)
    if "threads" in parts:
        threads((files * args.files)[:args.files], args.runs)
    if args.eval:
        harness(args.eval)


if __name__ == "__main__":
    main()
