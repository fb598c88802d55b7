"""Near-lossless coding and the science: ratio, error, spike-band SNR and spike-detection agreement per
maximum error K (issue 21, item 4), Spikey beside rounding + pcodec, rounding + Blosc and WavPack hybrid.

    python bench/nearlossless.py                                    # every codec; Spikey needs max_error
    python bench/nearlossless.py --codecs round-pcodec,round-blosc,wavpack --out docs/near-lossless-draft.md
    python bench/nearlossless.py [--k 0,1,2,4,8,auto] [--auto-f 0.5] [--level default] [--challenge 20]
                                 [--recordings locust_t01,yass_np10] [--match spikey] [--pcodec-level 8]

Python: any environment with the codec's own dependencies plus scipy, numcodecs and pcodec (`pip install
pcodec`), e.g. /work/venv-si of bench/sorting.py (`/work/venv-si/bin/python bench/nearlossless.py ...`);
wavpack/wvunpack on PATH (5.6 here). Spikey is imported from this checkout (in a fresh environment its
kernels compile once, before the rows are timed).

Data: every /work/shared/multichannel/NAME.npy (int16, (samples, channels); rate from NAME.json), one
recording at a time, and --challenge N files of /work/shared/data (16-bit mono WAV, every (600/N)'th of
the sorted names), each file coded on its own and the group's figures pooled over its files.

K: the largest error allowed, in the array's integer units (K = 0: lossless). "auto" is, per recording
(per file for the challenge group), K = floor(F * MAD(first differences) / (0.6745 * sqrt(2))) with
F = --auto-f (0.5): F times the noise's standard deviation as the MAD of the first differences estimates
it (channels pooled). The harness computes that K itself and passes it as an integer to every codec, so
every codec is held to the same K; the table says which K it used.

Codecs (--codecs, comma separated):
  spikey        spikey.encode_samples(x, rate, level=--level, max_error=K) -> spikey.decode_samples; only
                where encode_samples accepts max_error (signature inspection), else the bench stops with
                one line. Every decoded sample is checked: |decoded - x| <= K, or the bench stops.
  round-pcodec  x -> q = round(x / (2K+1)) (int16), pcodec standalone (level --pcodec-level, 8 = its
                default) channel by channel; decoded x' = clip(q * (2K+1)) into int16, |x' - x| <= K.
  round-blosc   the same q, Blosc zstd level 9 + bitshuffle (numcodecs, one thread) over 1 s chunks of
                all channels (the common default the reference table uses).
  wavpack       WavPack 5.6 hybrid lossy: `wavpack -hh --blocksize=65536 --pair-unassigned-chans -b<bits>`
                of a 16-bit WAV of the samples, `wvunpack` back; <bits> (2.0..23.9 bits/sample) found by
                bisection so that WavPack's ratio is within 1 % of the --match codec's ratio at the same K
                (--match: spikey where it runs, else round-pcodec). WavPack gives no error bound: its max and
                RMS error are what it did. At K = 0 it is plain lossless WavPack, same options. Where the
                target ratio is outside what -b2.0..-b23.9 reaches, the row says so (-b2.0 is then coded).
  wavpack-s0    the same with -s0: no noise shaping. WavPack's default shapes the error's spectrum (more
                error in total, less of it in the spike band); -s0 gives it the lower max and RMS error of
                the two at the same ratio, so it is the comparator for the max/RMS targets.

Figures per row: ratio = raw int16 bytes / compressed bytes (WavPack: its .wv file, WAV header included);
max |error| and RMS error in LSB; SNR full = power of (x - its mean) / power of the error, dB;
spike-band SNR = power of the band-passed original / power of the band-passed error, dB, band-pass 300 to
min(6000, 0.45 * rate) Hz, Butterworth order 5 forward-backward (scipy sosfiltfilt; SpikeInterface's
bandpass_filter default), per channel; n/a where the band is empty (the 160 Hz EEG).
Detection: per channel, on the band-passed trace, the onsets of crossings below -5 sigma with
sigma = MAD / 0.6745 of that trace (the original's and the reconstruction's each their own, as a
pipeline would detect on each); an onset is a sample below the threshold whose predecessor is not.
Reconstruction events are matched one to one to the original's within +/-0.5 ms (greedy in time);
precision = matched / reconstruction's events, recall = matched / original's events.
"""
import argparse
import inspect
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
# bench/ holds zarr.py: off the path, so that `import zarr` (SpikeInterface, numcodecs) finds the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402

