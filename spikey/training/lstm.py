"""The LSTM head ("latent projector" with memory): `spikey train` with `projector: lstm` (configs/lstm.yaml).

Same inputs and outputs as the fully connected head: 15 inputs per sample, 2 outputs (shift in sigmas,
sigma factor - 1), so head.bits is the loss; the codec runs it through network.head, whose layout
(w1, b1, wr, w2, b2; gates input, forget, output, cell) arrays() writes. The recurrent state can carry
context longer than the head's 8 samples and 4 errors.

The gates use hard sigmoid clip(0.2x + 0.5, 0, 1) and hard tanh clip(x, -1, 1), in training and in
evaluation alike: a codec must compute the same bits on every machine, and sigmoid/tanh come from libm,
whose last bits differ between machines; clip is min/max, exact in IEEE arithmetic.

Training runs on windows of consecutive samples with a zero state and a burn-in without loss (the
inputs never depend on the network, so windows are cut from precomputed examples). Validation runs the
LSTM as the codec does: state carried from a file's first sample to its last, in float64 numpy.

Cost on one core of this CPU (tinygrad CPU device, clang): the window is unrolled into one graph, and
compiling it takes most of the run (~6-8 min for 64 steps); then ~0.18 s per step of 256 windows.
"""
import time

import numpy as np
from scipy.special import ndtr
from tinygrad import Context, Tensor, TinyJit, nn

from spikey import network as net
from spikey.progress import progress
from spikey.training import dataset, split
from spikey.training.head import TINY, bits


def _hard_sigmoid(x):
    return (x * 0.2 + 0.5).clip(0, 1)


def _np_hard_sigmoid(x):
    return np.clip(x * 0.2 + 0.5, 0.0, 1.0)


class LSTMHead:
    """inputs -> LSTM(hidden) -> Linear -> (shift, factor - 1); gates in one matrix: input, forget, output, cell."""

    def __init__(self, n_hidden: int):
        self.h = n_hidden
        bound = (net.N_INPUTS + n_hidden) ** -0.5
        self.wx = Tensor.uniform(net.N_INPUTS, 4 * n_hidden, low=-bound, high=bound)
        self.wh = Tensor.uniform(n_hidden, 4 * n_hidden, low=-bound, high=bound)
        # Forget gate starts at 0.7 (bias 1): remembering is the point; the rest start at 0.5 / 0.
        self.b = Tensor(np.r_[np.zeros(n_hidden), np.ones(n_hidden), np.zeros(2 * n_hidden)].astype(np.float32))
        self.out = nn.Linear(n_hidden, 2)
        self.out.weight.assign(self.out.weight * 0.01).realize()   # start as the online predictor alone
        self.out.bias.assign(Tensor.zeros(2)).realize()

    def params(self):
        return [self.wx, self.wh, self.b, self.out.weight, self.out.bias]

    def __call__(self, x: Tensor, burn_in: int) -> Tensor:
        """x (N, L, inputs) from a zero state -> outputs (N * (L - burn_in), 2) for the positions after burn-in."""
        n, length, _ = x.shape
        H = self.h
        # the input part of every step at once; only h @ wh has to wait for the previous step
        xw = x.reshape(-1, net.N_INPUTS).matmul(self.wx).reshape(n, length, 4 * H) + self.b
        h, c, kept = Tensor.zeros(n, H), Tensor.zeros(n, H), []
        for t in range(length):
            g = xw[:, t] + h.matmul(self.wh)
            i, f, o = _hard_sigmoid(g[:, :H]), _hard_sigmoid(g[:, H:2 * H]), _hard_sigmoid(g[:, 2 * H:3 * H])
            # The forget gate reaches exactly 1, so c is unbounded over a whole file; the clip keeps h in [-1, 1].
            c = f * c + i * g[:, 3 * H:].clip(-1, 1)
            h = o * c.clip(-1, 1)
            if t >= burn_in:
                kept.append(h)
        return self.out(Tensor.stack(*kept, dim=1).reshape(-1, H))

    def arrays(self) -> dict:
        """network.head's layout as numpy: w1 (in, 4H), b1 (4H), wr (H, 4H), w2 (H, 2), b2 (2)."""
        return {"w1": self.wx.numpy(), "b1": self.b.numpy(), "wr": self.wh.numpy(),
                "w2": self.out.weight.numpy().T, "b2": self.out.bias.numpy()}


# ---- data -----------------------------------------------------------------------------------------

