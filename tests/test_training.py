"""Training end to end on a tiny config: it runs, it is deterministic, and the codec uses its weights."""
import shutil

import numpy as np
import pytest

from conftest import ROOT, SAMPLES, fresh_python

pytest.importorskip("tinygrad")
if shutil.which("clang") is None:
    pytest.skip("tinygrad's CPU device needs clang (apt-get install clang; .ci/run installs it)",
                allow_module_level=True)

from spikey.training import split, train  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The embedded recordings under names that put some in the training split and some in validation."""
    folder = tmp_path_factory.mktemp("data")
    names = [f"rec{i:03d}.wav" for i in range(200)]
    train_names = [n for n in names if not split.is_validation(n)][:4]
    val_names = [n for n in names if split.is_validation(n)][:2]
    for src, name in zip(SAMPLES[:6], train_names + val_names, strict=True):
        shutil.copy(src, folder / name)
    return folder


FULLY_CONNECTED = ("examples_per_file: 300\nvalidation_stride: 1\nhidden: 4\nsteps: 30\nbatch: 256\nlog_every: 10\n"
                   "regions: 2\nregion_steps: 10\n")
LSTM = ("validation_stride: 1\nprojector: lstm\nhidden: 2\nsteps: 4\nlog_every: 2\nlstm_window: 8\nlstm_burn_in: 2\n"
        "lstm_windows_per_file: 8\nlstm_batch: 8\n")


def run_training(data, out, tmp_path, settings=FULLY_CONNECTED):
    config = tmp_path / "tiny.yaml"
    config.write_text(f"data: {data}\n{settings}")
    out.mkdir()
    shutil.copy(ROOT / "weights" / "adc.npz", out / "adc.npz")
    train.run(config, out)
    with np.load(out / "network.npz") as z:
        return {k: z[k] for k in z.files}


def round_trip_with(weights_dir):
    """A recording through the codec with these weights, in a process that never imports tinygrad."""
    script = ("import sys; from spikey import codec; raw = open(sys.argv[1], 'rb').read(); "
              "assert codec.decode(codec.encode(raw)) == raw; assert 'tinygrad' not in sys.modules")
    fresh_python(script, SAMPLES[0], SPIKEY_WEIGHTS=str(weights_dir), SPIKEY_KERNELS="jit")


def test_training_is_deterministic_and_its_weights_code_files(data, tmp_path):
    first = run_training(data, tmp_path / "a", tmp_path)
    second = run_training(data, tmp_path / "b", tmp_path)
    assert first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)
    assert first["w1"].shape[0] == 3          # the shared head and one per region
    assert (tmp_path / "a" / "network.json").exists()
    round_trip_with(tmp_path / "a")


def test_lstm_head_trains_deterministically_and_the_codec_runs_it(data, tmp_path):
    first = run_training(data, tmp_path / "a", tmp_path, LSTM)
    second = run_training(data, tmp_path / "b", tmp_path, LSTM)
    assert first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)
    assert first["wr"].shape == (1, 2, 8) and first["w1"].shape == (1, 15, 8) and first["w2"].shape == (1, 2, 2)
    round_trip_with(tmp_path / "a")
