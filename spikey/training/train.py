"""`spikey train CONFIG`: build examples, train the region heads, freeze them into the config's `network`
file of weights/ (network.npz, the default level's head; lstm.npz, the max level's).

`projector: fc` (the default) trains the fully connected head on random positions; `projector: lstm`
an LSTM head on windows of consecutive samples (training/lstm.py). With regions > 1 the training
recordings are clustered by behaviour (training/topology.py) and each cluster fine-tunes its own copy
of the shared head; a recording is then coded by whichever head suits it best (the shared one
included), which the encoder finds by trial and records in the stream.
"""
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import yaml

from spikey import model as models
from spikey.bins import load_adc_table, save_adc_table
from spikey.progress import progress
from spikey.training import dataset, split, topology

DEFAULTS = {"seed": 0, "examples_per_file": 4000, "validation_stride": 4, "hidden": 16, "regions": 1,
            "steps": 3000, "region_steps": 1000, "batch": 4096, "learning_rate": 0.002, "log_every": 250,
            "learn_widths": False, "width_steps": 500, "width_learning_rate": 0.0005, "projector": "fc",
            "lstm_window": 64, "lstm_burn_in": 16, "lstm_windows_per_file": 128, "lstm_batch": 256,
            "network": models.NETWORK_FILE, "weights_dtype": "float32"}


def load_config(path) -> dict:
    """The config's settings over the defaults; `data` is relative to the folder spikey runs in."""
    return dict(DEFAULTS, **yaml.safe_load(Path(path).read_text()))


def _examples(job):
    path, per_file, seed, adc_path = job
    samples = split.read_samples(path)
    return (*dataset.examples(samples, per_file, seed, load_adc_table(adc_path)), topology.descriptor(samples))


def build(files, per_file, seed, adc_path):
    """Per recording: (inputs, bins, (bin, mean, sigma), behaviour descriptor) on the table at adc_path."""
    jobs = [(f, per_file, seed + i, adc_path) for i, f in enumerate(files)]
    with Pool() as pool, progress(len(jobs), "building examples") as advance:
        parts = []
        for part in pool.imap(_examples, jobs):      # in order, as map would, but one file at a time
            parts.append(part)
            advance()
        return parts


def regions_of(train_parts, val_parts, k, seed):
    """Region of every training recording (k-means on behaviour) and of every validation one (nearest)."""
    if k == 1:
        return np.zeros(len(train_parts), int), np.zeros(len(val_parts), int)
    reference = np.array([p[3] for p in train_parts])
    labels, centres = topology.kmeans(topology.standardise(reference), k, seed)
    val_points = topology.standardise(np.array([p[3] for p in val_parts]), reference)
    return labels, np.argmin(((val_points[:, None] - centres[None]) ** 2).sum(-1), axis=1)


def _stack(parts, i=(0, 1)):
    return tuple(np.concatenate([p[j] for p in parts]) for j in i)


def best_head_bits(heads, val_parts):
    """Validation bits/sample when each recording is coded by its best head, as the encoder does."""
    from spikey.training.head import evaluate
    total = sum(min(evaluate(h, p[0], p[1]) for h in heads) * len(p[0]) for p in val_parts)
    return total / sum(len(p[0]) for p in val_parts)


