"""Near-lossless coding: a code set's bins grouped so that every value in a group lies within K of the
group's value, the stage between the samples and the model (docs/format.md section 4.9).

A channel with an error bound K > 0 is coded as groups instead of bins: each sample becomes its
group's value, and the model, the loops and the coder code the group's index on the coarse table whose
bins are the groups (a group's edges are the outer edges of its bins on the linearised axis, so the
model's distribution is the one it had, summed over the group). Encoder and decoder predict from the
same reconstruction, and the bound holds in the file's own integer units on any code set, the ADC's
unequal codes too.

Groups are made greedily from the set's lowest value, v sorted and integer:
    first = the lowest value not yet grouped
    value = the highest v with v - first <= K          the group's value, what decoding gives
    last  = the highest v with v - value <= K           the group ends there
which makes each group as wide as the bound allows: 2K+1 values of a lattice of step 1, 2*(K // step)+1
points of a lattice of step `step`, 3 of the ADC's codes at K = 64 (most codes are 64 apart, a few 65).
Samples off the set (the ADC's exceptions) are kept exact.

Grouping the set rather than each residual (JPEG-LS centres the groups on each prediction) keeps every
loop's kernel as it is, and costs nothing where the residual's spread is at least half a group: the
entropy of a Gaussian quantised to a step, over offsets of its mean, is within 0.002 bit of the centred
one from sigma = 0.6 steps up, 0.07 bit at 0.4 and 0.34 bit at 0.25 (docs/near-lossless.md).
"""
from dataclasses import dataclass

import numpy as np

from spikey import SpikeyError, codesets, stream
from spikey.bins import BinTable


@dataclass(frozen=True, eq=False)
class Quantised:
    """One channel of one block, ready for the model: its code set, the coarse table, each sample's group
    index, the exceptions (exact), and the reconstruction."""
    code_set: codesets.CodeSet
    table: BinTable
    idx: np.ndarray
    exceptions: list
    samples: np.ndarray


def groups(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(first bin, value's bin) of each group of increasing integer values under bound k (the module's
    rule)."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) > 1 and (np.diff(v) == v[1] - v[0]).all():       # a lattice: groups of 2 * (k // step) + 1 points
        radius = k // int(v[1] - v[0])
        first = np.arange(0, len(v), 2 * radius + 1)
        return first, np.minimum(first + radius, len(v) - 1)
    first, value = [], []
    i = 0
    while i < len(v):
        c = int(np.searchsorted(v, v[i] + k, side="right")) - 1
        first.append(i)
        value.append(c)
        i = int(np.searchsorted(v, v[c] + k, side="right"))
    return np.array(first, dtype=np.int64), np.array(value, dtype=np.int64)


def _grouped(table: BinTable, k: int) -> tuple[BinTable, np.ndarray, int]:
    """(coarse table, each bin's group, the largest error the grouping can make) of table under bound
    k > 0, made once per table and bound: the ADC's table recurs in every block, channel and option."""
    if k not in table.coarse:
        first, value = groups(table.values, k)
        edges = table.edges[np.append(first, len(table.values))]
        group = np.repeat(np.arange(len(first), dtype=np.int32), np.diff(np.append(first, len(table.values))))
        error = np.abs(table.values.astype(np.int64) - table.values[value][group]).max()
        table.coarse[k] = (BinTable(table.values[value], edges, 0.5 * (edges[:-1] + edges[1:])), group, int(error))
    return table.coarse[k]


def coarse(table: BinTable, k: int) -> BinTable:
    """The table whose bins are table's bins grouped under bound k (k = 0: table itself)."""
    return table if k == 0 else _grouped(table, k)[0]


def allowed(table: BinTable, k: int) -> int:
    """The largest error grouping table's values under bound k can make (at most k)."""
    return 0 if k == 0 else _grouped(table, k)[2]


def quantise(x: np.ndarray, adc: BinTable, k: int) -> Quantised:
    """One channel's samples x under bound k: on the set the lossless encoder would try first (the
    ADC's where it fits, else the lattice), each sample replaced by its group's value."""
    code_set, fine_idx, exceptions = codesets.candidates(x, adc)[0]
    table, group, _ = _grouped(code_set.table(adc), k)
    idx = group[fine_idx]
    samples = table.values[idx].astype(np.int16)
    for pos, value in exceptions:
        samples[pos] = value
    return Quantised(code_set, table, idx, exceptions, samples)


def block(x: np.ndarray, adc: BinTable, bounds: list) -> tuple:
    """(reconstruction, each channel's Quantised or None where its bound is 0, largest error) of a block
    of frames x (n, channels)."""
    found = [quantise(np.ascontiguousarray(x[:, c]), adc, k) if k else None for c, k in enumerate(bounds)]
    y = np.column_stack([x[:, c] if q is None else q.samples for c, q in enumerate(found)]).astype(np.int16)
    error = int(np.abs(y.astype(np.int32) - x).max()) if len(x) else 0
    return y, found, error


AUTO = "auto:"


def exact(spec) -> bool:
    """Whether a max error option asks for lossless coding (0; the command line gives "0")."""
    return spec in (0, "0")


def check(spec) -> None:
    """Refuse in one line, before any work, a max error option bounds() would refuse on any samples."""
    bounds(spec, np.zeros((2, 1), np.int16))
NOISE_PER_MAD = 1.0 / (0.6744897501960817 * 1.4142135623730951)   # a Gaussian's sigma from the MAD of its differences


def noise(x: np.ndarray) -> np.ndarray:
    """Per channel of frames x (n, channels): the noise level, robustly: the median absolute deviation of
    the first differences, as a Gaussian's sigma (the differences of white noise have sqrt(2) times it)."""
    d = np.diff(x.astype(np.float64), axis=0)
    if len(d) == 0:
        return np.zeros(x.shape[1])
    return np.median(np.abs(d - np.median(d, axis=0)), axis=0) * NOISE_PER_MAD


def bounds(spec, first: np.ndarray) -> list:
    """Each channel's error bound from the option: a whole number K (all channels), or "auto:F", F times
    each channel's noise level (noise) in the first block, rounded down; 0: lossless."""
    channels = first.shape[1]
    if isinstance(spec, str) and spec.startswith(AUTO):
        try:
            fraction = float(spec[len(AUTO):])
        except ValueError:
            fraction = -1.0
        if not 0 < fraction <= 8:
            raise SpikeyError(f"max error {spec!r}: auto:F needs a fraction F of the noise level, 0 < F <= 8")
        return [min(int(fraction * n), stream.MAX_ERROR) for n in noise(first)]
    try:
        k = int(spec)
    except (TypeError, ValueError):
        raise SpikeyError(f"max error must be a whole number of units or auto:F, not {spec!r}") from None
    if isinstance(spec, float) and spec != k or isinstance(spec, bool):
        raise SpikeyError(f"max error must be a whole number of units or auto:F, not {spec!r}")
    if not 0 <= k <= stream.MAX_ERROR:
        raise SpikeyError(f"max error must be 0 to {stream.MAX_ERROR}, not {k}")
    return [k] * channels
