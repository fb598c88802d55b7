"""Compression ratio: real encode -> decode -> byte compare of every file, pair or recording.

    python bench/ratio.py DIR [-j JOBS] [--ablation] [--quiet] [--validation] [--level LEVEL]
    python bench/ratio.py --pairs DIR [-j JOBS] [--quiet] [--level LEVEL]
    python bench/ratio.py --multichannel DIR [--level LEVEL]
    python bench/ratio.py --code-sets [--data DIR] [--multichannel DIR]

DIR: prints per-file ratio and bits/sample, then totals for all files and for the train/validation
split (challenge counting: encode, decode and weights/ added to the compressed bytes of every total),
and how many channel-blocks took each code set. --ablation also codes every file's bin indices with
parts of the model switched off, each row an encode -> decode -> compare of the indices (block by
block, as the stream codes them) plus the file's real stream overhead (the stream less its channel
payloads): the online predictor alone on uniform bins; + the learned code-width table; the same with a
fixed per-file variance; + the learned head (the full model: the stream's own payloads).

--pairs DIR: each simultaneous pair of DIR's recordings (spikey.training.topology.simultaneous_pairs,
as `spikey topology` finds them) coded as one 2-channel WAV, beside the same two mono files coded
apart; ratios are raw bytes / stream bytes (streams only, no codec files added).

--multichannel DIR: each NAME.npy (int16, (samples, channels)) coded as the .npy file (codec.encode)
and as samples (codec.encode_samples): channels, frames, ratio (raw int16 bytes of the samples /
stream bytes), bits/sample, the code sets the channel-blocks took, encode and decode seconds.

--code-sets: what each code set buys: on synthetic cases built from a challenge recording and on each
multichannel recording, the stream's bytes with the code sets the encoder chose against the same
stream with every channel forced onto a plain step-1 lattice over the whole int16 range (what format
v1's 'identity' table did).
"""
import argparse
import json
import sys
import time
from collections import Counter
from functools import partial
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not {"--multichannel", "--code-sets"} & set(sys.argv):
    # The split, the topology and the ablation's loops need the codec's numba functions: spikey.training
    # switches the kernels to the numba JIT (same bytes), and must come before the codec. --multichannel
    # and --code-sets run the codec as installed (its ahead-of-time kernels where built for this source),
    # so that their timings are the executables'.
    import spikey.training  # noqa: F401

from spikey import codec, profiles, codesets, containers, stream  # noqa: E402
from spikey import model as models  # noqa: E402
from spikey import predictor as pred  # noqa: E402
from spikey.jit import njit  # noqa: E402
from spikey.bins import BinTable, lattice_table  # noqa: E402

CODINGS = {codesets.ADC: "ADC", codesets.LATTICE: "LATTICE", codesets.VALUE_SET: "VALUE_SET",
           codesets.VERBATIM: "VERBATIM"}


# ---- what a stream holds ---------------------------------------------------------------------------

def stream_channels(data: bytes) -> list:
    """[(block start, block stop, [stream.Channel per channel])] of a stream, read block by block."""
    import io
    s = codec.Opened(io.BytesIO(data), len(data))
    h = s.header
    out = []
    for i in range(h.n_blocks):
        a, b = h.block_span(i)
        channels = stream.read_block(s.block_bytes(i), h, b - a)[0]
        out.append((a, b, channels))
    return out


def payload_bytes(blocks) -> int:
    return sum(len(c.payload) for _, _, channels in blocks for c in channels)


def coding_counts(blocks) -> Counter:
    return Counter(CODINGS[c.code_set.coding] for _, _, channels in blocks for c in channels)


def counts_text(counts: Counter) -> str:
    return " ".join(f"{name} {counts[name]}" for name in CODINGS.values() if counts[name]) or "-"


# ---- challenge files, and the ablation --------------------------------------------------------------

@njit(cache=True)
def rls_error_power(centres_seq):
    """Mean squared error of the online predictor over a file: the best fixed variance for it."""
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, pred.VAR_INIT)
    total = 0.0
    for t in range(len(centres_seq)):
        mu = pred.predict(w, h)
        total += (centres_seq[t] - mu) ** 2
        pred.update(w, P, h, gain, var, 0.0, t, centres_seq[t], mu)
    return total / max(len(centres_seq), 1)


def _ablation_bytes(table, idx, spans, var_init, var_rate, head):
    """Payload bytes of idx coded block by block (a fresh coder per block, as the stream does) with the
    coder's kernels called directly: a variant of the model, so not through Model.encode."""
    from spikey import distribution as dist
    from spikey.coder import decode_bins, encode_bins
    args = (table.edges, table.centres, dist.GAUSSIAN_CDF, var_init, var_rate, *head)
    total = 0
    for a, b in spans:
        part = np.ascontiguousarray(idx[a:b])
        none, out = np.zeros((len(part), 0)), np.empty(len(part))
        payload = encode_bins(part, none, none, *args, out)
        back = decode_bins(payload, len(part), none, none, *args[:2], table.cells, *args[2:], out)
        assert np.array_equal(back, part), "ablation variant failed to round-trip"
        total += len(payload)
    return total


