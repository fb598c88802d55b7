"""Compression levels beside WavPack, FLAC and Blosc-zstd: ratio against encode and decode MB/s per core.

    .venv/bin/python -m spikey.aot          # first: the ahead-of-time kernels (the JIT is slower)
    .venv/bin/python bench/levels.py [--every 5] [--runs 5] [--long-runs 5] [--tiles 10] [--long-levels fast,default]
                                     [--parts challenge,multi,long,jobs,evals]

One process, one thread (OPENBLAS_NUM_THREADS=1, Blosc without threads). Spikey is timed in-process on
whole files (codec.encode/decode, encode_samples/decode_samples), start-up excluded; WavPack and FLAC as
whole processes on whole files (wavpack/wvunpack, flac/flac -d), start-up included. Every run decodes
and compares: whole files for Spikey and WavPack, the sample payload for FLAC (its decoded WAV header is
WAVE_FORMAT_EXTENSIBLE for > 2 channels), the samples for Blosc. Runs alternate codec by codec and each
figure is the median over runs of the data set's total time. MB = 10^6 bytes of input.

Parts: challenge (every --every'th file of /work/shared/data), multi (/work/shared/multichannel/*.npy),
long (locust_t01 tiled --tiles times: `wavpack -hh` + wvunpack against `spikey decode -j 1`, ./decode and
the in-process decoder of each of --long-levels' streams, alternating), jobs (spikey encode/decode -j 1
against -j 2 on the long file),
evals (CDF evaluations per decoded sample of the fast level's search: an instrumented copy of
fastcoder.find_bin, run under the numba JIT in a child process).
"""
import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["OPENBLAS_NUM_THREADS"] = "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DATA = Path("/work/shared/data")
MULTI = Path("/work/shared/multichannel")
SPIKEY = str(ROOT / ".venv" / "bin" / "spikey")
FLAC_MAX_CHANNELS = 8


# ---- data sets -------------------------------------------------------------------------------------

class Item:
    """One recording: the WAV an external tool reads, its samples (frames, channels), the bytes a ratio
    divides (WAV file bytes or raw int16 sample bytes) and, for FLAC, WAV files of <= 8 channels."""

    def __init__(self, name, wav, x, rate, raw=None):
        self.name, self.wav, self.x, self.rate, self.raw = name, wav, x, rate, raw
        self.size = len(raw) if raw is not None else x.nbytes
        self.flac_parts = [wav]

    @property
    def samples(self):
        return self.x.size


def _payload(wav_bytes: bytes) -> bytes:
    from spikey.containers import wav
    layout = wav.parse(io.BytesIO(wav_bytes), len(wav_bytes))
    start = len(layout.prefix)
    return wav_bytes[start:start + 2 * layout.channels * layout.frames]


def write_wav(path, x, rate):
    from spikey.containers import wav
    x = np.ascontiguousarray(x, dtype="<i2")
    with open(path, "wb") as f:
        f.write(wav.header(x.shape[0], x.shape[1], rate))
        f.write(x.tobytes())


def challenge_set(every: int):
    files = sorted(DATA.glob("*.wav"))[::every]
    items = []
    for f in files:
        raw = f.read_bytes()
        x = np.frombuffer(_payload(raw), dtype="<i2")[:, None]
        items.append(Item(f.stem[:8], str(f), x, 19531, raw))
    return items, f"challenge data: every {every}th of {len(list(DATA.glob('*.wav')))} files = {len(files)} mono WAVs"


