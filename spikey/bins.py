"""Bins: map 16-bit samples to the indices of the values a code set holds (the ADC's codes, a lattice's
points) and place each value's bin on a linearised axis.

The challenge recordings are a 10-bit successive-approximation ADC scaled to 16 bits. Its codes have
unequal widths (imperfect bit weights), the same in every file: a code's bin on the linearised axis is
as wide as the code is likely. That table is learned (spikey.train) and frozen in weights/; a sample
that is not on it is an exception, stored verbatim next to the coded stream.

Other systems get a table from what they stored (spikey/codesets.py): a lattice offset + k*step (a
gain leaves every value a multiple of the ADC step), or the set of values used. Their axis is the
value in steps, so the predictor sees the signal's own shape whatever the gain.
"""
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from spikey import npz

WIDTH_SCALE = 4096          # widths are stored as uint16 in units of 1/WIDTH_SCALE of a nominal code


@dataclass(frozen=True)
class BinTable:
    values: np.ndarray      # int16, increasing: the sample value of each bin
    edges: np.ndarray       # float64, len(values)+1: bin edges on the linearised axis
    centres: np.ndarray     # float64: bin centres, what the predictor sees

    @staticmethod
    def from_widths(values, widths):
        """Bins of the given widths side by side, the axis centred on the middle bin's lower edge."""
        values = np.asarray(values, dtype=np.int16)
        edges = np.concatenate([[0.0], np.cumsum(np.asarray(widths, dtype=np.float64))])
        edges -= edges[len(values) // 2]
        return BinTable(values, edges, 0.5 * (edges[:-1] + edges[1:]))

    @staticmethod
    def from_centres(values, centres):
        """Bins whose edges lie midway between neighbouring centres; the end bins as wide as their
        neighbour gap (one unit for a single bin)."""
        values = np.asarray(values, dtype=np.int16)
        centres = np.asarray(centres, dtype=np.float64)
        gaps = np.diff(centres) if len(centres) > 1 else np.ones(1)
        inner = centres[:-1] + 0.5 * gaps[:len(centres) - 1]
        edges = np.concatenate([[centres[0] - 0.5 * gaps[0]], inner, [centres[-1] + 0.5 * gaps[-1]]])
        return BinTable(values, edges, centres)

    @cached_property
    def cells(self) -> np.ndarray:
        """int32: the bin that holds each point edges[0] + j of the axis, j = 0, 1, ...: where
        a decoder starts its search for the bin under a mean."""
        points = self.edges[0] + np.arange(int(self.edges[-1] - self.edges[0]) + 1)
        found = np.searchsorted(self.edges, points, side="right") - 1      # >= 0: no point is below edges[0]
        return np.minimum(found, len(self.values) - 1).astype(np.int32)

    @cached_property
    def coarse(self) -> dict:
        """By error bound: this table's bins grouped under it (spikey/quantiser.py keeps its groupings here)."""
        return {}

    @cached_property
    def _lookup(self):
        """By 16-bit value + 32768: the nearest bin's value (ties to the lower), and whether it is exact."""
        every = np.arange(-32768, 32768)
        values = self.values.astype(np.int64)
        idx = np.clip(np.searchsorted(values, every), 1, max(len(values) - 1, 1))
        if len(values) > 1:
            idx -= (every - values[idx - 1]) <= (values[idx] - every)
        else:
            idx[:] = 0
        return idx.astype(np.int32), values[idx] == every

    def indices(self, samples):
        """Bin index of each sample (the nearest value's for off-table samples) and the off-table positions.

        Two table lookups and no wide temporaries: an hour of samples must not cost gigabytes.
        """
        nearest, exact = self._lookup
        code = np.asarray(samples, dtype=np.int16).view(np.uint16) ^ np.uint16(0x8000)   # value + 32768
        return nearest[code], np.flatnonzero(~exact[code])


def load_adc_table(path) -> BinTable:
    z = npz.read(path)
    return BinTable.from_widths(z["levels"], z["widths"].astype(np.float64) / WIDTH_SCALE)


def lattice_table(offset: int, step: int, k_lo: int, k_hi: int) -> BinTable:
    """Values offset + k*step for k_lo <= k <= k_hi, each bin one unit wide on the axis value / step."""
    return value_set_table(offset + step * np.arange(k_lo, k_hi + 1, dtype=np.int64), step)


def value_set_table(values, step: int) -> BinTable:
    """The given increasing values as bins on the axis value / step, each bin reaching halfway to
    its neighbours: a code that is far from the others was wide in the converter, so it is likely."""
    values = np.asarray(values, dtype=np.int64)
    return BinTable.from_centres(values, values / step)


def save_adc_table(path, values, widths):
    q = np.clip(np.round(np.asarray(widths) * WIDTH_SCALE), 1, 65535).astype(np.uint16)
    np.savez_compressed(path, levels=np.asarray(values, dtype=np.int16), widths=q)    # the file's key: levels