def measure(path, ablation, level):
    model = models.default()
    raw = path.read_bytes()
    encoded = codec.encode(raw, level=level)
    if codec.decode(encoded) != raw:
        raise SystemExit(f"LOSSLESS FAILURE: {path}")
    blocks = stream_channels(encoded)
    layout, frames = containers.read_recording(path)
    payload = payload_bytes(blocks)
    row = {"name": path.name, "raw": len(raw), "coded": len(encoded), "samples": frames.size,
           "overhead": len(encoded) - payload, "codings": coding_counts(blocks)}
    if ablation:
        from spikey.network import untrained_heads
        adc = model.adc
        samples = np.ascontiguousarray(frames[:, 0])
        idx, _ = adc.indices(samples)
        spans = [(a, b) for a, b, _ in blocks]
        uniform = BinTable.from_widths(adc.values, np.ones(len(adc.values)))
        fixed_var = rls_error_power(adc.centres[idx])
        off = tuple(a[0] for a in untrained_heads())
        row["online, uniform bins"] = _ablation_bytes(uniform, idx, spans, pred.VAR_INIT, pred.VAR_RATE, off)
        row["online + width table"] = _ablation_bytes(adc, idx, spans, pred.VAR_INIT, pred.VAR_RATE, off)
        row["online + widths, fixed variance"] = _ablation_bytes(adc, idx, spans, fixed_var, 0.0, off)
        row["full model (+ head)"] = payload
    return row


ABLATION = ("online, uniform bins", "online + width table", "online + widths, fixed variance",
            "full model (+ head)")


def codec_bytes():
    files = [ROOT / "encode", ROOT / "decode", *sorted(Path(models.WEIGHTS_DIR).iterdir())]
    return sum(f.stat().st_size for f in files)


def total_line(label, rows, key, extra):
    raw = sum(r["raw"] for r in rows)
    coded = sum(r[key] + (r["overhead"] if key != "coded" else 0) for r in rows) + extra
    samples = sum(r["samples"] for r in rows)
    return (f"{label:<50} files {len(rows):4d}  ratio {raw / coded:.4f}  bits/sample {8 * coded / samples:.4f}"
            f"  (streams alone: ratio {raw / (coded - extra):.4f}, bits/sample {8 * (coded - extra) / samples:.4f})")


def folder(args):
    from spikey.training.split import is_validation
    files = [f for f in sorted(args.folder.glob("*.wav")) if is_validation(f.name) or not args.validation]
    with Pool(args.jobs) as pool:
        rows = pool.starmap(measure, [(f, args.ablation, args.level) for f in files])
    if not args.quiet:
        for r in rows:
            print(f"{r['name']:<44} {r['raw']:9d} -> {r['coded']:8d}  ratio {r['raw'] / r['coded']:.4f}  "
                  f"bits/sample {8 * r['coded'] / r['samples']:.4f}  {counts_text(r['codings'])}")
    extra = codec_bytes()
    print(f"codec files (encode, decode, weights/): {extra} bytes, added to every total below")
    print(f"code sets (channel-blocks): {counts_text(sum((r['codings'] for r in rows), Counter()))}; "
          f"stream overhead (stream less payloads) {sum(r['overhead'] for r in rows)} bytes in all")
    groups = [("all", rows), ("train split", [r for r in rows if not is_validation(r["name"])]),
              ("validation split", [r for r in rows if is_validation(r["name"])])]
    for label, group in groups:
        if group:
            print(total_line(label, group, "coded", extra))
    if args.ablation:
        for label, group in (g for g in groups[1:] if g[1]):
            for key in ABLATION:
                print(total_line(f"{label}: {key}", group, key, extra))


# ---- simultaneous pairs as 2-channel recordings -------------------------------------------------------

def _round_trip(raw: bytes, what: str, level: str) -> int:
    encoded = codec.encode(raw, level=level)
    if codec.decode(encoded) != raw:
        raise SystemExit(f"LOSSLESS FAILURE: {what}")
    return len(encoded)


