"""Levels: map 16-bit samples to the ADC's code indices and place each code on a linearised axis.

The recordings are a 10-bit successive-approximation ADC scaled to 16 bits. Its codes have unequal
widths (imperfect bit weights), the same in every file: a code's bin on the linearised axis is as wide
as the code is likely. The table of levels and widths is learned (spikey.train) and frozen in weights/.
A sample that is not on the table is an exception, stored verbatim next to the coded stream.
"""
from dataclasses import dataclass
from functools import cache

import numpy as np

from spikey import npz

WIDTH_SCALE = 4096          # widths are stored as uint16 in units of 1/WIDTH_SCALE of a nominal code


@dataclass(frozen=True)
class LevelTable:
    values: np.ndarray      # int16, increasing: the sample value of each level
    edges: np.ndarray       # float64, len(values)+1: bin edges on the linearised axis
    centres: np.ndarray     # float64: bin centres, what the predictor sees
    nearest: np.ndarray     # int32, by 16-bit value + 32768: the nearest level (ties to the lower)
    exact: np.ndarray       # bool, by 16-bit value + 32768: the value is a level

    @staticmethod
    def from_widths(values, widths):
        values = np.asarray(values, dtype=np.int16)
        edges = np.concatenate([[0.0], np.cumsum(np.asarray(widths, dtype=np.float64))])
        edges -= edges[len(values) // 2]
        every = np.arange(-32768, 32768)
        idx = np.clip(np.searchsorted(values, every), 1, len(values) - 1)
        idx -= (every - values[idx - 1]) <= (values[idx] - every)
        return LevelTable(values, edges, 0.5 * (edges[:-1] + edges[1:]), idx.astype(np.int32), values[idx] == every)

    def indices(self, samples):
        """Level index of each sample (nearest level for off-table samples) and the off-table positions.

        Two table lookups and no wide temporaries: an hour of samples must not cost gigabytes.
        """
        code = np.asarray(samples, dtype=np.int16).view(np.uint16) ^ np.uint16(0x8000)   # value + 32768
        return self.nearest[code], np.flatnonzero(~self.exact[code])


def load_adc_table(path) -> LevelTable:
    z = npz.read(path)
    return LevelTable.from_widths(z["levels"], z["widths"].astype(np.float64) / WIDTH_SCALE)


@cache
def identity_table() -> LevelTable:
    """Every 16-bit value a level of unit width: the model for recordings that are not on the ADC grid."""
    return LevelTable.from_widths(np.arange(-32768, 32768), np.ones(65536))


def save_adc_table(path, levels, widths):
    q = np.clip(np.round(np.asarray(widths) * WIDTH_SCALE), 1, 65535).astype(np.uint16)
    np.savez_compressed(path, levels=np.asarray(levels, dtype=np.int16), widths=q)
