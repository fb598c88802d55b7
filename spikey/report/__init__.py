"""`spikey report`: one self-contained HTML page of figures on what the codec did with recordings or streams.

Per file the ratio and bits/sample, per channel of a multi-channel file its bits/sample, bits/sample over
time for the hardest recordings, the predictive distribution against the standardised residuals, the
topology (pairs across files, links within a file) and, where asked, other codecs beside Spikey.

Nothing is shown from a stream that does not round-trip: a recording is encoded in memory at the default
level and decoded back byte for byte, and a stream is decoded whole against its checksums, before it is
measured. The per-sample figures rerun the coder's loop with the range coder replaced by a record of each
sample's ideal code length and predictive Gaussian (ideal_bits).
"""
import base64
import html
import io
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

# ideal_bits is compiled around the coder's numba functions, so the codec must run on the numba JIT
# (the same bytes as the ahead-of-time build); spikey.training sets that up, and must come first.
import spikey.training  # noqa: F401

import numpy as np

from spikey import SpikeyError, batch, codec, codesets, coder, container, crosschannel, fileio, profiles, stream
from spikey import distribution as dist
from spikey import model as models
from spikey import network as net
from spikey import predictor as pred
from spikey.info import describe
from spikey.jit import njit
from spikey.progress import progress

WINDOW_S = 0.05                  # bits/sample over time: mean over windows this long
HARDEST = 3                      # recordings shown over time
PANELS = 6                       # multi-channel files shown per channel
Z_EDGES = np.linspace(-8, 8, 321)    # standardised residual histogram's bins
PAIR_MAX_FRAMES = 1 << 22        # mono recordings longer than this stay out of the pairs (kept in memory)
CODECS = {"flac": ["flac", "-8", "-s", "-f", "--channel-map=none", "{src}", "-o", "{dst}.flac"],
          "wavpack": ["wavpack", "-hh", "-q", "-y", "{src}", "-o", "{dst}.wv"]}
FLAC_MAX_CHANNELS = 8
NAMES = {"spikey": "Spikey", "flac": "FLAC -8", "wavpack": "WavPack -hh"}


# ---- per-sample code lengths ----------------------------------------------------------------------

@njit(cache=True)
def ideal_bits(idx, aux, edges, centres, table, var_init, var_rate, w1, b1, wr, w2, b2):
    """coder.encode_block's loop from a fresh state, with the range coder replaced by a record: each
    sample's ideal code length -log2(frequency / total) in bits, and the mean and 1/sigma it was coded with."""
    n_levels = len(centres)
    total = n_levels + dist.CDF_ONE
    s = coder.new_state(var_init, *net.state_sizes(b1, wr), aux.shape[1])
    w, P, h, gain, var, errors, x, z, rec = coder._views(s, *net.state_sizes(b1, wr), aux.shape[1])
    n = len(idx)
    bits, means, inv_sigmas = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        coder._set_aux(h, aux, i)
        mu, mean, inv_sigma = coder.predict(w, h, var, errors, x, z, rec, centres, w1, b1, wr, w2, b2)
        k = idx[i]
        lo = dist.cumulative(k, n_levels, edges, mean, inv_sigma, table)
        hi = dist.cumulative(k + 1, n_levels, edges, mean, inv_sigma, table)
        bits[i] = np.log2(total / (hi - lo))
        means[i], inv_sigmas[i] = mean, inv_sigma
        coder.observe(w, P, h, gain, var, errors, var_rate, i, centres[k], mu)
    return bits, means, inv_sigmas


