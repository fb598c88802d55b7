"""Compression ratio over a folder: real encode -> decode -> byte compare of every file.

    python bench/ratio.py DIR [-j JOBS] [--ablation] [--quiet] [--validation]

Prints per-file ratio and bits/sample, then totals for all files and for the train/validation split
(challenge counting: encode, decode and weights/ added to the compressed bytes of every total).
--ablation also codes every file's level indices with parts of the model switched off, each row an
encode -> decode -> compare of the indices plus the file's real stream overhead: the online predictor
alone on uniform bins; + the learned code-width table; the same with a fixed per-file variance; + the
learned head (the full model).
"""
import argparse
import os
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SPIKEY_KERNELS"] = "jit"     # the ablation compiles loops around the codec's numba functions

from spikey import codec, container, stream, predictor as pred  # noqa: E402
from spikey.jit import njit  # noqa: E402
from spikey import distribution as dist  # noqa: E402
from spikey.coder import decode_levels, encode_levels  # noqa: E402
from spikey.network import untrained_heads  # noqa: E402
from spikey.levels import LevelTable  # noqa: E402
from spikey import weights  # noqa: E402
from spikey.weights import adc_table  # noqa: E402
from spikey.training.split import is_validation  # noqa: E402


@njit(cache=True)
def rls_error_power(centres_seq):
    """Mean squared error of the online predictor over a file: the best fixed variance for it."""
    w, P, h, gain, var = pred.predictor_new(pred.ORDER, pred.VAR_INIT)
    total = 0.0
    for t in range(len(centres_seq)):
        mu = pred.predict(w, h)
        total += (centres_seq[t] - mu) ** 2
        pred.update(w, P, h, gain, var, 0.0, t, centres_seq[t], mu)
    return total / max(len(centres_seq), 1)


def _payload_bytes(table, idx, var_init, var_rate, head):
    args = (table.edges, table.centres, dist.GAUSSIAN_CDF, var_init, var_rate, *head)
    payload = encode_levels(idx, *args)
    back = decode_levels(payload, len(idx), *args)
    assert np.array_equal(back, idx), "ablation variant failed to round-trip"
    return len(payload)


def measure(path, ablation):
    raw = path.read_bytes()
    encoded = codec.encode(raw)
    if codec.decode(encoded) != raw:
        raise SystemExit(f"LOSSLESS FAILURE: {path}")
    row = {"name": path.name, "raw": len(raw), "coded": len(encoded), "samples": (len(raw) - 44) // 2}
    if ablation:
        adc = adc_table()
        samples = container.parse(raw).samples
        idx, _ = adc.indices(samples)
        uniform = LevelTable.from_widths(adc.values, np.ones(len(adc.values)))
        fixed_var = rls_error_power(adc.centres[idx])
        off = tuple(a[0] for a in untrained_heads())
        row["online, uniform bins"] = _payload_bytes(uniform, idx, pred.VAR_INIT, pred.VAR_RATE, off)
        row["online + width table"] = _payload_bytes(adc, idx, pred.VAR_INIT, pred.VAR_RATE, off)
        row["online + widths, fixed variance"] = _payload_bytes(adc, idx, fixed_var, 0.0, off)
        row["overhead"] = len(encoded) - len(stream.read(encoded, codec.model_id()).payload)
        row["full model (+ head)"] = len(encoded) - row["overhead"]
    return row


ABLATION = ("online, uniform bins", "online + width table", "online + widths, fixed variance",
            "full model (+ head)")


def codec_bytes():
    files = [ROOT / "encode", ROOT / "decode", *sorted(Path(weights.WEIGHTS_DIR).iterdir())]
    return sum(f.stat().st_size for f in files)


def total_line(label, rows, key, extra):
    raw = sum(r["raw"] for r in rows)
    coded = sum(r[key] + (r["overhead"] if key != "coded" else 0) for r in rows) + extra
    samples = sum(r["samples"] for r in rows)
    return (f"{label:<50} files {len(rows):4d}  ratio {raw / coded:.4f}  bits/sample {8 * coded / samples:.4f}"
            f"  (streams alone {8 * (coded - extra) / samples:.4f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--validation", action="store_true", help="only the validation split's recordings")
    args = ap.parse_args()
    files = [f for f in sorted(args.folder.glob("*.wav")) if is_validation(f.name) or not args.validation]
    with Pool(args.jobs) as pool:
        rows = pool.starmap(measure, [(f, args.ablation) for f in files])
    if not args.quiet:
        for r in rows:
            print(f"{r['name']:<44} {r['raw']:9d} -> {r['coded']:8d}  ratio {r['raw'] / r['coded']:.4f}  "
                  f"bits/sample {8 * r['coded'] / r['samples']:.4f}")
    extra = codec_bytes()
    print(f"codec files (encode, decode, weights/): {extra} bytes, added to every total below")
    groups = [("all", rows), ("train split", [r for r in rows if not is_validation(r["name"])]),
              ("validation split", [r for r in rows if is_validation(r["name"])])]
    for label, group in groups:
        if group:
            print(total_line(label, group, "coded", extra))
    if args.ablation:
        for label, group in groups[1:]:
            for key in ABLATION:
                print(total_line(f"{label}: {key}", group, key, extra))


if __name__ == "__main__":
    main()
