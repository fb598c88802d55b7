"""Code sets: which integers a channel can hold in a block, and the bin table that codes them.

Acquisition systems store far fewer than 65536 values: the challenge's 10-bit ADC scaled to 16 bits
(its learned table, with unequal code widths), a gain that leaves every value on a lattice
offset + k*step (Neuropixels as Open Ephys writes it: 12 units a step), unsigned 12-bit codes in a
narrow range, or a handful of used values. Coding bin indices instead of values puts no
probability on integers that cannot occur. The encoder finds the set from the block's own samples
and writes it into the block (docs/format.md section 4), so a decoder needs nothing else.
"""
from dataclasses import dataclass

import numpy as np

from spikey.bins import BinTable, lattice_table, value_set_table

ADC, LATTICE, VALUE_SET, VERBATIM = 0, 1, 2, 3
MAX_EXCEPTION_SHARE = 0.01   # beyond this share of off-table samples the ADC table does not fit
SPARSE_SHARE = 0.5           # a value set when fewer than this share of the lattice's values are used


@dataclass(frozen=True, eq=False)
class CodeSet:
    coding: int
    offset: int = 0                     # LATTICE: values offset + k*step, k_lo <= k <= k_hi
    step: int = 1                       # LATTICE and VALUE_SET: the axis is value / step
    k_lo: int = 0
    k_hi: int = 0
    values: np.ndarray | None = None    # VALUE_SET: the increasing values

    def table(self, adc: BinTable) -> BinTable:
        if self.coding == ADC:
            return adc
        if self.coding == LATTICE:
            return lattice_table(self.offset, self.step, self.k_lo, self.k_hi)
        return value_set_table(self.values, self.step)


def candidates(x: np.ndarray, adc: BinTable):
    """[(code set, bin indices, exceptions as (position, value))] worth trying for one channel's
    samples x: the ADC table where it fits; else the lattice, and the value set too where the lattice
    is mostly unused (the set's own bytes decide, so the caller codes both and keeps the smaller)."""
    idx, off = adc.indices(x)
    if len(off) <= MAX_EXCEPTION_SHARE * len(x):
        return [(CodeSet(ADC), idx, [(int(p), int(x[p])) for p in off])]
    wide = x.astype(np.int64)
    lo, hi = int(wide.min()), int(wide.max())
    step = int(np.gcd.reduce(wide - lo)) or 1
    offset = lo % step
    k = (wide - offset) // step
    k_lo, k_hi = (lo - offset) // step, (hi - offset) // step
    found = [(CodeSet(LATTICE, offset, step, k_lo, k_hi), (k - k_lo).astype(np.int32), [])]
    used = np.unique(k)
    if len(used) < SPARSE_SHARE * (k_hi - k_lo + 1):
        found.append((CodeSet(VALUE_SET, step=step, values=offset + step * used),
                      np.searchsorted(used, k).astype(np.int32), []))
    return found