def measure_pair(path_a: Path, path_b: Path, level: str):
    layout_a, xa = containers.read_recording(path_a)
    layout_b, xb = containers.read_recording(path_b)
    assert len(xa) == len(xb) and layout_a.channels == layout_b.channels == 1
    x = np.concatenate([xa, xb], axis=1)
    raw2 = containers.wav.header(len(x), 2, layout_a.rate) + x.astype("<i2").tobytes()
    coded2 = _round_trip(raw2, f"pair {path_a.name} + {path_b.name}", level)
    raw_a, raw_b = path_a.read_bytes(), path_b.read_bytes()
    coded_a, coded_b = _round_trip(raw_a, path_a.name, level), _round_trip(raw_b, path_b.name, level)
    return {"a": path_a.name, "b": path_b.name, "samples": x.size, "raw2": len(raw2), "coded2": coded2,
            "raw1": len(raw_a) + len(raw_b), "coded1": coded_a + coded_b}


def pairs(args):
    from spikey.training import split
    from spikey.training.topology import simultaneous_pairs
    files = split.wav_files(args.pairs)
    recordings = [split.read_samples(f) for f in files]
    found = simultaneous_pairs([f.name for f in files], recordings)
    del recordings
    print(f"{len(found)} simultaneous pairs in {args.pairs}")
    with Pool(args.jobs) as pool:
        rows = pool.starmap(measure_pair, [(args.pairs / p["a"], args.pairs / p["b"], args.level) for p in found])
    for p, r in zip(found, rows, strict=True):
        r["r"] = p["r"]
    if not args.quiet:
        for r in rows:
            print(f"{r['a'][:8]} + {r['b'][:8]}  r {r['r']:+.3f}  2-channel ratio {r['raw2'] / r['coded2']:.4f}  "
                  f"mono apart {r['raw1'] / r['coded1']:.4f}  ({r['coded2']} vs {r['coded1']} bytes)")

    def line(label, group):
        raw2, coded2 = sum(r["raw2"] for r in group), sum(r["coded2"] for r in group)
        raw1, coded1 = sum(r["raw1"] for r in group), sum(r["coded1"] for r in group)
        samples = sum(r["samples"] for r in group)
        print(f"{label:<24} pairs {len(group):4d}  2-channel WAV ratio {raw2 / coded2:.4f} "
              f"({8 * coded2 / samples:.4f} bits/sample)   two mono files apart ratio {raw1 / coded1:.4f} "
              f"({8 * coded1 / samples:.4f} bits/sample)   streams only")
    line("all pairs", rows)
    strong = [r for r in rows if abs(r["r"]) >= 0.5]
    if strong:
        line("pairs with |r| >= 0.5", strong)


# ---- multi-channel recordings -------------------------------------------------------------------------

def _rate_of(npy: Path) -> int:
    meta = npy.with_suffix(".json")
    if meta.exists():
        return int(round(json.loads(meta.read_text()).get("sampling_rate_hz", 0)))
    return 0


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def multichannel(args):
    files = sorted(args.multichannel.glob("*.npy"))
    codec.encode_samples(np.zeros((16, 1), np.int16))      # load the kernels before any clock runs
    from spikey.kernels import KIND
    print(f"kernels: {KIND}")
    print(f"{'recording':<20} {'ch':>3} {'frames':>8}  {'door':<8} {'ratio':>7} {'bits/sample':>11}  "
          f"{'enc s':>6} {'dec s':>6}  code sets (channel-blocks)")
    totals = Counter()
    for npy in files:
        raw = npy.read_bytes()
        x = np.load(npy)
        if x.dtype != np.int16 or x.ndim != 2:
            print(f"{npy.name}: not int16 (samples, channels), skipped")
            continue
        frames, channels = x.shape
        samples_bytes = x.size * 2
        encoded, t_enc = _timed(partial(codec.encode, level=args.level), raw)
        back, t_dec = _timed(codec.decode, encoded)
        if back != raw:
            raise SystemExit(f"LOSSLESS FAILURE: {npy} (file)")
        s_encoded, ts_enc = _timed(partial(codec.encode_samples, level=args.level), x, _rate_of(npy))
        y, ts_dec = _timed(codec.decode_samples, s_encoded)
        if not (y.shape == x.shape and np.array_equal(y, x)):
            raise SystemExit(f"LOSSLESS FAILURE: {npy} (samples)")
        for door, data, te, td in (("npy file", encoded, t_enc, t_dec), ("samples", s_encoded, ts_enc, ts_dec)):
            counts = coding_counts(stream_channels(data))
            print(f"{npy.stem:<20} {channels:3d} {frames:8d}  {door:<8} {samples_bytes / len(data):7.4f} "
                  f"{8 * len(data) / x.size:11.4f}  {te:6.2f} {td:6.2f}  {counts_text(counts)}")
            totals[door + " raw"] += samples_bytes
            totals[door + " coded"] += len(data)
    for door in ("npy file", "samples"):
        if totals[door + " coded"]:
            print(f"{'total':<20} {'':>3} {'':>8}  {door:<8} {totals[door + ' raw'] / totals[door + ' coded']:7.4f}")


