"""spikey report: a self-contained page whose figures load, whose numbers are spikey info's, and no page at all
from bad inputs."""
import base64
import html
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import SAMPLES, common_mode, opened
from spikey import codec, info

pytest.importorskip("matplotlib")
from spikey import report  # noqa: E402
from spikey.report import analysis, measure  # noqa: E402
from spikey.report.compare import NAMES  # noqa: E402

COMPARE = [c for c in ("flac", "wavpack") if shutil.which(c)]
DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A report on three challenge recordings, one fast-level stream and a 5-channel .npy: (page, {name: stream})."""
    folder = tmp_path_factory.mktemp("inputs")
    for src in SAMPLES[:3]:
        shutil.copy(src, folder / src.name)
    (folder / "fast.brainwire").write_bytes(codec.encode(SAMPLES[3].read_bytes(), level="fast"))
    np.save(folder / "multi.npy", common_mode(20000, 5))
    out = tmp_path_factory.mktemp("out") / "report.html"
    assert report.run([folder], str(out), compare=COMPARE, jobs=1) == 0
    streams = {p.name: p.read_bytes() if p.suffix == ".brainwire" else codec.encode(p.read_bytes())
               for p in folder.iterdir()}
    return out, out.read_text(), streams


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_every_figure_is_an_embedded_png_and_nothing_is_fetched(made):
    _, page, _ = made
    images = DATA_URI.findall(page)
    # ratios, channels, over time, residuals, topology, and the other codecs where installed
    assert len(images) == 5 + bool(COMPARE)
    for b64 in images:
        width, height = _png_size(base64.b64decode(b64))
        assert 500 <= width <= 1600 and 300 <= height <= 1600
    assert re.findall(r"src='([a-z]+):", page) == ["data"] * len(images)
    assert "://" not in DATA_URI.sub("", page) and "http" not in DATA_URI.sub("", page)
    headings = ["Ratio and bits per sample per file", "Bits per sample per channel", "Bits per sample over time",
                "Predictive distribution against the residuals", "Topology"] + ["Beside other codecs"] * bool(COMPARE)
    assert re.findall(r"<figure><h2>(.*?)</h2>", page) == headings


@pytest.mark.skipif(not COMPARE, reason="neither flac nor wavpack on PATH (Debian: apt-get install flac wavpack; "
                                         ".ci/run installs them)")
def test_other_codecs_are_drawn_beside_spikey(made):
    _, page, _ = made
    assert "<figure><h2>Beside other codecs</h2>" in page and all(NAMES[c] in page for c in COMPARE)


def _rows(table_html: str) -> list:
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table_html) if "<td>" in row]


def test_the_numbers_are_spikey_infos(made):
    _, page, streams = made
    per_file = _rows(page.split("<h2>Per file</h2>")[1].split("</table>")[0])
    assert sorted(row[0] for row in per_file) == sorted(streams)
    for row in per_file:
        d = info.describe(streams[row[0]])
        assert int(row[7]) == d["stream bytes"] and int(row[2]) == d["channels"] and row[5] == d["level"]
        assert float(row[8]) == pytest.approx(int(row[6]) / d["stream bytes"], abs=1e-4)
        channel_bits = [ch["bits/sample"] for ch in d["per channel"]]
        assert row[10] == f"{sum(channel_bits) / len(channel_bits):.3f}"
    per_channel = _rows(page.split("<h2>Per channel")[1].split("</table>")[0])
    d = info.describe(streams["multi.npy"])
    assert [float(row[2]) for row in per_channel] == [ch["bits/sample"] for ch in d["per channel"]]
    assert [row[4] for row in per_channel] == [" ".join(map(str, ch["refs"])) or "-" for ch in d["per channel"]]


@pytest.mark.parametrize("level", ["default", "fast", "max"])
@pytest.mark.parametrize("linked", [False, True], ids=["recording", "linked channels"])
def test_ideal_code_lengths_add_up_to_the_payload(level, linked):
    """The per-sample rerun is the level's own loop: its ideal bits are the range coder's within a few bytes."""
    if linked:
        data = codec.encode_samples(common_mode(channels=3), rate=1000, level=level)
        assert opened(data).header.refs[2]
    else:
        data = codec.encode(SAMPLES[0].read_bytes(), level=level)
    m = measure.measure(data)
    d = info.describe(data)
    assert m["residuals"] == d["frames"] * d["channels"]
    assert m["ideal bits"] == pytest.approx(m["payload bits"], rel=0.01)
    frames_in = np.minimum(m["window"], d["frames"] - m["window"] * np.arange(len(m["over time"])))
    assert np.sum(m["over time"] * frames_in * d["channels"]) == pytest.approx(m["ideal bits"])


def _bad(tmp_path, capsys, inputs, expect, code, **options):
    out = tmp_path / "report.html"
    assert report.run([str(p) for p in inputs], str(out), jobs=1, **options) == code
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err and not out.exists()
    return err


def test_bad_inputs_are_one_line_each_and_no_page_is_written(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.txt").write_text("not a recording")
    stream = codec.encode(SAMPLES[0].read_bytes())
    (tmp_path / "cut.brainwire").write_bytes(stream[:-1])
    err = _bad(tmp_path, capsys, [SAMPLES[0], tmp_path / "nope.wav", tmp_path / "notes.txt",
                                  tmp_path / "cut.brainwire"], "nope.wav: no such file", 1)
    assert "notes.txt: not a WAV or .npy" in err and "cut.brainwire: corrupt stream" in err
    assert err.count("\n") == 4 and "3 of 4 inputs failed" in err
    monkeypatch.setattr(analysis, "_same_bytes", lambda f, g: False)        # a stream that would not round-trip
    _bad(tmp_path, capsys, [SAMPLES[0]], "does not decode to the same bytes", 1)


@pytest.mark.parametrize("options,expect", [({"compare": ["opus"]}, "unknown codec 'opus'"),
                                            ({"compare": ["flac"], "path": ""}, "not on PATH"),
                                            ({"compare": ["flac", "mp3"], "path": ""}, "unknown codec 'mp3'"),
                                            ({"compare": ["flac"], "path": "", "jobs": 0}, "-j must be"),
                                            ({"jobs": 0}, "-j must be"),
                                            ({"rate": -1}, "--rate must be 0 to 4294967295, not -1"),
                                            ({"channels": 0}, "--channels must be 1 to 65535, not 0"),
                                            ({"bounds": ["auto:x"]}, "--max-error: max error 'auto:x'")])
def test_bad_options_are_refused_before_any_work(tmp_path, capsys, monkeypatch, options, expect):
    if "path" in options:
        monkeypatch.setenv("PATH", options.pop("path"))
    out = tmp_path / "report.html"
    assert report.run([str(SAMPLES[0])], str(out), **{"jobs": 1, **options}) == 2
    err = capsys.readouterr().err
    assert expect in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_bad_outputs_are_refused(tmp_path, capsys):
    for out, expect in ((tmp_path, "is a folder"), (tmp_path / "no" / "r.html", "no such folder")):
        assert report.run([str(SAMPLES[0])], str(out), jobs=1) == 2
        assert expect in capsys.readouterr().err


def test_progress_shows_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    assert report.run([str(SAMPLES[0])], str(tmp_path / "a.html"), jobs=1) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert report.run([str(SAMPLES[0]), str(SAMPLES[1])], str(tmp_path / "b.html"), jobs=1) == 0
    assert "reporting" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not CHROMIUM, reason="headless Chromium not installed (Debian: apt-get install chromium)")
def test_every_figure_loads_in_a_browser(made, tmp_path):
    """The page as a person sees it: Chromium loads it from disk, and a script added to a copy counts the
    images that decoded (plus one broken on purpose, to show that the count would catch one)."""
    _, page, _ = made
    n = len(DATA_URI.findall(page))
    probe = ("<img src='data:image/png;base64,AAAA'><script>window.addEventListener('load', () => {"
             "const all = [...document.images];"
             "document.body.dataset.loaded = all.filter(i => i.complete && i.naturalWidth > 0).length + '/' + "
             "all.length})</script>")
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", probe + "</body>"))
    r = subprocess.run([CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--virtual-time-budget=10000",
                        "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=120)
    assert f'data-loaded="{n}/{n + 1}"' in r.stdout, r.stderr[-2000:]


def test_a_rate_distortion_curve_is_drawn_and_tabled_at_the_bounds_asked_for(tmp_path):
    np.save(tmp_path / "multi.npy", common_mode(8000, 3))
    out = tmp_path / "report.html"
    assert report.run([str(tmp_path / "multi.npy")], str(out), jobs=1, bounds=["2", "8", "auto:0.5"]) == 0
    page = out.read_text()
    assert "Near-lossless: rate against error" in page
    rows = _rows(page[page.index("<h2>Near-lossless</h2>"):])
    assert [r[1] for r in rows] == ["2", "8", "auto:0.5"]
    assert all(int(r[4]) <= max(map(int, r[2].split())) for r in rows) and float(rows[1][3]) > float(rows[0][3])