DATA = Path("/work/shared/data")
MULTI = Path("/work/shared/multichannel")
CODECS = ("spikey", "round-pcodec", "round-blosc", "wavpack", "wavpack-s0")
WAVPACKS = {"wavpack": [], "wavpack-s0": ["-s0"]}
BAND = (300.0, 6000.0)
ORDER = 5
THRESHOLD = 5.0          # detection threshold in MAD-sigmas
MATCH_MS = 0.5           # detection matching tolerance, +/- ms
WAVPACK_OPTS = ["-hh", "--blocksize=65536", "--pair-unassigned-chans"]
WAVPACK_BITS = (2.0, 23.9)
MATCH_TOL = 0.01         # WavPack's ratio within 1 % of the target


# ---- data ------------------------------------------------------------------------------------------

def read_wav(path) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV (any channel count, plain or extensible header) -> (frames, channels) int16, rate."""
    b = Path(path).read_bytes()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        raise SystemExit(f"{path}: not a RIFF/WAVE file")
    pos, channels, rate, bits = 12, None, None, None
    while pos + 8 <= len(b):
        cid, n = struct.unpack("<4sI", b[pos:pos + 8])
        if cid == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", b[pos + 8:pos + 24])
        elif cid == b"data":
            if bits != 16:
                raise SystemExit(f"{path}: {bits}-bit samples, not 16")
            n = min(n, len(b) - pos - 8)
            x = np.frombuffer(b[pos + 8:pos + 8 + n - n % (2 * channels)], "<i2")
            return x.reshape(-1, channels).copy(), rate
        pos += 8 + n + (n & 1)
    raise SystemExit(f"{path}: no data chunk")


def write_wav(path, x: np.ndarray, rate: int):
    """Plain 44-byte-header 16-bit PCM WAV of x (frames, channels)."""
    frames, channels = x.shape
    data = np.ascontiguousarray(x, "<i2").tobytes()
    head = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, channels, rate,
                       2 * channels * rate, 2 * channels, 16, b"data", len(data))
    Path(path).write_bytes(head + data)


@dataclass
class Part:
    """One coded unit (a recording, or one file of the challenge group) and its original's analysis."""
    name: str
    x: np.ndarray                 # (frames, channels) int16
    rate: int
    bp: np.ndarray | None = None  # band-passed original, float64 (frames, channels)
    events: list | None = None    # per channel: the original's detection onsets
    tol: int = 1
    auto_k: int = 0