# ---- what the code sets buy ---------------------------------------------------------------------------

FULL_RANGE = (0, 1, -32768, 32767)    # a step-1 lattice over every int16: format v1's 'identity' table


def forced_stream_bytes(x: np.ndarray, model) -> tuple[int, int, Counter]:
    """(stream bytes as the encoder codes x (frames, channels), the same stream with every channel-block
    forced to the full-range step-1 lattice, the code sets chosen); both round-tripped."""
    encoded = codec.encode_samples(x)
    if not np.array_equal(codec.decode_samples(encoded), x):
        raise SystemExit("LOSSLESS FAILURE in --code-sets")
    blocks = stream_channels(encoded)
    table = lattice_table(*FULL_RANGE)
    forced = len(encoded)
    for a, b, channels in blocks:
        for c, chosen in enumerate(channels):
            idx = (x[a:b, c].astype(np.int32) + 32768)
            trial = idx[:profiles.PROFILES[0].trial_samples]
            head = int(np.argmin([len(model.encode(table, trial, i)) for i in range(model.n_heads)]))
            payload = model.encode(table, idx, head)
            if not np.array_equal(model.decode(table, payload, len(idx), head), idx):
                raise SystemExit("LOSSLESS FAILURE: forced full-range lattice")
            plain = stream.Channel(codesets.CodeSet(codesets.LATTICE, *FULL_RANGE), head, [], payload)
            forced += len(stream.write_channel(plain)) - len(stream.write_channel(chosen))
    return len(encoded), forced, coding_counts(blocks)


def code_sets(args):
    model = models.default()
    files = sorted(args.data.glob("*.wav"))
    if not files:
        raise SystemExit(f"no .wav files in {args.data}")
    _, s = containers.read_recording(files[0])
    s = s[:, 0].astype(np.int64)
    x = s // 64                                      # a realistic 10-bit signal (the challenge ADC's codes)
    cases = [
        (f"challenge {files[0].name[:8]} as recorded", s),
        ("x*12+3 (lattice, step 12)", x * 12 + 3),
        ("x*4-2048 (lattice, step 4)", x * 4 - 2048),
        ("10-bit range 0..1023", np.clip(x - x.min(), 0, 1023)),
        ("unsigned 12-bit: samples//16+2048", np.clip(s // 16 + 2048, 0, 4095)),
    ]
    locust = args.multichannel / "locust_t01.npy"
    if locust.exists():
        cases.append(("unsigned 12-bit: locust_t01 ch0", np.load(locust)[:, 0].astype(np.int64)))
    print(f"x = {files[0].name} samples // 64 ({len(x)} samples, {x.min()}..{x.max()}); bytes of the whole "
          "stream, chosen code sets vs every channel forced to lattice(0, 1, -32768, 32767)")
    print(f"{'case':<44} {'samples':>9} {'chosen':>9} {'forced':>9} {'gain':>7}  chosen code sets")

    def row(label, y):
        chosen, forced, counts = forced_stream_bytes(y, model)
        print(f"{label:<44} {y.size:9d} {chosen:9d} {forced:9d} {forced / chosen:6.3f}x  {counts_text(counts)}"
              f"   ({8 * chosen / y.size:.3f} vs {8 * forced / y.size:.3f} bits/sample)")
        return chosen, forced

    for label, y in cases:
        row(label, np.ascontiguousarray(y.astype(np.int16)[:, None]))
    total = np.zeros(2, dtype=np.int64)
    for npy in sorted(args.multichannel.glob("*.npy")):
        total += row(f"multichannel {npy.stem}", np.load(npy))
    if total[0]:
        print(f"{'multichannel, all recordings':<44} {'':>9} {total[0]:9d} {total[1]:9d} {total[1] / total[0]:6.3f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, nargs="?")
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--validation", action="store_true", help="only the validation split's recordings")
    ap.add_argument("--pairs", type=Path, metavar="DIR", help="simultaneous pairs of DIR as 2-channel WAVs")
    ap.add_argument("--multichannel", type=Path, metavar="DIR", help="NAME.npy multi-channel recordings")
    ap.add_argument("--code-sets", action="store_true", help="chosen code sets vs a full-range lattice")
    ap.add_argument("--level", default="default", choices=profiles.NAMES, help="DIR, --pairs, --multichannel")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                    help="--code-sets: the challenge recordings the synthetic cases are made from")
    args = ap.parse_args()
    if args.code_sets:
        args.multichannel = args.multichannel or ROOT.parent / "shared" / "multichannel"
        code_sets(args)
    elif args.pairs:
        pairs(args)
    elif args.multichannel:
        multichannel(args)
    elif args.folder:
        folder(args)
    else:
        ap.error("give DIR, --pairs DIR, --multichannel DIR or --code-sets")


if __name__ == "__main__":
    main()
