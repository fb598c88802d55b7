"""The page: which figures these results can show and what they say, the tables, and one HTML string with
every figure embedded."""
import base64
import html
import io

from spikey.report import distortion, figures
from spikey.report.analysis import bits_per_sample, ratio
from spikey.report.compare import CODECS, NAMES
from spikey.report.measure import WINDOW_S

HARDEST = 3                      # recordings shown over time

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


def _distortion(curves) -> str:
    rows = [(r["name"], p["max error"], " ".join(map(str, sorted(set(p["bounds"])))), f"{p['ratio']:.4f}",
             p["largest"], f"{p['rms']:.3f}") for r in curves for p in r["distortion"]["points"]]
    return _table(("file", "max error", "bounds (per channel)", "ratio", "largest error", "RMS error"), rows)


def _shown(results, codecs) -> list:
    """[(title, figure, caption)] of what these results can show."""
    from spikey.training.topology import simultaneous_pairs
    shown = []
    compared = f" {', '.join(NAMES[c] for c in codecs)} beside it, on WAV files only." if codecs else ""
    shown.append(("Ratio and bits per sample per file", figures.ratios(results, codecs),
                  "Each dot one file. Ratio: the file's bytes over its stream's (or the other codec's output) "
                  "bytes; bits/sample: the stream's bits over the samples it holds, header and index included."
                  + compared))
    multi = [r for r in results if r["info"]["channels"] > 1]
    if multi:
        shown.append(("Bits per sample per channel", figures.channels(multi),
                      "Each channel's records (code set, exceptions, payload) over its samples, as spikey info "
                      f"gives them; orange channels are predicted from earlier ones in some block. The first "
                      f"{figures.PANELS} multi-channel files are shown; the table below has them all."))
    # a recording shorter than two windows has no course over time (and its header dominates its bits)
    hardest = sorted((r for r in results if len(r["over time"]) > 1), key=bits_per_sample, reverse=True)[:HARDEST]
    if hardest:
        shown.append(("Bits per sample over time", figures.over_time(hardest),
                      "Each sample's ideal code length, -log2 of the probability the model gave it (the range "
                      "coder spends this within a few bytes a block), averaged over all channels and "
                      f"{WINDOW_S * 1000:.0f} ms windows; the dashed line is the whole stream's bits/sample. The "
                      "coder starts afresh in each block, so a block's first milliseconds cost more."))
    if any(r["residuals"] for r in results):
        shown.append(("Predictive distribution against the residuals", figures.residuals(results),
                      "Every sample coded by the model (pooled over files and channels), standardised by the "
                      "Gaussian it was coded with: (sample - predicted mean) / predicted sigma, on the linearised "
                      "axis. Were the predictions right, the histogram would follow the standard normal curve; "
                      "mass above it in the tails is what heavy-tailed spikes cost."))
    mono = [r for r in results if r["mono"] is not None]
    pairs = simultaneous_pairs([r["name"] for r in mono], [r["mono"] for r in mono]) if len(mono) > 1 else []
    if len(mono) > 1 or any(any(r["refs"]) for r in results):
        shown.append(("Topology", figures.topology(results, pairs),
                      "Left: mono recordings of equal length whose first differences correlate at lag 0 far "
                      "beyond chance (|r| > 10/sqrt(n)), as spikey topology DIR finds them; dashed where the "
                      "correlation peaks at another lag. Then, for up to two multi-channel files, the links "
                      "in the stream's header: which earlier channel each channel may be predicted from, |r| "
                      "of first differences over the first block; dashed where no block used the link."))
    curves = [r for r in results if "distortion" in r]
    if curves:
        shown.append(("Near-lossless: rate against error, and the error's spectrum", figures.distortion(curves),
                      "Left: each recording's ratio at each bound asked for (its first "
                      f"{distortion.MAX_SAMPLES:,} samples at the default level, decoded back and checked: no "
                      "sample outside its bound), against the RMS error in the file's units. Right: for the "
                      "first recording, the power spectrum of the signal and of the error at each bound (Welch, "
                      "averaged over channels): an error spread flat far below the signal is noise no analysis "
                      "of the signal sees; the table below has every point."))
    both = [r for r in results if all(r["compare"].get(c) for c in codecs)]
    if codecs and both:
        shown.append(("Beside other codecs", figures.compare(both, codecs),
                      f"Total ratio over the {len(both)} WAV files every codec coded: "
                      + ", ".join(" ".join(CODECS[c][:2]) for c in codecs)
                      + " on the WAV file, Spikey's default level. Other inputs are not compared "
                      "(FLAC takes at most 8 channels)."))
    return shown


def _png(fig) -> str:
    """The figure as base64 PNG, without matplotlib's address in its metadata: the page names no URL."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def render(results, codecs, title="Spikey report") -> str:
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
    for heading, fig, caption in _shown(results, codecs):
        w, h = (fig.get_size_inches() * 100).round().astype(int)
        parts.append(f"<figure><h2>{html.escape(heading)}</h2><img src='data:image/png;base64,{_png(fig)}' "
                     f"width='{w}' height='{h}' alt='{html.escape(heading)}'>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    parts.append("<h2>Per file</h2>" + _per_file(results, codecs))
    multi = [r for r in results if r["info"]["channels"] > 1]
    if multi:
        parts.append("<h2>Per channel (multi-channel files)</h2>" + _per_channel(multi))
    curves = [r for r in results if "distortion" in r]
    if curves:
        parts.append("<h2>Near-lossless</h2>" + _distortion(curves))
    return "".join(parts) + "</body></html>\n"
