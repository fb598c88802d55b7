"""Spike sorting before and after near-lossless coding (issue 21, item 4): a SpikeInterface ground-truth
recording, sorted as lossless int16 and after each maximum error K, scored against the ground truth.

    /work/venv-si/bin/python bench/sorting.py                  # round + spikey rows (spikey needs max_error)
    /work/venv-si/bin/python bench/sorting.py --codecs round   # the comparator alone (no Spikey mode needed)
    /work/venv-si/bin/python bench/sorting.py --alpha 30,150 --seeds 3   # smaller units, 3 seeds a condition
    /work/venv-si/bin/python bench/sorting.py [--k 1,2,4,8,auto] [--auto-f 0.5] [--codecs round,spikey]
        [--level default] [--duration 60] [--channels 32] [--units 15] [--seed 2205] [--repeats 3]
        [--seeds 1] [--alpha 60,400] [--sorter tridesclous2] [--n-jobs 1] [--check-repeat]

Environment (SpikeInterface is not a dependency of the codec; its own venv):
    python3.11 -m venv /work/venv-si
    /work/venv-si/bin/pip install "spikeinterface[full]==0.105.3" pcodec==1.1.0 typer
(spikeinterface[full] brings numba, scikit-learn, hdbscan, scipy that tridesclous2 needs; Spikey itself is
imported from this checkout, its numpy/numba come from the venv.)

Recording: spikeinterface.core.generate_ground_truth_recording, seed --seed: a Neuropixels-1.0-like
checkerboard probe (4 columns 16 um apart, rows 20 um apart alternating between column pairs, 12 um
square contacts; --channels sites), --units units (firing 2-12 Hz, refractory 4 ms, template amplitude
parameter alpha --alpha, 60-400 uV, so some units sit near the detection threshold), white noise 5 uV
RMS, 30 kHz, --duration s. Converted to int16 at a gain of 0.625 uV/LSB (noise = 8 LSB RMS, like a Neuropixels 2.0
channel's few-LSB noise), then given to the sorter as int16 with that gain.

Conditions: lossless (the int16 as is, sorted --repeats times to measure the sorter's own run-to-run
spread), then for each K: 'round' = x -> round(x / (2K+1)) * (2K+1) clipped to int16 (|error| <= K; its
ratio from pcodec on the quotients, channel by channel, default level), and 'spikey' =
spikey.encode_samples(x, rate, level=--level, max_error=K) -> decode_samples (only where encode_samples
accepts max_error, else the bench stops with one line; every decoded sample checked |error| <= K).
'dither' (a control, not a codec; not in the default --codecs): x plus independent uniform integer
error in [-K, K], seeded: does the sorter respond to rounding, or to any error of that size?
"auto" K = floor(F * MAD(first differences) / (0.6745 * sqrt(2))), channels pooled, F = --auto-f.

Sorter: --sorter (tridesclous2, SpikeInterface's own, CPU), n_jobs=--n-jobs, all runs in this one process
(numba compiles the sorter's kernels once, in the first run: that run is slower). Repeatable: the sorter's
seed plus numpy's default_rng(None) seeded with it (tridesclous2 0.105 draws unseeded in the whitening and
the peak selection); same input and seed, same sorting (--check-repeat sorts lossless seed 0 twice).
Lossless is sorted with seeds 0..--repeats-1 (the sorter's own spread); each coded condition with seeds
0..--seeds-1, its row the mean, its change against the lossless mean over the same seeds. A change can
exceed the seed spread from a tiny input perturbation alone (the sorter's clustering is chaotic), so
--seeds 3 is the fairer reading where time allows.
Scores: spikeinterface.comparison.compare_sorter_to_ground_truth (exhaustive ground truth, delta 0.4 ms,
Hungarian matching): mean accuracy over all ground-truth units (unmatched = 0), mean accuracy over
matched units, units with accuracy >= 0.8 ("well detected"), the sorter's unit count, and the change of
the mean accuracy against lossless, in percent of it. --out FILE writes the markdown.
"""
import argparse
import inspect
import math
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds zarr.py: off the path, so that `import zarr` (SpikeInterface, numcodecs) finds the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