def save(heads, out_dir: Path, cfg: dict, report: dict):
    from spikey.profiles import PROFILES
    arrays = {k: np.stack([h.arrays()[k] for h in heads]).astype(cfg["weights_dtype"]) for k in heads[0].arrays()}
    path = out_dir / cfg["network"]
    np.savez_compressed(path, **arrays)
    # the id each level that uses this file now writes, where out_dir holds its model's other files too
    report["model_ids"] = {p.name: models.from_folder(out_dir, p.networks).id.hex() for p in PROFILES
                           if cfg["network"] in p.networks and all((out_dir / n).exists() for n in p.networks)}
    manifest = {"config": cfg, "split": "validation = sha1(file name)[0] % 5 == 0", **report}
    path.with_suffix(".json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def learn_widths(train_parts, val_parts, cfg, adc_path, out_path):
    """Code widths learned jointly with a head, by gradient descent on the code length, from the counted ones."""
    from spikey.training.head import train
    adc = load_adc_table(adc_path)
    learner = train(*_stack(train_parts), *_stack(val_parts), cfg["width_steps"], cfg, label="widths + head",
                    where=_stack(train_parts, (2,))[0], widths=np.diff(adc.edges))
    widths = np.abs(learner.widths.numpy()) + 1e-4
    widths /= widths.mean()
    save_adc_table(out_path, adc.values, widths)
    print(f"code widths learned: mean change {np.abs(widths - np.diff(adc.edges)).mean():.4f}", flush=True)


def train_fully_connected(train_files, val_files, cfg, adc_path, start):
    """The shared head, and with regions one fine-tuned head per behaviour cluster: (heads, report)."""
    from spikey.training.head import bits, train
    from tinygrad import Tensor
    train_parts = build(train_files, cfg["examples_per_file"], cfg["seed"], adc_path)
    val_parts = build(val_files, 0, cfg["seed"], adc_path)
    labels, val_labels = regions_of(train_parts, val_parts, cfg["regions"], cfg["seed"])
    print(f"examples built ({time.time() - start:.0f} s); region sizes {np.bincount(labels).tolist()}", flush=True)
    shared = train(*_stack(train_parts), *_stack(val_parts), cfg["steps"], cfg, label="shared head")
    heads = [shared]     # with regions, the shared head stays as head 0 for recordings no region suits
    if cfg["regions"] > 1:
        for r in range(cfg["regions"]):
            mine = [p for p, lab in zip(train_parts, labels, strict=True) if lab == r]
            watch = [p for p, lab in zip(val_parts, val_labels, strict=True) if lab == r] or val_parts
            heads.append(train(*_stack(mine), *_stack(watch), cfg["region_steps"], cfg, label=f"region {r}",
                               start=shared))
    val_bins = _stack(val_parts)[1]
    online = bits(Tensor.zeros(len(val_bins), 2), Tensor(val_bins)).item()
    return heads, {"validation_bits_per_sample": round(best_head_bits(heads, val_parts), 5),
                   "validation_bits_online_alone": round(online, 5)}


def train_lstm(train_files, val_files, cfg, adc_path):
    """One LSTM head on windows of consecutive samples, scored by running it over whole validation
    recordings with its state carried, as the codec runs it: (heads, report)."""
    from spikey.training import lstm
    from tinygrad import Tensor
    if cfg["regions"] > 1:
        raise SystemExit("regions are built for the fully connected head only")
    table = load_adc_table(adc_path)
    x, y = lstm.windows(train_files, cfg["lstm_windows_per_file"], cfg["lstm_window"], cfg["seed"], table)
    vx, vy = lstm.windows(val_files, 32, cfg["lstm_window"], cfg["seed"] + 1, table)
    batch = cfg["lstm_batch"]
    vx, vy = vx[:len(vx) // batch * batch], vy[:len(vy) // batch * batch]    # whole batches for the JIT
    Tensor.manual_seed(cfg["seed"])
    model = lstm.train(lstm.LSTMHead(cfg["hidden"]), x, y, vx, vy, cfg["steps"], batch, cfg["lstm_burn_in"],
                       cfg["learning_rate"], cfg["seed"], cfg["log_every"])
    ex, eb, mask = lstm.whole_files(val_files, table)
    lstm_bits, _ = lstm.np_lstm_bits(model.arrays(), ex, eb, mask)
    return [model], {"validation_bits_per_sample": round(lstm_bits, 5),
                     "validation_bits_online_alone": round(lstm.np_bits(np.zeros(eb.shape[:2] + (2,)), eb, mask)
                                                           / mask.sum(), 5)}


def run(config_path, out_dir="weights"):
    from tinygrad import Device
    cfg = load_config(config_path)
    start = time.time()
    train_files, val_files = split.split(cfg["data"])
    val_files = val_files[::cfg["validation_stride"]]
    print(f"data {cfg['data']}: {len(train_files)} training, {len(val_files)} monitored validation recordings; "
          f"tinygrad device {Device.DEFAULT}", flush=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    adc_path = out_dir / models.ADC_FILE
    if not adc_path.exists():
        raise SystemExit(f"{adc_path} is missing: fit it first (spikey fit-adc {cfg['data']} -o {adc_path})")
    if cfg["learn_widths"]:
        learn_widths(build(train_files, cfg["examples_per_file"], cfg["seed"], adc_path),
                     build(val_files, 0, cfg["seed"], adc_path), cfg, adc_path, adc_path)
    if cfg["projector"] == "lstm":
        heads, report = train_lstm(train_files, val_files, cfg, adc_path)
    else:
        heads, report = train_fully_connected(train_files, val_files, cfg, adc_path, start)
    report = {"train_files": len(train_files), "validation_files": len(val_files), **report,
              "seconds": round(time.time() - start)}
    manifest = save(heads, out_dir, cfg, report)
    print(json.dumps({k: v for k, v in manifest.items() if k != "config"}), flush=True)