def multi_set(tmp):
    items = []
    for npy in sorted(MULTI.glob("*.npy")):
        x = np.load(npy)
        rate = int(round(json.loads(npy.with_suffix(".json").read_text())["sampling_rate_hz"]))
        wav = f"{tmp}/{npy.stem}.wav"
        write_wav(wav, x, rate)
        item = Item(npy.stem, wav, x, rate)
        if x.shape[1] > FLAC_MAX_CHANNELS:
            groups = np.array_split(np.arange(x.shape[1]), -(-x.shape[1] // FLAC_MAX_CHANNELS))
            item.flac_parts = []
            for g, cols in enumerate(groups):
                part = f"{tmp}/{npy.stem}.part{g}.wav"
                write_wav(part, x[:, cols], rate)
                item.flac_parts.append(part)
        items.append(item)
    return items, "multichannel: /work/shared/multichannel/*.npy (raw int16 sample bytes)"


# ---- codecs: (compressed bytes, encode s, decode s) of one item, checked -----------------------------

def run_timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


class Spikey:
    def __init__(self, level):
        self.level, self.name = level, f"Spikey {level}"

    def __call__(self, item, tmp):
        from spikey import codec
        if item.raw is not None:
            start = time.perf_counter()
            s = codec.encode(item.raw, level=self.level)
            t_enc = time.perf_counter() - start
            start = time.perf_counter()
            back = codec.decode(s)
            t_dec = time.perf_counter() - start
            ok = back == item.raw
        else:
            start = time.perf_counter()
            s = codec.encode_samples(item.x, item.rate, level=self.level)
            t_enc = time.perf_counter() - start
            start = time.perf_counter()
            back = codec.decode_samples(s)
            t_dec = time.perf_counter() - start
            ok = np.array_equal(back, item.x)
        assert ok, f"{self.name}: {item.name} does not round-trip"
        return len(s), t_enc, t_dec


class WavPack:
    def __init__(self, option):
        self.option, self.name = option, f"WavPack {option or 'default'}"

    def __call__(self, item, tmp):
        wv, back = f"{tmp}/x.wv", f"{tmp}/x.back.wav"
        t_enc = run_timed(["wavpack", "-q", "-y", *([self.option] if self.option else []), item.wav, "-o", wv])
        t_dec = run_timed(["wvunpack", "-q", "-y", wv, "-o", back])
        assert Path(back).read_bytes() == Path(item.wav).read_bytes(), f"{self.name}: {item.name} differs"
        size = os.path.getsize(wv)
        os.unlink(wv), os.unlink(back)
        return size, t_enc, t_dec


class Flac:
    def __init__(self, option):
        self.option, self.name = option, f"FLAC {option}"

    def __call__(self, item, tmp):
        size = t_enc = t_dec = 0
        for part in item.flac_parts:
            fl, back = f"{tmp}/x.flac", f"{tmp}/x.back.wav"
            t_enc += run_timed(["flac", "-s", "-f", self.option, "--channel-map=none", part, "-o", fl])
            t_dec += run_timed(["flac", "-d", "-s", "-f", fl, "-o", back])
            assert _payload(Path(back).read_bytes()) == _payload(Path(part).read_bytes()), \
                f"{self.name}: {item.name} differs"
            size += os.path.getsize(fl)
            os.unlink(fl), os.unlink(back)
        return size, t_enc, t_dec


class BloscZstd:
    name = "Blosc zstd-5 bitshuffle, 1 s chunks"

    def __init__(self):
        from numcodecs import blosc
        blosc.use_threads = False
        blosc.set_nthreads(1)
        self.codec = blosc.Blosc(cname="zstd", clevel=5, shuffle=blosc.Blosc.BITSHUFFLE)

    def __call__(self, item, tmp):
        x = np.ascontiguousarray(item.x)
        start = time.perf_counter()
        chunks = [self.codec.encode(x[a:a + item.rate]) for a in range(0, len(x), item.rate)]
        t_enc = time.perf_counter() - start
        start = time.perf_counter()
        back = np.concatenate([np.frombuffer(self.codec.decode(c), dtype=x.dtype) for c in chunks])
        t_dec = time.perf_counter() - start
        assert np.array_equal(back, x.reshape(-1)), f"{self.name}: {item.name} differs"
        # a WAV's header and trailing bytes are stored raw beside the samples
        extra = 0 if item.raw is None else item.size - x.nbytes
        return sum(len(c) for c in chunks) + extra, t_enc, t_dec


CODECS = [Spikey("fast"), Spikey("default"), Spikey("max"), WavPack("-f"), WavPack(""), WavPack("-hh"),
          Flac("-0"), Flac("-5"), Flac("-8")]


# ---- measurement and tables -------------------------------------------------------------------------

def measure(items, runs, tmp):
    """{codec name: (sizes per item, median total encode s, median total decode s)}; runs alternate the
    codecs so that load from elsewhere falls on all of them alike."""
    codecs = CODECS + [BloscZstd()]
    for c in codecs:                      # warm: kernels loaded, page cache filled
        c(items[0], tmp)
    sizes = {c.name: None for c in codecs}
    enc = {c.name: [] for c in codecs}
    dec = {c.name: [] for c in codecs}
    for r in range(runs):
        for c in codecs:
            got = [c(item, tmp) for item in items]
            s = [g[0] for g in got]
            assert sizes[c.name] in (None, s), f"{c.name}: sizes changed between runs"
            sizes[c.name] = s
            enc[c.name].append(sum(g[1] for g in got))
            dec[c.name].append(sum(g[2] for g in got))
        print(f"  run {r + 1}/{runs} done (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    return {n: (sizes[n], statistics.median(enc[n]), statistics.median(dec[n])) for n in sizes}


def pareto(rows):
    """Indices of rows that no other row beats on both ratio and decode MB/s."""
    return {i for i, (_, r, _, d) in enumerate(rows)
            if not any(r2 > r and d2 > d for j, (_, r2, _, d2) in enumerate(rows) if j != i)}


def table(items, results, per_item=False):
    total = sum(i.size for i in items)
    rows = []
    for name, (sizes, t_enc, t_dec) in results.items():
        rows.append((name, total / sum(sizes), total / t_enc / 1e6, total / t_dec / 1e6))
    best = pareto(rows)
    head = "| codec | " + ("".join(f"{i.name} | " for i in items) if per_item else "") + \
        "ratio | encode MB/s | decode MB/s | Pareto |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for k, (name, ratio, e, d) in enumerate(rows):
        sizes = results[name][0]
        cells = "".join(f"{i.size / s:.3f} | " for i, s in zip(items, sizes, strict=True)) if per_item else ""
        print(f"| {name} | {cells}{ratio:.3f} | {e:.2f} | {d:.2f} | {'*' if k in best else ''} |")
    return rows


def plot(panels: dict, path: str):
    """Ratio against decode MB/s, one panel per data set: Spikey's levels joined and named, the other
    codecs by family, the Pareto-optimal outlined."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    families = {"Spikey": ("o", "C3"), "WavPack": ("s", "C0"), "FLAC": ("^", "C2"), "Blosc": ("D", "C7")}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), constrained_layout=True)
    for ax, (title, rows) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        best = pareto(rows)
        for family, (marker, color) in families.items():
            mine = [(k, r) for k, r in enumerate(rows) if r[0].startswith(family)]
            for outlined in (False, True):
                pts = [(d, ratio) for k, (_, ratio, _, d) in mine if (k in best) == outlined]
                if pts:
                    ax.scatter(*zip(*pts, strict=True), marker=marker, color=color, s=40, zorder=3,
                               edgecolors="black" if outlined else "none",
                               label=family if not outlined or not any(k not in best for k, _ in mine) else None)
        levels = sorted((d, r, n.split()[-1]) for n, r, _, d in rows if n.startswith("Spikey"))
        ax.plot([d for d, _, _ in levels], [r for _, r, _ in levels], color="C3", lw=1, zorder=2)
        for i, (d, r, name) in enumerate(levels):      # labels above and below by turns: close levels
            twin = [n for d2, r2, n in levels if abs(r2 / r - 1) < 1e-3 and abs(d2 / d - 1) < 0.3]
            if name == twin[0]:
                ax.annotate(" = ".join(twin), (d, r), fontsize=8, xytext=(5, 6 if i % 2 else -12),
                            textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel("decode MB/s, one core (log scale)")
        ax.set_ylabel("ratio (original bytes / compressed bytes)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center right")
    fig.suptitle("Ratio against decode speed: Spikey's levels beside WavPack, FLAC and Blosc "
                 "(outlined: Pareto-optimal)", fontsize=10)
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def spawn_overhead(runs=20):
    """Median wall time of starting a trivial process, as a scale for the per-file external tools."""
    return statistics.median(run_timed(["/bin/true"]) for _ in range(runs))


# ---- the long file ----------------------------------------------------------------------------------

def long_wav(tmp, tiles):
    x = np.tile(np.load(MULTI / "locust_t01.npy"), (tiles, 1))
    path = f"{tmp}/locust_x{tiles}.wav"
    write_wav(path, x, 15000)
    return path, x


def spikey_cli(work, src, outdir, jobs, level=None):
    cmd = [SPIKEY, work, src, "-o", outdir, "-j", str(jobs), "--force"]
    return run_timed(cmd + (["--level", level] if level else []))


def long_part(tmp, tiles, runs, levels=("fast",)):
    from spikey import codec
    wav, x = long_wav(tmp, tiles)
    raw = Path(wav).read_bytes()
    n = x.size
    wv, back_wv = f"{tmp}/long.wv", f"{tmp}/long.back.wav"
    codec.decode(codec.encode(raw[:44 + 8 * 1000], level="fast"))      # warm: kernels loaded
    t_wv_enc = run_timed(["wavpack", "-q", "-y", "-hh", wav, "-o", wv])
    wv_dec = []
    coded = {}
    for level in levels:
        enc_dir = f"{tmp}/enc-{level}"
        t_sp_enc = spikey_cli("encode", wav, enc_dir, 1, level)
        start = time.perf_counter()
        codec.encode(raw, level=level)
        t_sp_enc_in = time.perf_counter() - start
        coded[level] = (Path(f"{enc_dir}/{Path(wav).stem}.brainwire"), t_sp_enc, t_sp_enc_in, [], [], [])
    back_exe, dec_dir = f"{tmp}/long.exe.wav", f"{tmp}/dec"
    for _ in range(runs):
        wv_dec.append(run_timed(["wvunpack", "-q", "-y", wv, "-o", back_wv]))
        for stream, _, _, sp_dec, exe_dec, sp_dec_in in coded.values():
            sp_dec.append(spikey_cli("decode", stream, dec_dir, 1))
            assert (Path(dec_dir) / Path(wav).name).read_bytes() == raw, "spikey decode of the long file differs"
            Path(back_exe).unlink(missing_ok=True)
            exe_dec.append(run_timed([str(ROOT / "decode"), stream, back_exe]))
            assert Path(back_exe).read_bytes() == raw, "./decode of the long file differs"
            data = stream.read_bytes()
            start = time.perf_counter()
            back = codec.decode(data)
            sp_dec_in.append(time.perf_counter() - start)
            assert back == raw, "the long file does not round-trip"
    assert Path(back_wv).read_bytes() == raw, "long file does not round-trip through WavPack"
    mb = len(raw) / 1e6
    print(f"\nlong file: locust_t01 tiled {tiles}x = {x.shape[0]} frames x {x.shape[1]} ch = {n / 1e6:.2f} M samples, "
          f"WAV {len(raw)} bytes; decode median of {runs} alternating runs, whole processes (Spikey also in-process)")
    print("| codec | ratio | encode s | decode s (median) | decode MB/s | decode M samples/s |")
    print("|---|---|---|---|---|---|")
    rows = [("WavPack -hh / wvunpack (process)", os.path.getsize(wv), t_wv_enc, wv_dec)]
    for level, (stream, t_sp_enc, t_sp_enc_in, sp_dec, exe_dec, sp_dec_in) in coded.items():
        size = stream.stat().st_size
        rows += [(f"Spikey {level}, spikey encode/decode -j 1 (process)", size, t_sp_enc, sp_dec),
                 (f"Spikey {level}, ./decode (process, as the challenge runs it)", size, t_sp_enc, exe_dec),
                 (f"Spikey {level}, codec.encode/decode (in-process)", size, t_sp_enc_in, sp_dec_in)]
    for name, size, t_e, times in rows:
        t = statistics.median(times)
        print(f"| {name} | {len(raw) / size:.3f} | {t_e:.2f} | {t:.3f} ({min(times):.3f}-{max(times):.3f}) "
              f"| {mb / t:.1f} | {n / t / 1e6:.2f} |")
    for level, (_, _, _, sp_dec, exe_dec, sp_dec_in) in coded.items():
        for name, times in (("spikey decode -j 1", sp_dec), ("./decode", exe_dec), ("in-process decode", sp_dec_in)):
            print(f"{level}: {name} / wvunpack wall time: {statistics.median(times) / statistics.median(wv_dec):.2f}")
    return wav


def jobs_part(tmp, wav, runs):
    raw = Path(wav).read_bytes()
    print(f"\n-j on the long file ({len(raw) / 1e6:.1f} MB WAV), spikey encode/decode as processes, median of {runs} "
          f"alternating runs; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at start")
    print("| level | ratio | encode -j 1 s | encode -j 2 s | speed-up | decode -j 1 s | decode -j 2 s | speed-up "
          "| same bytes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for level in ("fast", "default"):
        times = {k: [] for k in ("e1", "e2", "d1", "d2")}
        streams = {}
        for _ in range(runs):
            for j in (1, 2):
                out = f"{tmp}/j{j}"
                times[f"e{j}"].append(spikey_cli("encode", wav, out, j, level))
                streams[j] = Path(f"{out}/{Path(wav).stem}.brainwire").read_bytes()
            for j in (1, 2):
                out = f"{tmp}/j{j}/dec"
                times[f"d{j}"].append(spikey_cli("decode", f"{tmp}/j{j}/{Path(wav).stem}.brainwire", out, j))
                assert (Path(out) / Path(wav).name).read_bytes() == raw, f"-j {j} decode differs"
        same = streams[1] == streams[2]
        m = {k: statistics.median(v) for k, v in times.items()}
        print(f"| {level} | {len(raw) / len(streams[1]):.3f} | {m['e1']:.2f} | {m['e2']:.2f} | {m['e1'] / m['e2']:.2f} "
              f"| {m['d1']:.2f} | {m['d2']:.2f} | {m['d1'] / m['d2']:.2f} | {'yes' if same else 'NO'} |")
        assert same, f"{level}: -j 1 and -j 2 streams differ"


# ---- the fast decoder's search, counted (run under SPIKEY_KERNELS=jit) ------------------------------

def count_evals(every):
    from numba import njit
    from spikey import codesets, kernels, model as models
    from spikey import distribution as dist
    from spikey import fastcoder as fc
    from spikey import rangecoder as rc
    assert kernels.KIND == "numba JIT", "the counted copy calls fastcoder's numba functions"

    @njit
    def cum(k, n, edges, mean, inv, table, count):
        count[0] += 1
        return fc.cumulative(k, n, edges, mean, inv, table)

    @njit
    def find_bin(target, n_bins, edges, mean, width, inv, table, guesses, cells, count, unit_start):
        """fastcoder.find_bin with every cumulative() counted; unit_start: the start is
        (at - edges[0]) >> FX, which assumes bins one unit wide (the first version), instead of the
        codec's table of bins by axis unit (cells)."""
        z = guesses[target >> (fc.TOTAL_BITS - dist.GUESS_BITS)]
        at = mean + ((z * width) >> (dist.FRAC_BITS + 8))
        if unit_start:
            k = min(max((at - edges[0]) >> fc.FX, 0), n_bins - 1)
        else:
            k = cells[min(max((at - edges[0]) >> fc.FX, 0), len(cells) - 1)]
        step = 1
        c = cum(k, n_bins, edges, mean, inv, table, count)
        if c <= target:
            lo, c_lo = k, c
            hi = min(k + 1, n_bins)
            c_hi = cum(hi, n_bins, edges, mean, inv, table, count)
            while hi < n_bins and c_hi <= target:
                lo, c_lo = hi, c_hi
                hi = min(hi + step, n_bins)
                c_hi = cum(hi, n_bins, edges, mean, inv, table, count)
                step *= 2
        else:
            hi, c_hi = k, c
            lo = max(k - 1, 0)
            c_lo = cum(lo, n_bins, edges, mean, inv, table, count)
            while lo > 0 and c_lo > target:
                hi, c_hi = lo, c_lo
                lo = max(lo - step, 0)
                c_lo = cum(lo, n_bins, edges, mean, inv, table, count)
                step *= 2
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            c_mid = cum(mid, n_bins, edges, mean, inv, table, count)
            if c_mid <= target:
                lo, c_lo = mid, c_mid
            else:
                hi, c_hi = mid, c_mid
        return lo, c_lo, c_hi

    @njit
    def decode_counted(buf, n_samples, edges, table, guesses, cells, evals, peaks, unit_start):
        """fastcoder.decode_fast, with the evaluations per sample and the state's largest magnitudes
        (peaks: |w|, |d|, mae, |acc| of the prediction, inv, |gap * inv|)."""
        n_bins = len(edges) - 1
        w, d, sd, _, _ = fc._state(0)
        last, mae = np.int64(0), np.int64(fc.MAE_INIT)
        st = rc.decoder_new(buf)
        idx = np.empty(n_samples, dtype=np.int32)
        count = np.zeros(1, dtype=np.int64)
        for t in range(n_samples):
            acc = 0
            for i in range(fc.TAPS):
                acc += w[i] * d[i]
            mean, width, inv = fc.predict(w, d, last, mae, edges, 0)
            target = rc.decode_target_shift(st, fc.TOTAL_BITS)
            count[0] = 0
            k, lo, hi = find_bin(target, n_bins, edges, mean, width, inv, table, guesses, cells, count,
                                 unit_start)
            evals[t] = count[0]
            rc.decode_consume(st, buf, lo, hi - lo)
            y = (edges[k] + edges[k + 1]) >> 1
            mae = fc.observe(w, d, sd, y, last, mean, mae)
            last = y
            idx[t] = k
            for i in range(fc.TAPS):
                peaks[0] = max(peaks[0], abs(w[i]))
                peaks[1] = max(peaks[1], abs(d[i]))
            peaks[2] = max(peaks[2], mae)
            peaks[3] = max(peaks[3], abs(acc))
            peaks[4] = max(peaks[4], inv)
            for kk in (k, k + 1):
                gap = min(max(edges[kk] - mean, -fc.REACH), fc.REACH)
                peaks[5] = max(peaks[5], abs(gap * inv))
        return idx

    model = models.default()
    guesses = dist.GUESSES
    sets = {"challenge": [(f.stem, np.frombuffer(_payload(f.read_bytes()), dtype="<i2"))
                          for f in sorted(DATA.glob("*.wav"))[::every]]}
    for npy in sorted(MULTI.glob("*.npy")):
        x = np.load(npy)
        sets[npy.stem] = [(f"{npy.stem}[{c}]", np.ascontiguousarray(x[:, c])) for c in range(x.shape[1])]
    print("\nfast level: CDF evaluations per decoded sample (instrumented copy of fastcoder.find_bin; "
          "each channel coded whole on the code set the encoder would use first)")
    print("| data | channels | samples | bins | evaluations / sample | share with 2 | max | payload bits / sample "
          "| evaluations / sample with the unit-width start (the first version) |")
    print("|---|---|---|---|---|---|---|---|---|")
    peaks = np.zeros(6, dtype=np.int64)
    for name, channels in sets.items():
        hist = np.zeros(64, dtype=np.int64)
        n = bits = evals_by_edges = 0
        sizes = set()
        for _, x in channels:
            code_set, idx, _ = codesets.candidates(x, model.adc)[0]
            table = code_set.table(model.adc)
            edges = fc.fixed_edges(table.edges)
            cells = table.cells
            no_refs = np.zeros((len(idx), 0), dtype=np.int64)
            payload = kernels.encode_fast(idx, edges, dist.GAUSSIAN_CDF, no_refs)
            buf = np.frombuffer(payload.tobytes(), dtype=np.uint8)
            evals = np.zeros(len(idx), dtype=np.int64)
            got = decode_counted(buf, len(idx), edges, dist.GAUSSIAN_CDF, guesses, cells, evals, peaks, False)
            assert np.array_equal(got, idx), f"{name}: the counted decoder differs"
            other = np.zeros(len(idx), dtype=np.int64)
            assert np.array_equal(decode_counted(buf, len(idx), edges, dist.GAUSSIAN_CDF, guesses, cells, other,
                                                 peaks, True), idx), f"{name}: the unit-start decoder differs"
            evals_by_edges += other.sum()
            assert np.array_equal(got, kernels.decode_fast(buf, len(idx), edges, dist.GAUSSIAN_CDF, guesses, cells,
                                                           no_refs))
            hist += np.bincount(evals, minlength=64)[:64]
            n += len(idx)
            bits += 8 * len(payload)
            sizes.add(len(table.values))
        mean = (hist * np.arange(64)).sum() / n
        span = f"{min(sizes)}" if len(sizes) == 1 else f"{min(sizes)}-{max(sizes)}"
        print(f"| {name} | {len(channels)} | {n} | {span} | {mean:.3f} | {hist[2] / n:.1%} "
              f"| {np.flatnonzero(hist).max()} | {bits / n:.3f} | {evals_by_edges / n:.3f} |")
    print(f"largest magnitudes over all of it: |w| {peaks[0]} (2^{np.log2(max(peaks[0], 1)):.1f}), "
          f"|d| {peaks[1]} (2^{np.log2(max(peaks[1], 1)):.1f}), mae {peaks[2]} (2^{np.log2(peaks[2]):.1f}), "
          f"|sum w d| {peaks[3]} (2^{np.log2(max(peaks[3], 1)):.1f}), inv {peaks[4]} (2^{np.log2(peaks[4]):.1f}), "
          f"|gap inv| {peaks[5]} (2^{np.log2(max(peaks[5], 1)):.1f})")


# ---- main -------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--every", type=int, default=5, help="challenge files: every Nth, sorted by name")
    ap.add_argument("--runs", type=int, default=5, help="runs per codec on the challenge and multichannel sets")
    ap.add_argument("--long-runs", type=int, default=5, help="alternating decode runs on the long file")
    ap.add_argument("--jobs-runs", type=int, default=3, help="runs per -j setting")
    ap.add_argument("--tiles", type=int, default=10)
    ap.add_argument("--long-levels", default="fast,default")
    ap.add_argument("--parts", default="challenge,multi,long,jobs,evals")
    ap.add_argument("--plot", metavar="PNG", help="also draw ratio against decode MB/s (needs matplotlib)")
    ap.add_argument("--count-evals", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.count_evals:
        return count_evals(args.every)
    parts = args.parts.split(",")
    from spikey import SOURCE_HASH, kernels
    print(f"kernels: {kernels.KIND} (source {SOURCE_HASH}); {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
          f"{subprocess.run(['wavpack', '--version'], capture_output=True, text=True).stdout.split()[1]} wavpack, "
          f"{subprocess.run(['flac', '--version'], capture_output=True, text=True).stdout.strip()}")
    if kernels.KIND != "ahead-of-time":
        print("WARNING: not the ahead-of-time kernels (python -m spikey.aot): Spikey's speeds are the JIT's")
    tmp = tempfile.mkdtemp(prefix="spikey-levels-")
    panels = {}
    try:
        if "challenge" in parts:
            items, what = challenge_set(args.every)
            results = measure(items, args.runs, tmp)
            samples = sum(i.samples for i in items)
            print(f"\n{what}, {samples / 1e6:.2f} M samples, {sum(i.size for i in items) / 1e6:.2f} MB; ratio = WAV "
                  f"file bytes / compressed bytes; median of {args.runs} runs; external tools one process per file "
                  f"(a bare process start costs {spawn_overhead() * 1e3:.2f} ms here)")
            panels[f"challenge data, {len(items)} mono WAVs"] = table(items, results)
        if "multi" in parts:
            items, what = multi_set(tmp)
            results = measure(items, args.runs, tmp)
            print(f"\n{what}; ratio = raw int16 bytes / compressed bytes; median of {args.runs} runs; WAV files for "
                  f"the external tools, FLAC on <= {FLAC_MAX_CHANNELS}-channel parts (EEG 64 ch: 8 x 8, yass 10 ch: "
                  "2 x 5), sizes added up")
            panels[f"multichannel recordings ({len(items)} files)"] = table(items, results, per_item=True)
        if args.plot and panels:
            plot(panels, args.plot)
        wav = (long_part(tmp, args.tiles, args.long_runs, args.long_levels.split(","))
               if "long" in parts or "jobs" in parts else None)
        if "jobs" in parts:
            jobs_part(tmp, wav, args.jobs_runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if "evals" in parts:
        sys.stdout.flush()
        env = dict(os.environ, SPIKEY_KERNELS="jit")
        subprocess.run([sys.executable, __file__, "--count-evals", "--every", str(args.every)], env=env, check=True)
    print(f"\nload at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