GAIN_UV = 0.625
NOISE_UV = 5.0
RATE = 30000
CODECS = ("round", "spikey", "dither")


def probe_np1(channels: int):
    from probeinterface import generate_multi_columns_probe
    if channels % 4:
        raise SystemExit("--channels must be a multiple of 4 (4 columns)")
    probe = generate_multi_columns_probe(num_columns=4, num_contact_per_column=channels // 4, xpitch=16, ypitch=40,
                                         y_shift_per_column=[0, 20, 0, 20], contact_shapes="square",
                                         contact_shape_params={"width": 12})
    probe.set_device_channel_indices(np.arange(channels))
    return probe


def ground_truth(args):
    import spikeinterface.core as sc
    rec, gt = sc.generate_ground_truth_recording(
        durations=[args.duration], sampling_frequency=float(RATE), probe=probe_np1(args.channels), num_units=args.units,
        generate_sorting_kwargs=dict(firing_rates=(2.0, 12.0), refractory_period_ms=4.0),
        generate_templates_kwargs=dict(unit_params=dict(alpha=tuple(args.alpha))),
        noise_kwargs=dict(noise_levels=NOISE_UV, strategy="on_the_fly"), seed=args.seed)
    x = rec.get_traces()
    xi = np.clip(np.rint(x / GAIN_UV), -32768, 32767).astype(np.int16)
    return xi, rec.get_probe(), gt


def auto_k(x: np.ndarray, f: float) -> int:
    d = np.diff(x.astype(np.int32), axis=0).ravel()
    return int(math.floor(f * np.median(np.abs(d - np.median(d))) / (0.6745 * math.sqrt(2))))


def spikey_supports_max_error() -> bool:
    import spikey
    try:
        return "max_error" in inspect.signature(spikey.encode_samples).parameters
    except (AttributeError, TypeError, ValueError):
        return False


def pcodec_bytes(q: np.ndarray) -> int:
    from pcodec import ChunkConfig, standalone
    return sum(len(standalone.simple_compress(np.ascontiguousarray(q[:, c]), ChunkConfig()))
               for c in range(q.shape[1]))


def code(codec: str, x: np.ndarray, k: int, level: str):
    """(reconstruction, compressed bytes) of x at max error k."""
    if codec == "dither":
        # not a codec: a control with independent uniform integer error in [-k, k] (seeded), to tell a
        # sorter's response to quantization from its response to any error of that size
        e = np.random.Generator(np.random.PCG64(k)).integers(-k, k + 1, size=x.shape, dtype=np.int32)
        y = np.clip(x.astype(np.int32) + e, -32768, 32767).astype(np.int16)
        n = 0
    elif codec == "round":
        s = 2 * k + 1
        q = np.floor_divide(x.astype(np.int32) + k, s)     # round(x / s), exact in integers for odd s
        y = np.clip(q * s, -32768, 32767).astype(np.int16)
        q = q.astype(np.int16)
        n = pcodec_bytes(q)
    else:
        import spikey
        data = spikey.encode_samples(x, RATE, level=level, max_error=k)
        y = np.asarray(spikey.decode_samples(data)).reshape(x.shape)
        n = len(data)
    err = int(np.abs(y.astype(np.int32) - x.astype(np.int32)).max())
    if err > k:
        raise SystemExit(f"FAIL: {codec} max_error={k}: decoded max |error| {err} > {k}")
    return y, n


SEED = [0]   # the sorter run's seed


def seeded_rngs():
    """The sorter's seed does not reach every draw (tridesclous2 0.105: the whitening's random chunks,
    select_peaks): numpy.random.default_rng(None) made default_rng(the run's seed), so that runs repeat."""
    made = np.random.default_rng

    def default_rng(seed=None):
        return made(SEED[0] if seed is None else seed)
    np.random.default_rng = default_rng


