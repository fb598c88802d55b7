"""What more could a linked channel take from its ref? The evidence behind docs/model.md's MiddleOut
decision, on the simultaneous challenge pairs (A coded first, B linked to A):

    python bench/middleout.py [DIR] [-j JOBS]        (default: ../shared/data)

1. Real encode -> decode -> compare of B's payload with each set of inputs from A in its RLS regressor
   (B's head as the encoder chose it; the encoder keeps a link only where it pays, so each pair counts
   the smaller of linked and alone): A's samples at t+1, t, t-1 (today's links); + A's residuals
   (sample minus the mean A was coded with) at the same lags; A's samples at 5 lags instead of 3.
2. An estimate of what a learned correction on top could still buy (the MiddleOut head's job): a
   shift of B's coded mean and a factor on its sigma, each linear in A's standardised residuals at
   t+1, t, t-1, fitted on the even pairs and scored on the odd ones by ideal code length.
3. A ceiling on what any use of the other member could buy: each member coded alone leaves a
   standardised residual (what its own past did not predict); the least-squares fit of B's on A's at
   t+2 .. t-2, of A's on B's past (t-1, t-2), and of |B's| on |A's| at t+1, t, t-1, refitted in every
   1 s window on the very samples it scores (an oracle: no decoder could know these weights), saves
   1/2 log2(residual variance / fitted residual variance) bits a sample: the Gaussian bound for
   what the pair shares linearly, per window.
"""
import argparse
import io
import os
import sys
from multiprocessing import Pool
from pathlib import Path

os.environ["SPIKEY_KERNELS"] = "jit"      # ideal_bits calls the coder's numba functions
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from scipy.special import ndtr  # noqa: E402

from spikey import codec, crosschannel, stream  # noqa: E402
from spikey import middleout as mo  # noqa: E402
from spikey import distribution as dist  # noqa: E402
from spikey import model as models  # noqa: E402
from spikey import predictor as pred  # noqa: E402
from spikey.containers import read_recording  # noqa: E402
from spikey.report.measure import ideal_bits  # noqa: E402
from spikey.training import split  # noqa: E402
from spikey.training.topology import simultaneous_pairs  # noqa: E402

LAGS5 = (1, 0, -1, -2, -3)
BOUND_WINDOW = 19531      # 1 s: the oracle's coupling may change this often


def _lagged(v, lags):
    n = len(v)
    out = np.zeros((n, len(lags)))
    for k, lag in enumerate(lags):
        if lag >= 0:
            out[:n - lag, k] = v[lag:]
        else:
            out[-lag:, k] = v[:n + lag]
    return out


def _trace(model, idx, head, aux=None):
    """(ideal bits, coded mean, 1/sigma) of each sample, as the codec codes it."""
    aux = np.zeros((len(idx), 0)) if aux is None else aux
    t = model.adc
    return ideal_bits(idx, aux, np.zeros((len(idx), 0)), t.edges, t.centres, dist.GAUSSIAN_CDF, pred.VAR_INIT,
                      pred.VAR_RATE, *model.head(head))[:3]


def _oracle_bits(y, inputs):
    """Bits an oracle saves on y by refitting y ~ inputs + 1 by least squares in every window."""
    saved = 0.0
    for a in range(0, len(y), BOUND_WINDOW):
        yy = y[a:a + BOUND_WINDOW]
        xx = np.hstack([inputs[a:a + BOUND_WINDOW], np.ones((len(yy), 1))])
        fitted = yy - xx @ np.linalg.lstsq(xx, yy, rcond=None)[0]
        if len(yy) > 10 * xx.shape[1] and fitted.var() > 0:
            saved += 0.5 * np.log2(yy.var() / fitted.var()) * len(yy)
    return saved


def _standardised(model, idx, mean, inv):
    """A channel's residuals in its own sigmas, clipped as MiddleOut clips its surprises."""
    return np.clip((model.adc.centres[idx] - mean) * inv, -mo.Z_CLIP, mo.Z_CLIP)


def _bound(model, bits_a, z_a, ib, rec_b):
    """(the pair's ideal bits coded alone, {what the oracle sees: bits it saves}), from A's bits and
    standardised residuals coded alone."""
    bits_b, mean_b, inv_b = _trace(model, ib, rec_b.head)
    z_b = _standardised(model, ib, mean_b, inv_b)
    return bits_a.sum() + bits_b.sum(), {
        "B on A at t+2 .. t-2": _oracle_bits(z_b, _lagged(z_a, (2, 1, 0, -1, -2))),
        "A on B at t-1, t-2": _oracle_bits(z_a, _lagged(z_b, (-1, -2))),
        "|B| on |A| at t+1, t, t-1": _oracle_bits(np.abs(z_b), np.abs(crosschannel.inputs([z_a])))}


def _payload(model, idx, head, aux):
    data = model.encode(model.adc, idx, head, aux)
    assert np.array_equal(model.decode(model.adc, data, len(idx), head, aux), idx), "lossless failure"
    return len(data)