def recordings(args):
    """Yield (group name, description, loader) one recording at a time: the loader returns its parts."""
    names = sorted(p.stem for p in MULTI.glob("*.npy"))
    if args.recordings:
        names = [n for n in names if n in args.recordings.split(",")]
    for name in names:
        def load(name=name):
            meta = json.loads((MULTI / f"{name}.json").read_text())
            x = np.load(MULTI / f"{name}.npy")
            assert x.dtype == np.int16 and x.ndim == 2, (name, x.dtype, x.shape)
            return [Part(name, x, int(meta["sampling_rate_hz"]))]
        yield name, f"multichannel/{name}", load
    if args.challenge and (not args.recordings or "challenge" in args.recordings.split(",")):
        files = sorted(DATA.glob("*.wav"))
        step = max(1, len(files) // args.challenge)
        chosen = files[::step][:args.challenge]

        def load_challenge():
            parts = []
            for f in chosen:
                x, rate = read_wav(f)
                parts.append(Part(f.stem, x, rate))
            return parts
        yield "challenge", f"challenge data, {len(chosen)} files (every {step}th of {len(files)} sorted)", \
            load_challenge


def band(rate):
    lo, hi = BAND[0], min(BAND[1], 0.45 * rate)
    return (lo, hi) if hi > lo * 1.5 else None


def bandpass(x: np.ndarray, rate: int) -> np.ndarray | None:
    b = band(rate)
    if b is None:
        return None
    sos = signal.butter(ORDER, b, btype="bandpass", fs=rate, output="sos")
    return signal.sosfiltfilt(sos, x.astype(np.float64), axis=0)


def mad_sigma(v: np.ndarray) -> float:
    return float(np.median(np.abs(v - np.median(v))) / 0.6745)


def onsets(bp: np.ndarray) -> list:
    """Per channel, the sample indices where the trace first goes below -THRESHOLD sigma."""
    out = []
    for c in range(bp.shape[1]):
        v = bp[:, c]
        below = v < -THRESHOLD * mad_sigma(v)
        out.append(np.flatnonzero(below[1:] & ~below[:-1]) + 1)
    return out


def matched(a: np.ndarray, b: np.ndarray, tol: int) -> int:
    """How many of a's events pair one to one with b's within +/- tol samples (greedy in time)."""
    i = j = n = 0
    while i < len(a) and j < len(b):
        if b[j] < a[i] - tol:
            j += 1
        elif b[j] > a[i] + tol:
            i += 1
        else:
            n += 1
            i += 1
            j += 1
    return n


def auto_k(x: np.ndarray, f: float) -> int:
    d = np.diff(x.astype(np.int32), axis=0).ravel()
    if d.size == 0:
        return 0
    return int(math.floor(f * np.median(np.abs(d - np.median(d))) / (0.6745 * math.sqrt(2))))


def analyse(part: Part, f: float):
    part.bp = bandpass(part.x, part.rate)
    part.events = onsets(part.bp) if part.bp is not None else None
    part.tol = max(1, round(MATCH_MS * 1e-3 * part.rate))
    part.auto_k = auto_k(part.x, f)


# ---- figures ---------------------------------------------------------------------------------------

@dataclass
class Tally:
    """A row's figures pooled over the parts of a group."""
    raw: int = 0
    packed: int = 0
    max_err: int = 0
    sq_err: float = 0.0
    n: int = 0
    sig: float = 0.0           # power of the original less its mean (per channel), summed
    bp_sig: float = 0.0
    bp_err: float = 0.0
    has_band: bool = False
    ev_orig: int = 0
    ev_rec: int = 0
    ev_match: int = 0
    ks: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    matched: bool = True       # WavPack: its ratio matched the target

    def add(self, part: Part, y: np.ndarray, packed: int, k: int):
        x = part.x
        if y.shape != x.shape:
            raise SystemExit(f"{part.name}: decoded shape {y.shape} != {x.shape}")
        e = y.astype(np.int32) - x.astype(np.int32)
        self.raw += x.nbytes
        self.packed += packed
        self.max_err = max(self.max_err, int(np.abs(e).max()))
        self.sq_err += float(np.sum(e.astype(np.float64) ** 2))
        self.n += e.size
        xf = x.astype(np.float64)
        self.sig += float(np.sum((xf - xf.mean(axis=0)) ** 2))
        self.ks.append(k)
        if part.bp is not None:
            self.has_band = True
            bpy = bandpass(y, part.rate)
            self.bp_sig += float(np.sum(part.bp ** 2))
            self.bp_err += float(np.sum((bpy - part.bp) ** 2))
            ev = onsets(bpy)
            for a, b in zip(part.events, ev, strict=True):
                self.ev_orig += len(a)
                self.ev_rec += len(b)
                self.ev_match += matched(a, b, part.tol)

    def row(self, codec: str, klabel: str) -> list[str]:
        def db(s, e):
            return "inf" if e == 0 else f"{10 * math.log10(s / e):.1f}"
        ks = sorted(set(self.ks))
        kused = str(ks[0]) if len(ks) == 1 else f"{ks[0]}..{ks[-1]}"
        rms = math.sqrt(self.sq_err / self.n)
        if self.has_band:
            snr_b = db(self.bp_sig, self.bp_err)
            prec = f"{self.ev_match / self.ev_rec:.4f}" if self.ev_rec else "n/a"
            rec = f"{self.ev_match / self.ev_orig:.4f}" if self.ev_orig else "n/a"
            events = f"{self.ev_orig}/{self.ev_rec}"
        else:
            snr_b = prec = rec = events = "n/a"
        return [codec, klabel, kused, f"{self.raw / self.packed:.4f}", str(self.max_err), f"{rms:.3f}",
                db(self.sig, self.sq_err), snr_b, prec, rec, events, f"{self.seconds:.1f}", "; ".join(self.notes)]


HEADER = ["codec", "K", "K used", "ratio", "max err", "RMS err", "SNR full dB", "spike-band SNR dB",
          "det. precision", "det. recall", "events orig/rec", "s", "notes"]


# ---- codecs ----------------------------------------------------------------------------------------

def spikey_supports_max_error() -> bool:
    import spikey
    try:
        return "max_error" in inspect.signature(spikey.encode_samples).parameters
    except (AttributeError, TypeError, ValueError):
        return False


def run_spikey(part: Part, k: int, level: str):
    import spikey
    data = spikey.encode_samples(part.x, part.rate, level=level, max_error=k)
    y = spikey.decode_samples(data)
    y = np.asarray(y).reshape(part.x.shape)
    err = int(np.abs(y.astype(np.int32) - part.x.astype(np.int32)).max())
    if err > k:
        raise SystemExit(f"FAIL: spikey level {level} max_error={k} on {part.name}: decoded max |error| {err} > {k}")
    return y, len(data)


def quantize(x: np.ndarray, k: int) -> np.ndarray:
    s = 2 * k + 1
    return np.rint(x.astype(np.float64) / s).astype(np.int16)


def dequantize(q: np.ndarray, k: int) -> np.ndarray:
    s = 2 * k + 1
    return np.clip(q.astype(np.int32) * s, -32768, 32767).astype(np.int16)


def checked(part: Part, y: np.ndarray, k: int, codec: str) -> np.ndarray:
    err = int(np.abs(y.astype(np.int32) - part.x.astype(np.int32)).max())
    if err > k:
        raise SystemExit(f"FAIL: {codec} K={k} on {part.name}: max |error| {err} > {k}")
    return y


def run_round_pcodec(part: Part, k: int, level: int):
    from pcodec import ChunkConfig, standalone
    q = quantize(part.x, k)
    total = 0
    back = np.empty_like(q)
    for c in range(q.shape[1]):
        blob = standalone.simple_compress(np.ascontiguousarray(q[:, c]), ChunkConfig(compression_level=level))
        total += len(blob)
        back[:, c] = standalone.simple_decompress(blob)
    if not np.array_equal(back, q):
        raise SystemExit(f"FAIL: pcodec round trip on {part.name}")
    return checked(part, dequantize(back, k), k, "round-pcodec"), total


def run_round_blosc(part: Part, k: int):
    from numcodecs import Blosc, blosc
    blosc.use_threads = False
    codec = Blosc(cname="zstd", clevel=9, shuffle=Blosc.BITSHUFFLE)
    q = quantize(part.x, k)
    total = 0
    back = np.empty_like(q)
    for a in range(0, len(q), part.rate):
        blob = codec.encode(np.ascontiguousarray(q[a:a + part.rate]))
        total += len(blob)
        back[a:a + part.rate] = np.frombuffer(codec.decode(blob), np.int16).reshape(-1, q.shape[1])
    if not np.array_equal(back, q):
        raise SystemExit(f"FAIL: blosc round trip on {part.name}")
    return checked(part, dequantize(back, k), k, "round-blosc"), total


class WavPack:
    """WavPack of a group's parts, one file each, in a scratch folder: encode at -b<bits> (or lossless)
    and decode."""

    def __init__(self, parts, tmp, extra):
        self.parts, self.tmp, self.extra = parts, Path(tmp), extra
        for i, p in enumerate(parts):
            if not (self.tmp / f"{i}.wav").exists():
                write_wav(self.tmp / f"{i}.wav", p.x, p.rate)

    def encode(self, bits) -> int:
        total = 0
        for i in range(len(self.parts)):
            opt = [] if bits is None else [*self.extra, f"-b{bits:.2f}"]    # -s is for hybrid mode only
            subprocess.run(["wavpack", "-q", "-y", *WAVPACK_OPTS, *opt, str(self.tmp / f"{i}.wav"), "-o",
                            str(self.tmp / f"{i}.wv")], check=True, capture_output=True)
            total += (self.tmp / f"{i}.wv").stat().st_size
        return total

    def decode(self, i: int) -> np.ndarray:
        subprocess.run(["wvunpack", "-q", "-y", str(self.tmp / f"{i}.wv"), "-o", str(self.tmp / f"{i}.back.wav")],
                       check=True, capture_output=True)
        y, _ = read_wav(self.tmp / f"{i}.back.wav")
        return y

    def bisect(self, target: float):
        """The -b bits whose ratio is nearest target (within MATCH_TOL when reachable), and a note."""
        raw = sum(p.x.nbytes for p in self.parts)
        lo, hi = WAVPACK_BITS
        r_lo = raw / self.encode(lo)          # fewest bits: highest ratio
        if r_lo < target * (1 - MATCH_TOL):
            return lo, f"target ratio {target:.3f} beyond reach: -b{lo} gives {r_lo:.3f}"
        r_hi = raw / self.encode(hi)
        if r_hi > target * (1 + MATCH_TOL):
            return hi, f"target ratio {target:.3f} below -b{hi}'s {r_hi:.3f}"
        best = (abs(r_lo / target - 1), lo)
        a, b = math.log(lo), math.log(hi)
        for _ in range(16):
            mid = math.exp((a + b) / 2)
            bits = round(mid, 2)
            r = raw / self.encode(bits)
            best = min(best, (abs(r / target - 1), bits))
            if abs(r / target - 1) <= MATCH_TOL:
                break
            if r > target:
                a = math.log(mid)
            else:
                b = math.log(mid)
        bits = best[1]
        self.encode(bits)
        return bits, f"-b{bits:.2f}"


# ---- main ------------------------------------------------------------------------------------------

def run_group(gname, desc, parts, args, codecs, kspecs, out, summary):
    t0 = time.perf_counter()
    for p in parts:
        analyse(p, args.auto_f)
    frames = sum(len(p.x) for p in parts)
    ch = sorted({p.x.shape[1] for p in parts})
    rates = sorted({p.rate for p in parts})
    b = band(rates[0])
    autos = sorted({p.auto_k for p in parts})
    head = (f"### {gname}\n\n{desc}: {len(parts)} part(s), {'/'.join(map(str, ch))} channel(s), {frames} frames, "
            f"{'/'.join(map(str, rates))} Hz; spike band {'%.0f-%.0f Hz' % b if b else 'n/a (rate too low)'}; "
            f"auto K (F={args.auto_f}) = {'..'.join(map(str, [autos[0], autos[-1]])) if len(autos) > 1 else autos[0]}; "
            f"analysis {time.perf_counter() - t0:.1f} s\n")
    print(head, flush=True)
    out.append(head)
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    print(lines[0] + "\n" + lines[1], flush=True)
    targets = {}
    with tempfile.TemporaryDirectory(prefix="nearlossless-") as tmp:
        wvs = {c: WavPack(parts, tmp, WAVPACKS[c]) for c in codecs if c in WAVPACKS}
        for kspec in kspecs:
            klabel = "auto" if kspec == "auto" else str(kspec)
            for codec in codecs:
                t = Tally()
                t1 = time.perf_counter()
                if codec in WAVPACKS:
                    wv = wvs[codec]
                    ks = [p.auto_k if kspec == "auto" else kspec for p in parts]
                    if all(k == 0 for k in ks):
                        wv.encode(None)
                        t.notes.append("lossless")
                    else:
                        target = targets.get(klabel)
                        if target is None:
                            t.notes.append(f"no {args.match} row to match")
                            continue
                        bits, note = wv.bisect(target)
                        t.notes.append(f"{note} (target {target:.3f})" if note.startswith("-b") else note)
                    sizes = [(wv.tmp / f"{i}.wv").stat().st_size for i in range(len(parts))]
                    for i, p in enumerate(parts):
                        t.add(p, wv.decode(i), sizes[i], ks[i])
                    t.matched = bool(t.notes) and t.notes[0].startswith("-b")
                else:
                    for p in parts:
                        k = p.auto_k if kspec == "auto" else kspec
                        if codec == "spikey":
                            y, n = run_spikey(p, k, args.level)
                        elif codec == "round-pcodec":
                            y, n = run_round_pcodec(p, k, args.pcodec_level)
                        else:
                            y, n = run_round_blosc(p, k)
                        t.add(p, y, n, k)
                    if codec == args.match:
                        targets[klabel] = t.raw / t.packed
                t.seconds = time.perf_counter() - t1
                name = f"spikey {args.level}" if codec == "spikey" else codec
                line = "| " + " | ".join(t.row(name, klabel)) + " |"
                summary.append(dict(group=gname, k=klabel, codec=codec, ratio=t.raw / t.packed, max=t.max_err,
                                    rms=math.sqrt(t.sq_err / t.n), matched=t.matched))
                print(line, flush=True)
                lines.append(line)
    out.append("\n".join(lines) + "\n")
    print(flush=True)


def targets_table(summary, match) -> str:
    """Per recording and K > 0: the --match codec against the WavPack variant with the lower max error at
    a matched ratio; the issue's targets are max error <= half of WavPack's and RMS error no worse."""
    rows = [f"| recording | K | {match} ratio | WavPack ratio | {match} max | WavPack max | max <= WavPack/2 | "
            f"{match} RMS | WavPack RMS | RMS <= WavPack |", "|" + "---|" * 10]
    for r in summary:
        if r["codec"] != match or r["k"] == "0":
            continue
        wvs = [w for w in summary if w["group"] == r["group"] and w["k"] == r["k"] and w["codec"] in WAVPACKS
               and w["matched"]]
        if not wvs:
            rows.append(f"| {r['group']} | {r['k']} | {r['ratio']:.3f} | not matched | {r['max']} | | | "
                        f"{r['rms']:.3f} | | |")
            continue
        w = min(wvs, key=lambda w: (w["max"], w["rms"]))
        rows.append(f"| {r['group']} | {r['k']} | {r['ratio']:.3f} | {w['ratio']:.3f} ({w['codec']}) | {r['max']} | "
                    f"{w['max']} | {'yes' if 2 * r['max'] <= w['max'] else 'no'} | {r['rms']:.3f} | {w['rms']:.3f} | "
                    f"{'yes' if r['rms'] <= w['rms'] else 'no'} |")
    return "\n".join(rows) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--codecs", default=",".join(CODECS))
    ap.add_argument("--k", default="0,1,2,4,8,auto", help="comma-separated K values and/or 'auto'")
    ap.add_argument("--auto-f", type=float, default=0.5)
    ap.add_argument("--level", default="default", choices=["fast", "default", "max"])
    ap.add_argument("--challenge", type=int, default=20, help="challenge files in the sample (0: none)")
    ap.add_argument("--recordings", default="", help="comma-separated names (multichannel stems, 'challenge')")
    ap.add_argument("--match", default=None, help="codec whose ratio WavPack matches (spikey if run, else "
                    "round-pcodec)")
    ap.add_argument("--pcodec-level", type=int, default=8)
    ap.add_argument("--out", default=None, help="write the markdown tables here")
    args = ap.parse_args()
    codecs = [c.strip() for c in args.codecs.split(",") if c.strip()]
    bad = [c for c in codecs if c not in CODECS]
    if bad:
        raise SystemExit(f"unknown codec(s) {bad}; choose from {','.join(CODECS)}")
    if "spikey" in codecs and not spikey_supports_max_error():
        raise SystemExit("spikey rows asked for, but this checkout's spikey.encode_samples has no max_error "
                         "parameter (near-lossless mode not here yet); run with --codecs without spikey")
    if "round-pcodec" in codecs:
        try:
            import pcodec  # noqa: F401
        except ImportError:
            raise SystemExit("round-pcodec needs pcodec: pip install pcodec") from None
    wavpacks = set(codecs) & set(WAVPACKS)
    if wavpacks and not (shutil.which("wavpack") and shutil.which("wvunpack")):
        raise SystemExit("wavpack rows need wavpack and wvunpack on PATH")
    if args.match is None:
        args.match = "spikey" if "spikey" in codecs else "round-pcodec"
    if wavpacks and args.match not in codecs:
        raise SystemExit(f"--match {args.match} is not among --codecs")
    # WavPack's rows need the matched codec's ratio first
    codecs = sorted(codecs, key=lambda c: (c in WAVPACKS, c != args.match))
    kspecs = [s.strip() if s.strip() == "auto" else int(s) for s in args.k.split(",") if s.strip()]
    if any(k != "auto" and k < 0 for k in kspecs):
        raise SystemExit("K must be >= 0")

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    wv = subprocess.run(["wavpack", "--version"], capture_output=True, text=True).stdout.split()
    versions = [f"numpy {np.__version__}", f"python {sys.version.split()[0]}"]
    if "round-pcodec" in codecs:
        from importlib.metadata import version
        versions.append(f"pcodec {version('pcodec')}")
    if "round-blosc" in codecs:
        import numcodecs
        versions.append(f"numcodecs {numcodecs.__version__}")
    if wavpacks and len(wv) > 1:
        versions.append(f"wavpack {wv[1]}")
    out = [f"## Near-lossless: ratio, error and detection per K ({started})\n",
           f"Command: `python bench/nearlossless.py {' '.join(sys.argv[1:])}`; {', '.join(versions)}; "
           f"WavPack matched to {args.match}'s ratio; detection: onsets below -{THRESHOLD:g} MAD-sigma of the "
           f"{BAND[0]:.0f}-{BAND[1]:.0f} Hz band (Butterworth {ORDER}, forward-backward), matched within "
           f"+/-{MATCH_MS} ms; 's': seconds for the row (encode + decode + figures).\n"]
    print(out[0])
    print(out[1], flush=True)
    if "spikey" in codecs:
        import spikey
        t = time.perf_counter()
        noise = np.random.default_rng(0).normal(0, 20, (8192, 4)).astype(np.int16)
        for k in (0, 1):
            spikey.decode_samples(spikey.encode_samples(noise, 30000, level=args.level, max_error=k))
        print(f"spikey warm-up (kernels loaded or compiled, outside the rows' times): "
              f"{time.perf_counter() - t:.1f} s\n", flush=True)
    t0 = time.perf_counter()
    summary = []
    for gname, desc, load in recordings(args):
        parts = load()
        run_group(gname, desc, parts, args, codecs, kspecs, out, summary)
        del parts
    if wavpacks:
        table = targets_table(summary, args.match)
        head = (f"### Targets: {args.match} against WavPack hybrid at the same ratio\n\nWavPack: of wavpack and "
                f"wavpack-s0 (where its ratio matched), the one with the lower max error.\n")
        print(head)
        print(table)
        out += [head, table]
    total = f"Total time {time.perf_counter() - t0:.0f} s.\n"
    print(total)
    out.append(total)
    if args.out:
        Path(args.out).write_text("\n".join(out))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