def channel_bits(record: stream.Channel, x: np.ndarray, aux, model, profile):
    """(bits of each sample, standardised residuals or None, linearised samples) of one channel of one
    block. The default and max levels' records are rerun sample by sample; a verbatim record costs 16
    bits a sample, and a fast-level record (integer loop) its bytes spread evenly over the block."""
    n = len(x)
    if record.code_set.coding == codesets.VERBATIM:
        return np.full(n, 16.0), None, x.astype(np.float64)
    table = record.code_set.table(model.adc)
    idx, _ = table.indices(x)
    if profile.coder != "rls":
        return np.full(n, 8 * len(stream.write_channel(record)) / n), None, table.centres[idx]
    aux = aux if record.linked else np.zeros((n, 0))
    bits, mean, inv_sigma = ideal_bits(idx, aux, table.edges, table.centres, dist.GAUSSIAN_CDF, pred.VAR_INIT,
                                       pred.VAR_RATE, *model.head(record.head))
    return bits, (table.centres[idx] - mean) * inv_sigma, table.centres[idx]


def measure(data: bytes, model) -> dict:
    """Over a stream, block by block: bits/sample per window of frames (all channels), the histogram of
    standardised residuals, ideal and payload bits of the channels rerun, the first block's link
    correlations, and a short mono recording's samples."""
    s = codec.Opened(io.BytesIO(data), len(data), model)
    h = s.header
    profile = profiles.PROFILES[h.level]
    window = max(1, round(WINDOW_S * h.rate)) if h.rate else 1000
    bits = np.zeros(-(-h.frames // window))
    out = {"window": window, "histogram": np.zeros(len(Z_EDGES) - 1), "outside": 0, "residuals": 0,
           "ideal bits": 0.0, "payload bits": 0, "rerun": profile.coder == "rls", "link r": []}
    mono = []
    for i in range(h.n_blocks):
        a, b = h.block_span(i)
        records, _ = stream.read_block(s.block_bytes(i), h, b - a)
        x = s.frames(i)
        linear, block = [], np.zeros(b - a)
        for c, record in enumerate(records):
            aux = crosschannel.inputs([linear[j] for j in h.refs[c]]) if record.linked else None
            sample_bits, z, lin = channel_bits(record, np.ascontiguousarray(x[:, c]), aux, model, profile)
            linear.append(lin)
            block += sample_bits
            if z is not None:
                counts, _ = np.histogram(z, Z_EDGES)
                out["histogram"] += counts
                out["outside"] += len(z) - int(counts.sum())
                out["residuals"] += len(z)
                out["ideal bits"] += float(sample_bits.sum())
                out["payload bits"] += 8 * len(record.payload)
        bits += np.bincount((a + np.arange(b - a)) // window, weights=block, minlength=len(bits))
        if i == 0:
            r = crosschannel.correlations(x)
            out["link r"] = [[float(r[c, j]) for j in refs] for c, refs in enumerate(h.refs)]
        if h.channels == 1 and 1 < h.frames <= PAIR_MAX_FRAMES:    # for the pairs across files (of differences)
            mono.append(x[:, 0])
    out["mono"] = np.concatenate(mono) if mono else None
    frames_in = np.minimum(window, h.frames - window * np.arange(len(bits)))
    out["over time"] = bits / (frames_in * h.channels)
    return out


# ---- one input ------------------------------------------------------------------------------------

def _same_bytes(f, g) -> bool:
    f.seek(0)
    g.seek(0)
    while True:
        a, b = f.read(1 << 20), g.read(1 << 20)
        if a != b:
            return False
        if not a:
            return True


def _stream_of(path, f, size, channels, rate, tmp) -> tuple[bytes, str]:
    """(stream, path of the original file) of an input, checked to round-trip: a recording is encoded
    at the default level and decoded back byte for byte; a stream is decoded whole (its checksums)."""
    f.seek(0)
    if f.read(4) == stream.MAGIC:
        f.seek(0)
        data = f.read()
        h = codec.Opened(io.BytesIO(data), len(data), models.default()).header
        original = os.path.join(tmp, "original" + codec.extension_of(h))     # wavpack reads only *.wav
        with open(original, "w+b") as out:
            codec.decode_file(io.BytesIO(data), len(data), out)
        return data, original
    if container.probe(f, size, channels, rate) is None:
        raise SpikeyError("not int16 samples: Spikey stores this file whole, there is nothing to report")
    out = io.BytesIO()
    codec.encode_file(f, size, out, channels=channels, rate=rate, extension=os.path.splitext(path)[1][:255])
    data = out.getvalue()
    with tempfile.TemporaryFile() as back:
        codec.decode_file(io.BytesIO(data), len(data), back)
        if not _same_bytes(f, back):
            raise SpikeyError("the stream Spikey made of it does not decode to the same bytes (a fault of ours)")
    return data, path


def _compare(original, header, codecs, tmp) -> dict:
    """{codec: compressed bytes, or None where it does not apply} of a WAV original (flac refuses an empty one)."""
    sizes = {}
    for name in codecs:
        too_many = name == "flac" and header.channels > FLAC_MAX_CHANNELS
        if header.container != stream.WAV or not header.frames or too_many:
            sizes[name] = None
            continue
        command = [part.format(src=original, dst=os.path.join(tmp, "other")) for part in CODECS[name]]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            why = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise SpikeyError(f"{' '.join(command[:-3])} failed on it: {why}")
        sizes[name] = os.path.getsize(command[-1])
    return sizes


def analyse(path, channels=None, rate=0, codecs=()) -> dict:
    """Everything the report shows of one input (a recording or a stream). Runs in a worker process."""
    model = models.default()
    with fileio.opened_input(path) as (f, size), tempfile.TemporaryDirectory() as tmp:
        data, original = _stream_of(str(path), f, size, channels, rate, tmp)
        h = codec.Opened(io.BytesIO(data), len(data), model).header
        if h.container == stream.GENERIC:
            raise SpikeyError("the stream holds a file Spikey does not model: there is nothing to report")
        return {"name": Path(path).name, "stream": original != str(path), "info": describe(data),
                "file bytes": os.path.getsize(original), "refs": h.refs, **measure(data, model),
                "compare": _compare(original, h, codecs, tmp)}


# ---- figures --------------------------------------------------------------------------------------

def _png(fig) -> str:
    """The figure as base64 PNG, without matplotlib's address in its metadata: the page names no URL."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def _figure(width, height):
    from matplotlib.figure import Figure     # no pyplot: no global state, no display backend
    return Figure(figsize=(width, height), layout="constrained")


def ratio(r, codec_name="spikey"):
    size = r["info"]["stream bytes"] if codec_name == "spikey" else r["compare"].get(codec_name)
    return r["file bytes"] / size if size else np.nan


def bits_per_sample(r) -> float:
    """The whole stream's bits over the samples it holds."""
    info = r["info"]
    return 8 * info["stream bytes"] / max(info["frames"] * info["channels"], 1)


def _short(name: str, n: int = 12) -> str:
    return name if len(name) <= n else name[:n - 1] + "…"


def ratios_figure(results, codecs):
    order = np.argsort([ratio(r) for r in results], kind="stable")
    x = np.arange(len(results))
    size = 6 if len(results) <= 60 else 3
    fig = _figure(10, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for name, marker in zip(("spikey", *codecs), "osD", strict=False):
        top.plot(x, [ratio(results[i], name) for i in order], marker, ms=size, label=NAMES[name])
    top.set(title="Compression ratio per file", ylabel="ratio (file bytes / compressed bytes)")
    top.legend(loc="best")
    bottom.plot(x, [bits_per_sample(results[i]) for i in order], "o", ms=size)
    bottom.set(title="Spikey's bits per sample per file", ylabel="bits/sample (stream bits / samples)",
               xlabel="file, sorted by Spikey's ratio")
    if len(results) <= 30:
        bottom.set_xticks(x, [_short(results[i]["name"]) for i in order], rotation=60, ha="right", fontsize=8)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return fig


def channels_figure(multi):
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
    shown = multi[:PANELS]
    cols = min(2, len(shown))
    rows = -(-len(shown) // cols)
    fig = _figure(10, 3.2 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, r in zip(axes, shown, strict=False):
        per = r["info"]["per channel"]
        linked = [ch["linked blocks"] > 0 for ch in per]
        ax.bar(range(len(per)), [ch["bits/sample"] for ch in per], color=["C1" if k else "C0" for k in linked])
        ax.set(title=f"{_short(r['name'], 40)} ({len(per)} channels)", xlabel="channel", ylabel="bits/sample")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, axis="y")
    for ax in axes[len(shown):]:
        ax.axis("off")
    fig.legend(handles=[Patch(color="C0", label="coded alone"), Patch(color="C1", label="linked to earlier channels")],
               loc="outside lower center", ncols=2)
    fig.suptitle("Bits per sample per channel (multi-channel files)")
    return fig


def over_time_figure(hardest):
    fig = _figure(10, 2.6 * len(hardest))
    axes = np.atleast_1d(fig.subplots(len(hardest), 1, squeeze=False).ravel())
    for ax, r in zip(axes, hardest, strict=True):
        rate, w = r["info"]["rate"], r["window"]
        t = (np.arange(len(r["over time"])) + 0.5) * w / (rate or 1)
        ax.plot(t, r["over time"], lw=1)
        ax.axhline(bits_per_sample(r), color="C3", ls="--", lw=1, label=f"whole file {bits_per_sample(r):.2f}")
        how = "" if r["rerun"] else " (fast level: each block's bytes spread evenly)"
        ax.set(title=f"{r['name']}{how}", ylabel="bits/sample",
               xlabel="time (s)" if rate else "frame (the stream has no rate)")
        ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    fig.suptitle(f"Bits per sample over time, means over {WINDOW_S * 1000:.0f} ms: the {len(hardest)} hardest "
                 "recordings")
    return fig


def residuals_figure(results):
    counts = sum(r["histogram"] for r in results)
    n = sum(r["residuals"] for r in results)
    outside = sum(r["outside"] for r in results)
    centres = 0.5 * (Z_EDGES[1:] + Z_EDGES[:-1])
    fig = _figure(10, 4.5)
    ax = fig.subplots()
    ax.stairs(counts / (n * np.diff(Z_EDGES)), Z_EDGES, label=f"standardised residuals ({n:,} samples)")
    ax.plot(centres, np.exp(-centres ** 2 / 2) / np.sqrt(2 * np.pi), "C3", lw=1.2,
            label="predictive distribution (standard normal)")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.3 / (max(n, 1) * np.diff(Z_EDGES)[0]))      # one sample's bar is the floor
    ax.set(title=f"Predictive distribution against the residuals ({outside / max(n, 1):.3%} beyond ±8 sigma)",
           xlabel="standardised residual (sample - predicted mean) / predicted sigma",
           ylabel="density (1 / sigma, log scale)")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    return fig


def _graph(ax, labels, edges, title):
    """Nodes on a circle, edges (a, b, |r|, solid) as lines as wide as their correlation."""
    angle = 2 * np.pi * np.arange(len(labels)) / max(len(labels), 1)
    xy = np.c_[np.cos(angle), np.sin(angle)]
    for a, b, r, solid in edges:
        ax.plot(*xy[[a, b]].T, color="C0" if solid else "0.6", lw=0.3 + 4 * r, ls="-" if solid else "--",
                alpha=0.8 if len(edges) < 50 else 0.4, zorder=1)
    ax.scatter(*xy.T, s=30 if len(labels) <= 40 else 12 if len(labels) <= 150 else 3, color="k", zorder=2)
    # at most ~24 labels, so that they stay readable: the connected nodes where that few, else every k-th
    connected = sorted({e[i] for e in edges for i in (0, 1)})
    named = connected if len(connected) <= 24 else range(0, len(labels), -(-len(labels) // 24))
    for i in named if len(labels) > 24 else range(len(labels)):
        ax.annotate(labels[i], xy[i], xytext=(6 * xy[i, 0], 6 * xy[i, 1]), textcoords="offset points",
                    ha="left" if xy[i, 0] >= 0 else "right", va="center", fontsize=7)
    ax.set_title(title, fontsize=10)
    ax.set_aspect("equal")
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")


def topology_figure(results, pairs):
    mono = [r for r in results if r["mono"] is not None]
    linked = [r for r in results if any(r["refs"])][:2]
    panels = ([mono] if len(mono) > 1 else []) + linked
    fig = _figure(max(6, 5 * len(panels)), 5.4)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False).ravel())
    if len(mono) > 1:
        at = {r["name"]: i for i, r in enumerate(mono)}
        edges = [(at[p["a"]], at[p["b"]], abs(p["r"]), p["aligned at lag 0"]) for p in pairs]
        _graph(axes[0], [_short(r["name"]) for r in mono], edges,
               f"{len(pairs)} simultaneous pair{'s' * (len(pairs) != 1)} among {len(mono)} mono recordings")
    for ax, r in zip(axes[len(panels) - len(linked):], linked, strict=True):
        per = r["info"]["per channel"]
        edges = [(c, j, r["link r"][c][k], per[c]["linked blocks"] > 0)
                 for c, refs in enumerate(r["refs"]) for k, j in enumerate(refs)]
        _graph(ax, [str(c) for c in range(len(per))], edges, f"links within {_short(r['name'], 30)}")
    from matplotlib.lines import Line2D
    fig.legend(handles=[Line2D([], [], color="C0", lw=0.3 + 4 * v, label=f"|r| = {v}") for v in (0.2, 0.5, 0.9)]
               + [Line2D([], [], color="0.6", ls="--", label="not at lag 0 / link in no block")],
               loc="outside lower center", ncols=2 if len(panels) == 1 else 4, fontsize=8)
    fig.suptitle("Topology: correlation of first differences (line width)")
    return fig


def compare_figure(both, codecs):
    names = ("spikey", *codecs)
    totals = [sum(r["file bytes"] for r in both) / sum(r["info"]["stream bytes"] if c == "spikey" else
                                                       r["compare"][c] for r in both) for c in names]
    fig = _figure(7, 4)
    ax = fig.subplots()
    bars = ax.bar([NAMES[c] for c in names], totals, color=[f"C{i}" for i in range(len(names))])
    ax.bar_label(bars, fmt="%.3f")
    ax.set(title=f"Beside other codecs: {len(both)} WAV files", ylabel="ratio (WAV bytes / compressed bytes)")
    ax.grid(alpha=0.3, axis="y")
    return fig


# ---- the page -------------------------------------------------------------------------------------

STYLE = """body{font-family:sans-serif;max-width:1040px;margin:2em auto;color:#222}
figure{margin:2em 0}figcaption{font-size:0.9em;color:#444;max-width:900px}img{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}"""


def _table(head, rows) -> str:
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _summary(results, codecs) -> str:
    info = [r["info"] for r in results]
    file_bytes = sum(r["file bytes"] for r in results)
    stream_bytes = sum(i["stream bytes"] for i in info)
    samples = sum(i["frames"] * i["channels"] for i in info)
    rows = [("files", len(results)), ("of them streams given", sum(r["stream"] for r in results)),
            ("channels", sum(i["channels"] for i in info)), ("samples", f"{samples:,}"),
            ("file bytes", f"{file_bytes:,}"), ("stream bytes", f"{stream_bytes:,}"),
            ("ratio (file bytes / stream bytes)", f"{file_bytes / stream_bytes:.4f}"),
            ("bits/sample", f"{8 * stream_bytes / max(samples, 1):.3f}")]
    for c in codecs:
        done = [r for r in results if r["compare"].get(c)]
        if done:
            rows.append((f"{NAMES[c]} ratio ({len(done)} WAV files)",
                         f"{sum(r['file bytes'] for r in done) / sum(r['compare'][c] for r in done):.4f}"))
    return _table(("", "total"), rows)


def _per_file(results, codecs) -> str:
    head = ("file", "kind", "channels", "frames", "rate (Hz)", "level", "file bytes", "stream bytes", "ratio",
            "bits/sample", "bits/sample (channel records)", *(f"{NAMES[c]} ratio" for c in codecs))
    rows = []
    for r in results:
        i = r["info"]
        records = sum(ch["bits/sample"] for ch in i["per channel"]) / i["channels"]
        rows.append((r["name"], "stream" if r["stream"] else "recording", i["channels"], i["frames"], i["rate"],
                     i["level"], r["file bytes"], i["stream bytes"], f"{ratio(r):.4f}", f"{bits_per_sample(r):.3f}",
                     f"{records:.3f}", *(f"{ratio(r, c):.4f}" if r["compare"].get(c) else "-" for c in codecs)))
    return _table(head, rows)


def _per_channel(multi) -> str:
    rows = [(r["name"], c, ch["bits/sample"], ", ".join(ch["code sets"]), " ".join(map(str, ch["refs"])) or "-",
             ch["linked blocks"]) for r in multi for c, ch in enumerate(r["info"]["per channel"])]
    return _table(("file", "channel", "bits/sample", "code sets", "refs", "linked blocks"), rows)


def _figures(results, codecs) -> list:
    """[(title, figure, caption)] of what these results can show."""
    from spikey.training.topology import simultaneous_pairs
    shown = []
    compared = f" {', '.join(NAMES[c] for c in codecs)} beside it, on WAV files only." if codecs else ""
    shown.append(("Ratio and bits per sample per file", ratios_figure(results, codecs),
                  "Each dot one file. Ratio: the file's bytes over its stream's (or the other codec's output) "
                  "bytes; bits/sample: the stream's bits over the samples it holds, header and index included."
                  + compared))
    multi = [r for r in results if r["info"]["channels"] > 1]
    if multi:
        shown.append(("Bits per sample per channel", channels_figure(multi),
                      "Each channel's records (code set, exceptions, payload) over its samples, as spikey info "
                      f"gives them; orange channels are predicted from earlier ones in some block. The first "
                      f"{PANELS} multi-channel files are shown; the table below has them all."))
    # a recording shorter than two windows has no course over time (and its header dominates its bits)
    hardest = sorted((r for r in results if len(r["over time"]) > 1), key=bits_per_sample, reverse=True)[:HARDEST]
    if hardest:
        shown.append(("Bits per sample over time", over_time_figure(hardest),
                      "Each sample's ideal code length, -log2 of the probability the model gave it (the range "
                      "coder spends this within a few bytes a block), averaged over all channels and "
                      f"{WINDOW_S * 1000:.0f} ms windows; the dashed line is the whole stream's bits/sample. The "
                      "coder starts afresh in each block, so a block's first milliseconds cost more."))
    if any(r["residuals"] for r in results):
        shown.append(("Predictive distribution against the residuals", residuals_figure(results),
                      "Every sample coded by the model (pooled over files and channels), standardised by the "
                      "Gaussian it was coded with: (sample - predicted mean) / predicted sigma, on the linearised "
                      "axis. Were the predictions right, the histogram would follow the standard normal curve; "
                      "mass above it in the tails is what heavy-tailed spikes cost."))
    mono = [r for r in results if r["mono"] is not None]
    pairs = simultaneous_pairs([r["name"] for r in mono], [r["mono"] for r in mono]) if len(mono) > 1 else []
    if len(mono) > 1 or any(any(r["refs"]) for r in results):
        shown.append(("Topology", topology_figure(results, pairs),
                      "Left: mono recordings of equal length whose first differences correlate at lag 0 far "
                      "beyond chance (|r| > 10/sqrt(n)), as spikey topology DIR finds them; dashed where the "
                      "correlation peaks at another lag. Then, for up to two multi-channel files, the links "
                      "in the stream's header: which earlier channel each channel may be predicted from, |r| "
                      "of first differences over the first block; dashed where no block used the link."))
    both = [r for r in results if all(r["compare"].get(c) for c in codecs)]
    if codecs and both:
        shown.append(("Beside other codecs", compare_figure(both, codecs),
                      f"Total ratio over the {len(both)} WAV files every codec coded: "
                      + ", ".join(" ".join(CODECS[c][:2]) for c in codecs)
                      + " on the WAV file, Spikey's default level. Other inputs are not compared "
                      "(FLAC takes at most 8 channels)."))
    return shown


def page(results, codecs, title="Spikey report") -> str:
    from spikey import __version__
    info = results[0]["info"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p>{len(results)} files; spikey {__version__}, stream format {info['format version']}, "
             f"model {info['model id']}. Recordings were encoded at the default level and decoded back byte "
             "for byte; streams were decoded whole against their checksums."
             + (f" {', '.join(NAMES[c] for c in codecs)} coded the WAV files only "
                f"({sum(r['info']['container'] == 'WAV' for r in results)} here)." if codecs else "")
             + "</p>", _summary(results, codecs)]
    for heading, fig, caption in _figures(results, codecs):
        w, h = (fig.get_size_inches() * 100).round().astype(int)
        parts.append(f"<figure><h2>{html.escape(heading)}</h2><img src='data:image/png;base64,{_png(fig)}' "
                     f"width='{w}' height='{h}' alt='{html.escape(heading)}'>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("<h2>Per file</h2>" + _per_file(results, codecs))
    multi = [r for r in results if r["info"]["channels"] > 1]
    if multi:
        parts.append("<h2>Per channel (multi-channel files)</h2>" + _per_channel(multi))
    return "".join(parts) + "</body></html>\n"


# ---- the command ----------------------------------------------------------------------------------

def _refusal(out, codecs, jobs) -> str | None:
    """Why the report cannot even start, in one line, or None."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "spikey report draws with matplotlib: pip install 'spikey[report]'"
    for c in codecs:
        if c not in CODECS:
            return f"--compare: unknown codec {c!r}; known: {', '.join(CODECS)}"
        if not shutil.which(CODECS[c][0]):
            return f"--compare {c}: the {CODECS[c][0]} executable is not on PATH"
    if jobs is not None and jobs < 1:
        return "-j must be at least 1"
    if os.path.isdir(out):
        return f"-o {out}: is a folder"
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        return f"-o {out}: no such folder"
    return None


def _analysed(paths, options, jobs) -> list:
    """[result dict, or a one-line error message] per path, in order, by that many processes."""
    def failed(path, e):
        return f"error: {path}: {e}" if isinstance(e, SpikeyError) else f"error: {path}: {type(e).__name__}: {e}"

    out = [None] * len(paths)
    with progress(len(paths), "reporting") as advance:
        if jobs == 1 or len(paths) == 1:
            for i, path in enumerate(paths):
                try:
                    out[i] = analyse(path, **options)
                except Exception as e:     # reported with the file; the others go on, but no report is written
                    out[i] = failed(path, e)
                advance()
            return out
        with ProcessPoolExecutor(jobs) as pool:
            futures = {pool.submit(analyse, path, **options): i for i, path in enumerate(paths)}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    out[i] = future.result()
                except Exception as e:
                    out[i] = failed(paths[i], e)
                advance()
    return out


def run(inputs, out, channels=None, rate=0, compare=(), jobs=None) -> int:
    """`spikey report`: 0 with the page written, 1 if any input failed (and nothing written), 2 if refused."""
    refusal = _refusal(out, compare, jobs)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    paths, missing = batch.expand(inputs)
    if not paths and not missing:
        print("error: no input files", file=sys.stderr)
        return 1
    results = _analysed(paths, {"channels": channels, "rate": rate, "codecs": tuple(compare)}, jobs or os.cpu_count())
    failed = missing + [r for r in results if isinstance(r, str)]
    for message in failed:
        print(message, file=sys.stderr)
    if failed:
        print(f"no report written: {len(failed)} of {len(paths) + len(missing)} inputs failed", file=sys.stderr)
        return 1
    try:
        fileio.write_atomic(out, page(results, tuple(compare)).encode())
    except SpikeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"report of {len(results)} files written to {out}")
    return 0
