"""spikey info: a stream described from its header and blocks; spikey topology on one recording."""
import json

import numpy as np

from conftest import common_mode, noisy, spikeglx_pair, wav
from spikey import codec, fileio, info
from spikey.training import topology


def test_a_stream_is_described_channel_by_channel(adc_signal):
    x = np.stack([adc_signal(9000, seed=1), adc_signal(9000, seed=1) // 4 * 4 + 1], axis=1).astype(np.int16)
    data = codec.encode_samples(x, rate=30000, level="max")
    d = info.describe(data)
    assert (d["container"], d["channels"], d["frames"], d["rate"], d["level"]) == ("samples", 2, 9000, 30000, "max")
    assert d["duration s"] == 0.3 and d["blocks"] == 1 and d["stream bytes"] == len(data)
    first, second = d["per channel"]
    assert first["code sets"] == ["ADC"] and second["refs"] == [0] and second["linked blocks"] == 1
    assert 9000 * (first["bits/sample"] + second["bits/sample"]) / 8 < len(data)   # framing on top
    assert json.loads(json.dumps(d)) == d
    assert "channel 1:" in info.text("x", d) and "predicted from [0]" in info.text("x", d)


def test_a_generic_stream_has_no_channels():
    d = info.describe(codec.encode(wav(b"\0" * 48, fmt=(3, 2, 32))))          # 32-bit float: not modelled
    assert d["container"] == "generic" and "per channel" not in d


def test_a_streams_sidecar_is_named(tmp_path):
    fileio.encode_path(spikeglx_pair(tmp_path, noisy(channels=2), name="run"), tmp_path / "x.brainwire")
    d = info.describe((tmp_path / "x.brainwire").read_bytes())
    assert d["sidecar"] == {"name": ".meta", "folders up": 0, "bytes": (tmp_path / "run.meta").stat().st_size}
    assert "with its sidecar .meta" in info.text("x", d)


def test_topology_of_one_recording_lists_its_links(tmp_path):
    np.save(tmp_path / "x.npy", common_mode())
    topology.recording(tmp_path / "x.npy", tmp_path / "t.json")
    links = json.loads((tmp_path / "t.json").read_text())["links"]
    assert [link["channel"] for link in links] == [1, 2, 3, 4]
    assert all(ref["channel"] < link["channel"] and ref["r"] >= 0.2 for link in links for ref in link["refs"])
