"""`spikey train CONFIG`: build examples, train the head(s), freeze them into weights/network.npz."""
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import yaml

from spikey.training import dataset, split

DEFAULTS = {"seed": 0, "examples_per_file": 4000, "validation_stride": 4, "hidden": 32, "regions": 1,
            "steps": 3000, "batch": 4096, "learning_rate": 0.002, "log_every": 250}


def load_config(path) -> dict:
    """The config's settings over the defaults; `data` is relative to the folder spikey runs in."""
    return dict(DEFAULTS, **yaml.safe_load(Path(path).read_text()))


def _examples(job):
    path, per_file, seed = job
    return dataset.examples(split.read_samples(path), per_file, seed)


def build(files, per_file, seed):
    with Pool() as pool:
        parts = pool.map(_examples, [(f, per_file, seed + i) for i, f in enumerate(files)])
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def save(heads, out_dir: Path, cfg: dict, report: dict):
    from spikey import weights
    arrays = {k: np.stack([h.arrays()[i] for h in heads]).astype(np.float32)
              for i, k in enumerate(("w1", "b1", "w2", "b2"))}
    np.savez_compressed(out_dir / weights.NETWORK_FILE, **arrays)
    weights.heads.cache_clear()
    weights.model_id.cache_clear()
    report["model_id"] = weights.model_id().hex()
    manifest = {"config": cfg, "split": "validation = sha1(file name)[0] % 5 == 0", **report}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def run(config_path, out_dir="weights"):
    from spikey.training.head import evaluate, train
    from tinygrad import Device
    cfg = load_config(config_path)
    start = time.time()
    train_files, val_files = split.split(cfg["data"])
    print(f"data {cfg['data']}: {len(train_files)} training, {len(val_files)} validation recordings; "
          f"tinygrad device {Device.DEFAULT}", flush=True)
    inputs, bins = build(train_files, cfg["examples_per_file"], cfg["seed"])
    val_inputs, val_bins = build(val_files[::cfg["validation_stride"]], 0, cfg["seed"])
    print(f"examples: {len(inputs)} training, {len(val_inputs)} validation ({time.time() - start:.0f} s)", flush=True)
    head = train(inputs, bins, val_inputs, val_bins, cfg)
    report = {"train_files": len(train_files), "validation_files": len(val_files[::cfg["validation_stride"]]),
              "validation_bits_per_sample": round(evaluate(head, val_inputs, val_bins), 5),
              "validation_bits_online_alone": round(_online_bits(val_bins), 5),
              "seconds": round(time.time() - start)}
    manifest = save([head], Path(out_dir), cfg, report)
    print(json.dumps({k: v for k, v in manifest.items() if k != "config"}), flush=True)


def _online_bits(bins):
    from spikey.training.head import bits
    from tinygrad import Tensor
    return bits(Tensor.zeros(len(bins), 2), Tensor(bins)).item()
