"""Issue 20, item 5: does a learned head trained on varied data correct the cascade on recordings it never saw?

    python bench/varied_head.py [MULTICHANNEL_DIR] [--data CHALLENGE_DIR] [--steps N]

Needs the training extra (tinygrad). Examples come from the codec's own loops with no head, each channel
coded alone (training/dataset.py): on each recording of MULTICHANNEL_DIR (NAME.npy, int16 (frames, channels))
the cascade loop 8 that default tries (RLS-8, NLMS-16, the context scale), on its first 60% of frames and
on three variants of it (amplitude x1/4 and x4, decimated x2); on CHALLENGE_DIR's training split the RLS
loop's, 1,000 positions a file. The last 40% of each recording's frames are held out. One head (the
fully connected layout of weights/network.npz, 16 hidden units) is trained on every recording's part,
and one with each recording left out entirely. Printed: held-out bits/sample of each recording with no
head, with the shipped head, with the head that saw the recording's first part, and with the head that
never saw the recording: the last column is what a recording nobody trained on would get. Ideal costs
of the Gaussian bins (a training estimate, not streams).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spikey.training  # noqa: E402,F401  (before the codec: the training loops need the JIT kernels)

from spikey import codesets  # noqa: E402
from spikey import model as models  # noqa: E402
from spikey.training import dataset, split  # noqa: E402
from spikey.training.head import train  # noqa: E402
from spikey.training.lstm import np_bits  # noqa: E402

SHAPE = 8                # cascade-8c, the loop default tries for these recordings
TRAIN_SHARE = 0.6
PER_RECORDING = 300_000  # training examples drawn from each recording and its variants
CFG = {"seed": 0, "hidden": 16, "batch": 4096, "learning_rate": 0.002}


def variants(x: np.ndarray) -> list:
    wide = x.astype(np.float64)
    return [x, np.round(wide / 4).astype(np.int16), np.clip(wide * 4, -32768, 32767).astype(np.int16), x[::2]]


def channel_examples(x: np.ndarray):
    adc = models.default().adc
    code_set, idx, _ = codesets.candidates(x, adc)[0]
    return dataset.cascade_examples(idx, code_set.table(adc), SHAPE)


def recording(path: Path, rng) -> dict:
    """Training examples (first part, variants too) and held-out ones (last part) of a recording."""
    x = np.load(path)
    train_x, train_b, held_x, held_b = [], [], [], []
    for v, y in enumerate(variants(x)):
        for c in range(y.shape[1]):
            inputs, bins = channel_examples(np.ascontiguousarray(y[:, c]))
            cut = int(len(inputs) * TRAIN_SHARE)
            train_x.append(inputs[:cut])
            train_b.append(bins[:cut])
            if v == 0:
                held_x.append(inputs[cut:])
                held_b.append(bins[cut:])
    tx, tb = np.concatenate(train_x), np.concatenate(train_b)
    pick = rng.choice(len(tx), min(len(tx), PER_RECORDING), replace=False)
    return {"train": (tx[pick], tb[pick]), "held": (np.concatenate(held_x), np.concatenate(held_b))}


def challenge(folder: Path):
    table = models.default().adc
    parts = [dataset.examples(split.read_samples(f), 1000, i, table)[:2]
             for i, f in enumerate(split.split(folder)[0])]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def bits(out: np.ndarray, b: np.ndarray) -> float:
    """Mean ideal code length of bins b under the head's outputs (training.lstm.np_bits, float64)."""
    return np_bits(out, b) / len(b)


def outputs(arrays, x: np.ndarray) -> np.ndarray:
    """The fully connected head's (shift, factor - 1) per example: network.head's arithmetic."""
    w1, b1, _, w2, b2 = arrays
    return b2 + np.maximum(b1 + x.astype(np.float64) @ w1, 0) @ w2


def trained(parts: list, steps: int):
    x = np.concatenate([p[0] for p in parts])
    b = np.concatenate([p[1] for p in parts])
    a = train(x, b, x[:50_000], b[:50_000], steps, {**CFG, "log_every": steps}, label="varied head").arrays()
    return a["w1"], a["b1"], None, a["w2"], a["b2"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared" / "multichannel")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    recs = {p.stem: recording(p, rng) for p in sorted(args.folder.glob("*.npy"))}
    chal = challenge(args.data)
    shipped = models.default().head(0)
    everyone = trained([r["train"] for r in recs.values()] + [chal], args.steps)
    print("| recording (held-out last 40%) | no head | shipped head | varied head, recording seen | "
          "varied head, recording left out |\n|---|---|---|---|---|")
    for name, r in recs.items():
        unseen = trained([o["train"] for n, o in recs.items() if n != name] + [chal], args.steps)
        x, b = r["held"]
        none = bits(np.zeros((len(x), 2)), b)
        row = [none] + [bits(outputs(a, x), b) for a in (shipped, everyone, unseen)]
        print(f"| {name} | " + " | ".join(f"{v:.4f} ({100 * (v / none - 1):+.2f}%)" for v in row) + " |", flush=True)


if __name__ == "__main__":
    main()
