"""The figures, one function each: matplotlib Figures of the results, drawn without pyplot."""
import numpy as np

from spikey.report.analysis import bits_per_sample, ratio
from spikey.report.compare import NAMES
from spikey.report.measure import WINDOW_S, Z_EDGES

PANELS = 6                       # multi-channel files shown per channel


def _figure(width, height):
    from matplotlib.figure import Figure     # no pyplot: no global state, no display backend
    return Figure(figsize=(width, height), layout="constrained")


def _short(name: str, n: int = 12) -> str:
    return name if len(name) <= n else name[:n - 1] + "…"


def ratios(results, codecs):
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


def channels(multi):
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


def over_time(hardest):
    fig = _figure(10, 2.6 * len(hardest))
    axes = np.atleast_1d(fig.subplots(len(hardest), 1, squeeze=False).ravel())
    for ax, r in zip(axes, hardest, strict=True):
        rate, w = r["info"]["rate"], r["window"]
        t = (np.arange(len(r["over time"])) + 0.5) * w / (rate or 1)
        ax.plot(t, r["over time"], lw=1)
        ax.axhline(bits_per_sample(r), color="C3", ls="--", lw=1, label=f"whole file {bits_per_sample(r):.2f}")
        ax.set(title=r["name"], ylabel="bits/sample",
               xlabel="time (s)" if rate else "frame (the stream has no rate)")
        ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    fig.suptitle(f"Bits per sample over time, means over {WINDOW_S * 1000:.0f} ms: the {len(hardest)} hardest "
                 "recordings")
    return fig


def residuals(results):
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


def topology(results, pairs):
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


def compare(both, codecs):
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


def distortion(curves):
    fig = _figure(10, 4.2)
    left, right = fig.subplots(1, 2)
    for r in curves:
        points = sorted(r["distortion"]["points"], key=lambda p: p["rms"])
        left.plot([p["rms"] for p in points], [p["ratio"] for p in points], "o-", ms=4, label=_short(r["name"], 24))
        for p in points:
            left.annotate(p["max error"], (p["rms"], p["ratio"]), fontsize=7, xytext=(3, -8),
                          textcoords="offset points")
    left.set(title="Ratio against error", xlabel="RMS error (file units)", ylabel="ratio")
    if len(curves) <= 8:
        left.legend(loc="best", fontsize=8)
    first = curves[0]["distortion"]
    f = first["frequencies"][1:]
    right.semilogy(f, first["signal"][1:], "k", lw=1.2, label="signal")
    for p in first["points"]:
        right.semilogy(f, p["spectrum"][1:], lw=0.9, label=f"error, max error {p['max error']}")
    right.set(title=f"Spectra: {_short(curves[0]['name'], 30)}", xlabel="frequency (Hz)", ylabel="power / Hz")
    right.legend(loc="best", fontsize=7)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return fig