def one_pair(paths):
    """Per pair: A's payload bytes, B's bytes per input set, and what the fit needs (or None when a
    member is off the ADC table)."""
    model = models.default()
    x = np.stack([read_recording(str(p))[1][:, 0] for p in paths], axis=1)
    data = codec.encode_samples(x, rate=19531)
    s = codec.Opened(io.BytesIO(data), len(data), model)
    rec_a, rec_b = stream.read_block(s.block_bytes(0), s.header, s.header.frames)[0]
    if rec_a.code_set.coding != 0 or rec_b.code_set.coding != 0:
        return None
    ia, ib = model.adc.indices(x[:, 0])[0], model.adc.indices(x[:, 1])[0]
    y_a = model.adc.centres[ia]
    bits_a, mean_a, inv_a = _trace(model, ia, rec_a.head)
    e_a = y_a - mean_a
    z_a = _standardised(model, ia, mean_a, inv_a)
    inputs = {"alone": None, "A's samples at t+1, t, t-1 (today)": crosschannel.inputs([y_a]),
              "+ A's residuals at t+1, t, t-1": np.hstack([crosschannel.inputs([y_a]), crosschannel.inputs([e_a])]),
              "A's samples at 5 lags (t+1 .. t-3)": _lagged(y_a, LAGS5)}
    sizes = {k: _payload(model, ib, rec_b.head, aux) for k, aux in inputs.items()}
    aux_b = crosschannel.inputs([y_a]) if rec_b.linked else None
    _, mean_b, inv_b = _trace(model, ib, rec_b.head, aux_b)
    return {"A": len(rec_a.payload), "B": sizes, "n": len(ib), "idx": ib, "mean": mean_b, "inv": inv_b,
            "z_a": crosschannel.inputs([z_a]), "bound": _bound(model, bits_a, z_a, ib, rec_b)}


def _bits(p, r, edges):
    """Ideal bits of B's samples with the mean shifted by p[0:3].z_A sigmas and 1/sigma times
    exp(-(p[6] + p[3:6].|z_A|)) (float64 Gaussian; the open end bins as in the codec)."""
    shift = r["z_a"] @ p[:3]
    inv = r["inv"] * np.exp(-(p[6] + np.abs(r["z_a"]) @ p[3:6]))
    mean = r["mean"] + shift / r["inv"]
    k = r["idx"]
    lo = np.where(k > 0, ndtr((edges[k] - mean) * inv), 0.0)
    hi = np.where(k < len(edges) - 2, ndtr((edges[k + 1] - mean) * inv), 1.0)
    return -np.log2(np.maximum(hi - lo, 1e-12)).sum()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="?", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("-j", type=int, default=os.cpu_count())
    args = ap.parse_args()
    files = split.wav_files(args.data)
    found = simultaneous_pairs([f.name for f in files], [read_recording(str(f))[1][:, 0] for f in files])
    by_name = {f.name: f for f in files}
    with Pool(args.j) as pool:
        rows = [r for r in pool.map(one_pair, [(by_name[p["a"]], by_name[p["b"]]) for p in found]) if r]
    a_bytes = sum(r["A"] for r in rows)
    alone = sum(r["B"]["alone"] for r in rows)
    print(f"{len(rows)} pairs on the ADC table (of {len(found)}); B's payload with each set of inputs from A "
          "(the smaller of linked and alone per pair), real encode -> decode -> compare:")
    print("| inputs from A | B bytes | pair bytes against B alone |")
    print("|---|---|---|")
    for k in rows[0]["B"]:
        b = sum(min(r["B"][k], r["B"]["alone"]) for r in rows)
        print(f"| {k} | {b} | {100 * ((a_bytes + b) / (a_bytes + alone) - 1):+.3f}% |")
    edges = models.default().adc.edges
    train, test = rows[0::2], rows[1::2]
    n_train, n_test = sum(r["n"] for r in train), sum(r["n"] for r in test)
    fit = minimize(lambda p: sum(_bits(p, r, edges) for r in train) / n_train, np.zeros(7), method="Powell",
                   options={"xtol": 1e-3, "ftol": 1e-7})
    before = sum(_bits(np.zeros(7), r, edges) for r in test)
    after = sum(_bits(fit.x, r, edges) for r in test)
    pair_bits = 8 * sum(r["A"] + r["B"]["A's samples at t+1, t, t-1 (today)"] for r in test)
    print(f"\nlearned correction from A's standardised residuals (fitted on {len(train)} pairs, scored on "
          f"{len(test)}): B {before / n_test:.4f} -> {after / n_test:.4f} bits/sample, "
          f"{100 * (before - after) / pair_bits:.3f}% of the held-out pairs' bits; parameters "
          f"{np.round(fit.x, 4).tolist()}")
    alone_bits = sum(r["bound"][0] for r in rows)
    print(f"\noracle ceiling ({len(rows)} pairs, least squares refitted per {BOUND_WINDOW}-sample window on the "
          f"samples it scores; the pairs coded alone: {alone_bits / sum(2 * r['n'] for r in rows):.4f} bits/sample):")
    total = 0.0
    for k in rows[0]["bound"][1]:
        saved = sum(r["bound"][1][k] for r in rows)
        total += saved
        print(f"  {k}: {100 * saved / alone_bits:.3f}% of the pairs' bits")
    print(f"  all three: {100 * total / alone_bits:.3f}%; a ratio r coded apart could reach at most "
          f"r / {1 - total / alone_bits:.5f} by what the members share")


if __name__ == "__main__":
    main()