def windows(files, per_file: int, length: int, seed: int, table):
    """per_file windows of length consecutive examples from each file: inputs (N, L, 15), bins (N, L, 2)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for f in files:
        x, y, _ = dataset.examples(split.read_samples(f), 0, seed, table)   # every position, in order
        starts = rng.integers(0, len(x) - length + 1, per_file)
        take = starts[:, None] + np.arange(length)
        xs.append(x[take])
        ys.append(y[take])
    return np.concatenate(xs), np.concatenate(ys)


def whole_files(files, table):
    """Every position of each file, padded to the longest so they stack: (F, T, 15), (F, T, 2), mask (F, T).

    A row's state never mixes with another's and padding only follows a file's end, so it changes nothing."""
    parts = [dataset.examples(split.read_samples(f), 0, 0, table)[:2] for f in files]
    t = max(len(p[0]) for p in parts)
    x, bins = np.zeros((len(parts), t, net.N_INPUTS)), np.zeros((len(parts), t, 2))
    mask = np.zeros((len(parts), t), bool)
    bins[..., 0], bins[..., 1] = -1, 1
    for r, (xi, bi) in enumerate(parts):
        x[r, :len(xi)], bins[r, :len(bi)], mask[r, :len(xi)] = xi, bi, True
    return x, bins, mask


# ---- stateful float64 evaluation (what the codec would compute) -----------------------------------

def np_bits(out, bins, mask=None):
    """Sum of code lengths (where mask), head.bits's formula in float64 (out (..., 2): shift, factor - 1)."""
    shift, factor = out[..., 0], np.maximum(1 + out[..., 1], net.MIN_SCALE)
    lo, hi = (bins[..., 0] - shift) / factor, (bins[..., 1] - shift) / factor
    p = np.where(lo > 0, ndtr(-lo) - ndtr(-hi), ndtr(hi) - ndtr(lo))
    lengths = -np.log2(np.maximum(p, 0) + TINY)
    return float((lengths if mask is None else lengths[mask]).sum())


def np_lstm_bits(arrays: dict, x, bins, mask, burn_in=0, chunk=4096):
    """Bits/sample of the LSTM run over each row of x from a zero state, state carried to the end, rows as
    the batch; scored where mask, except the first burn_in positions. Also the largest |cell| reached."""
    wx, wh, b, wo, bo = (arrays[k].astype(np.float64) for k in ("w1", "wr", "b1", "w2", "b2"))
    H = wh.shape[0]
    h, c = np.zeros((x.shape[0], H)), np.zeros((x.shape[0], H))
    total, c_max = 0.0, 0.0
    for t0 in range(0, x.shape[1], chunk):
        xw = x[:, t0:t0 + chunk] @ wx + b
        hs = np.empty(xw.shape[:2] + (H,))
        for t in range(xw.shape[1]):
            g = xw[:, t] + h @ wh
            c = _np_hard_sigmoid(g[:, H:2 * H]) * c + _np_hard_sigmoid(g[:, :H]) * np.clip(g[:, 3 * H:], -1, 1)
            h = _np_hard_sigmoid(g[:, 2 * H:3 * H]) * np.clip(c, -1, 1)
            hs[:, t] = h
            c_max = max(c_max, np.abs(c[mask[:, t0 + t]]).max(initial=0.0))
        skip = max(burn_in - t0, 0)
        total += np_bits(hs[:, skip:] @ wo + bo, bins[:, t0 + skip:t0 + chunk], mask[:, t0 + skip:t0 + chunk])
    return float(total / mask[:, burn_in:].sum()), float(c_max)


# ---- training -------------------------------------------------------------------------------------

def train(model, x, y, vx, vy, steps, batch, burn_in, lr, seed, log_every):
    opt = nn.optim.Adam(model.params(), lr=lr)
    rng = np.random.default_rng(seed)

    @TinyJit
    def step(xb: Tensor, yb: Tensor) -> Tensor:
        opt.zero_grad()
        loss = bits(model(xb, burn_in), yb[:, burn_in:].reshape(-1, 2))
        loss.backward()
        opt.step()
        return loss.realize()

    @TinyJit
    def val_step(xb: Tensor, yb: Tensor) -> Tensor:
        return bits(model(xb, burn_in), yb[:, burn_in:].reshape(-1, 2)).realize()

    def validate():
        return np.mean([val_step(Tensor(vx[i:i + batch]), Tensor(vy[i:i + batch])).item()
                        for i in range(0, len(vx), batch)])

    start = time.time()
    with progress(steps, "training LSTM head", "steps") as advance:
        for it in range(1, steps + 1):
            i = rng.integers(0, len(x), batch)
            with Context(TRAINING=1):
                loss = step(Tensor(x[i]), Tensor(y[i]))
            if it % log_every == 0 or it == steps or it in (1, 3):
                print(f"  step {it:5d}  train {loss.item():.4f}  validation (windows) {validate():.4f} "
                      f"bits/sample  {time.time() - start:.0f} s", flush=True)
            advance()
    return model
