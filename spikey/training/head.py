"""Train the head with tinygrad on the codec's own cost: -log2 of the probability of each sample's bin."""
import math
import time

import numpy as np
from tinygrad import Context, Tensor, TinyJit, nn

from spikey import network as net
from spikey.progress import progress
from spikey.training.dataset import OPEN_END

TINY = 2.0 ** -30        # the coder gives every bin at least this much probability


def _phi(z: Tensor) -> Tensor:
    return 0.5 * (1 + (z * (1 / math.sqrt(2))).erf())


def bits(out: Tensor, bins: Tensor) -> Tensor:
    """Mean code length of the bins under the head's Gaussians (out: shift, factor-1 per example)."""
    shift, factor = out[:, 0], (1 + out[:, 1]).maximum(net.MIN_SCALE)
    lo = (bins[:, 0] - shift) / factor
    hi = (bins[:, 1] - shift) / factor
    # Take the difference on the side of the tail it lies in: float32 keeps its digits there.
    p = (lo > 0).where(_phi(-lo) - _phi(-hi), _phi(hi) - _phi(lo))
    return -(p.maximum(0) + TINY).log2().mean()


def bins_on(widths: Tensor, where: Tensor) -> Tensor:
    """Standardised edges of each example's bin on the axis that these code widths define."""
    w = widths.abs() + 1e-4
    edges = Tensor.cat(Tensor.zeros(1), w.cumsum())
    edges = edges - edges[len(w) // 2]
    k = where[:, 0].cast("int32")
    lo = ((edges[k] - where[:, 1]) / where[:, 2]).float()
    hi = ((edges[k + 1] - where[:, 1]) / where[:, 2]).float()
    return Tensor.stack((k == 0).where(-OPEN_END, lo), (k == len(w) - 1).where(OPEN_END, hi), dim=1)


class Head:
    def __init__(self, n_hidden: int):
        self.l1 = nn.Linear(net.N_INPUTS, n_hidden)
        self.l2 = nn.Linear(n_hidden, 2)
        self.l2.weight.assign(self.l2.weight * 0.01).realize()   # start as the online predictor alone
        self.l2.bias.assign(Tensor.zeros(2)).realize()

    def __call__(self, x: Tensor) -> Tensor:
        return self.l2(self.l1(x).relu())

    def arrays(self) -> dict:
        """w1 (in, H), b1 (H), w2 (H, 2), b2 (2) as numpy: the layout network.head reads (no wr: no memory)."""
        return {"w1": self.l1.weight.numpy().T, "b1": self.l1.bias.numpy(), "w2": self.l2.weight.numpy().T,
                "b2": self.l2.bias.numpy()}


def evaluate(head: Head, inputs: np.ndarray, bins: np.ndarray, chunk: int = 1 << 18) -> float:
    total = 0.0
    for i in range(0, len(inputs), chunk):
        total += bits(head(Tensor(inputs[i:i + chunk])), Tensor(bins[i:i + chunk])).item() * len(inputs[i:i + chunk])
    return total / len(inputs)


def train(inputs, bins, val_inputs, val_bins, steps, cfg, label="head", start: Head | None = None,
          where=None, widths=None):
    """A head trained on (inputs, bins) for steps Adam steps, from scratch or from a copy of start.

    With where and widths, the code widths are learned too: each step recomputes the bins from them.
    """
    Tensor.manual_seed(cfg["seed"])
    head = Head(cfg["hidden"])
    if start is not None:
        for mine, theirs in zip(nn.state.get_parameters([head.l1, head.l2]),
                                nn.state.get_parameters([start.l1, start.l2]), strict=True):
            mine.assign(theirs.detach().contiguous()).realize()
    params = nn.state.get_parameters([head.l1, head.l2])
    opt = nn.optim.Adam(params, lr=cfg["learning_rate"])
    x, y = Tensor(inputs), Tensor(bins)
    if widths is not None:
        head.widths = Tensor(widths.astype(np.float32))
        wopt = nn.optim.Adam([head.widths], lr=cfg["width_learning_rate"])
        opt = nn.optim.OptimizerGroup(opt, wopt)
        w_where = Tensor(where.astype(np.float32))

    @TinyJit
    def step():
        i = Tensor.randint(cfg["batch"], high=len(inputs))
        opt.zero_grad()
        target = bins_on(head.widths, w_where[i]) if widths is not None else y[i]
        loss = bits(head(x[i]), target)
        loss.backward()
        opt.step()
        return loss.realize()

    start = time.time()
    with progress(steps, f"training {label}", "steps") as advance:
        for it in range(1, steps + 1):
            with Context(TRAINING=1):
                loss = step()
            if it % cfg["log_every"] == 0 or it == steps:
                val = evaluate(head, val_inputs, val_bins)
                print(f"  [{label}] step {it:5d}  train {loss.item():.4f}  validation {val:.4f} bits/sample  "
                      f"{time.time() - start:.0f} s", flush=True)
            advance()
    return head