class Sorting:
    def __init__(self, args, probe, gt, workdir):
        self.args, self.probe, self.gt, self.workdir = args, probe, gt, Path(workdir)

    def score(self, y: np.ndarray, seed: int = 0) -> dict:
        import spikeinterface.core as sc
        import spikeinterface.sorters as ss
        from spikeinterface.comparison import compare_sorter_to_ground_truth
        binary = self.workdir / "rec.raw"       # the sorter wants a recording it can reload: a raw int16 file
        np.ascontiguousarray(y, "<i2").tofile(binary)
        rec = sc.read_binary(binary, float(RATE), "int16", num_channels=y.shape[1], gain_to_uV=GAIN_UV,
                             offset_to_uV=0.0)
        rec.set_probe(self.probe, in_place=True)
        t = time.perf_counter()
        SEED[0] = seed
        random.seed(seed)
        np.random.seed(seed)
        srt = ss.run_sorter(self.args.sorter, rec, folder=self.workdir / "sorter", remove_existing_folder=True,
                            verbose=False, seed=seed, job_kwargs=dict(n_jobs=self.args.n_jobs, progress_bar=False))
        seconds = time.perf_counter() - t
        comp = compare_sorter_to_ground_truth(self.gt, srt, exhaustive_gt=True)
        acc = comp.get_performance()["accuracy"].astype(float).to_numpy()
        matched = comp.hungarian_match_12.to_numpy() != -1
        out = dict(units=srt.get_num_units(), mean=float(acc.mean()),
                   mean_matched=float(acc[matched].mean()) if matched.any() else 0.0,
                   well=len(comp.get_well_detected_units(0.8)), seconds=seconds)
        del rec, srt
        binary.unlink()
        return out


HEADER = ["condition", "K", "ratio", "x lossless", "max err", "RMS err", "sorter units", "mean accuracy",
          "accuracy, matched", "well detected (>=0.8)", "accuracy change %", "sort s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--codecs", default="round,spikey", help="round, spikey, dither (a control)")
    ap.add_argument("--k", default="1,2,4,8,auto")
    ap.add_argument("--auto-f", type=float, default=0.5)
    ap.add_argument("--level", default="default", choices=["fast", "default", "max"])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--units", type=int, default=15)
    ap.add_argument("--seed", type=int, default=2205)
    ap.add_argument("--alpha", default="60,400", help="template amplitude parameter range, uV (lower: harder)")
    ap.add_argument("--repeats", type=int, default=3, help="lossless sorter runs, seeds 0.. (the sorter's spread)")
    ap.add_argument("--seeds", type=int, default=1, help="sorter seeds per coded condition (mean reported)")
    ap.add_argument("--sorter", default="tridesclous2")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--deterministic", type=int, default=1, help="1: numpy default_rng(None) seeded with 0")
    ap.add_argument("--check-repeat", action="store_true", help="sort lossless seed 0 twice (determinism)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    if bad := [c for c in codecs if c not in CODECS]:
        raise SystemExit(f"unknown codec(s) {bad}; choose from {','.join(CODECS)}")
    if "spikey" in codecs and not spikey_supports_max_error():
        raise SystemExit("spikey rows asked for, but this checkout's spikey.encode_samples has no max_error "
                         "parameter (near-lossless mode not here yet); run with --codecs round")
    args.alpha = [float(v) for v in args.alpha.split(",")]
    if not 1 <= args.seeds <= args.repeats:
        raise SystemExit("--seeds must be between 1 and --repeats")
    kspecs = [s.strip() if s.strip() == "auto" else int(s) for s in args.k.split(",") if s.strip()]
    warnings.filterwarnings("ignore")
    import spikeinterface
    if args.deterministic:
        seeded_rngs()

    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    x, probe, gt = ground_truth(args)
    ka = auto_k(x, args.auto_f)
    sd = float(np.std(x.astype(np.float64)))
    out = [f"## Sorting before and after near-lossless coding ({started})\n",
           f"Command: `python bench/sorting.py {' '.join(sys.argv[1:])}`; spikeinterface {spikeinterface.__version__}, "
           f"sorter {args.sorter} (n_jobs {args.n_jobs}, numpy default_rng seeded: {bool(args.deterministic)}); "
           f"ground truth: {args.channels} channels (Neuropixels-1.0-like), {args.units} units (alpha "
           f"{args.alpha[0]:g}-{args.alpha[1]:g} uV), {args.duration:g} s at {RATE} Hz, seed {args.seed}, noise "
           f"{NOISE_UV:g} uV at {GAIN_UV} uV/LSB; int16 SD {sd:.2f} LSB; auto K (F={args.auto_f}) = {ka}; "
           f"generated in {time.perf_counter() - t0:.0f} s.\n"]
    print(out[0] + "\n" + out[1], flush=True)
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    print(lines[0] + "\n" + lines[1], flush=True)

    def emit(cells):
        line = "| " + " | ".join(cells) + " |"
        print(line, flush=True)
        lines.append(line)

    lossless_bytes = {"round": pcodec_bytes(x)}
    if "spikey" in codecs:
        import spikey
        data = spikey.encode_samples(x, RATE, level=args.level, max_error=0)
        if not np.array_equal(np.asarray(spikey.decode_samples(data)).reshape(x.shape), x):
            raise SystemExit("FAIL: spikey max_error=0 is not lossless")
        lossless_bytes["spikey"] = len(data)
    with tempfile.TemporaryDirectory(prefix="sorting-") as tmp:
        sorting = Sorting(args, probe, gt, tmp)
        base = []
        for r in range(args.repeats):
            s = sorting.score(x, seed=r)
            base.append(s["mean"])
            ratio = " / ".join(f"{c} {x.nbytes / lossless_bytes[c]:.3f}" for c in lossless_bytes)
            emit([f"lossless, seed {r}", "0", ratio, "1", "0", "0", str(s["units"]), f"{s['mean']:.4f}",
                  f"{s['mean_matched']:.4f}", str(s["well"]), "", f"{s['seconds']:.0f}"])
        spread = (max(base) - min(base)) / float(np.mean(base)) * 100
        ref = float(np.mean(base[:args.seeds]))
        if args.check_repeat:
            s = sorting.score(x, seed=0)
            emit(["lossless, seed 0 again", "0", "", "1", "0", "0", str(s["units"]), f"{s['mean']:.4f}",
                  f"{s['mean_matched']:.4f}", str(s["well"]), f"{(s['mean'] - base[0]) / base[0] * 100:+.2f}",
                  f"{s['seconds']:.0f}"])
        note = (f"Lossless: mean accuracy {float(np.mean(base)):.4f} over {args.repeats} sorter seeds "
                f"(0..{args.repeats - 1}), spread (max - min) {spread:.2f} % of it (the sorter's own variability, "
                f"for judging a change); every other row is the mean over sorter seeds 0..{args.seeds - 1} and its "
                f"change is against the lossless mean over the same seeds ({ref:.4f}).")
        print(note, flush=True)
        for kspec in kspecs:
            k = ka if kspec == "auto" else kspec
            for codec in codecs:
                name = f"spikey {args.level}" if codec == "spikey" else codec
                y, n = code(codec, x, k, args.level)
                e = y.astype(np.int32) - x.astype(np.int32)
                runs = [sorting.score(y, seed=r) for r in range(args.seeds)]
                s = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
                s["seconds"] = sum(r["seconds"] for r in runs)
                ratio = f"{x.nbytes / n:.3f}" if n else "n/a"
                emit([name, f"auto={k}" if kspec == "auto" else str(k), ratio,
                      f"{lossless_bytes[codec] / n:.3f}" if n else "n/a", str(int(np.abs(e).max())),
                      f"{math.sqrt(np.mean(e.astype(np.float64) ** 2)):.3f}", f"{s['units']:.3g}", f"{s['mean']:.4f}",
                      f"{s['mean_matched']:.4f}", f"{s['well']:.3g}", f"{(s['mean'] - ref) / ref * 100:+.2f}",
                      f"{s['seconds']:.0f}"])
                del y, e
    total = f"Total time {time.perf_counter() - t0:.0f} s."
    print(total)
    out += ["\n".join(lines) + "\n", note + " " + total + "\n"]
    if args.out:
        Path(args.out).write_text("\n".join(out))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
