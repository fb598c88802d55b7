"""Fit the ADC bin table and its code widths from training recordings.

Values: every value seen, plus the codes a converter must have but the data never showed (a gap twice
the usual spacing gets its midpoint). Widths: how often each code occurs relative to a smooth curve
through the histogram. A code that is hit half as often as its neighbours is half as wide. Rare codes
are shrunk toward width 1 because their counts say little.
"""
import numpy as np
from scipy.ndimage import gaussian_filter1d

from spikey.bins import save_adc_table

SMOOTH_CODES = 8.0       # width of the smooth curve, in codes
PRIOR_COUNT = 20.0       # pseudo-count pulling rare codes toward width 1


def fit_values(values: np.ndarray) -> np.ndarray:
    values = np.unique(values).astype(np.int64)
    gaps = np.diff(values)
    usual = np.median(gaps)
    filled = [values[:1]]
    for lo, gap in zip(values[:-1], gaps, strict=True):
        missing = int(round(gap / usual)) - 1
        filled.append(lo + np.round(gap * np.arange(1, missing + 1) / (missing + 1)).astype(np.int64))
        filled.append(np.array([lo + gap]))
    return np.concatenate(filled)


def fit_widths(counts: np.ndarray) -> np.ndarray:
    smooth = gaussian_filter1d(counts.astype(np.float64), SMOOTH_CODES, mode="nearest")
    widths = (counts + PRIOR_COUNT) / (smooth + PRIOR_COUNT)
    return widths / widths.mean()


def fit(sample_arrays, out_path):
    samples = np.concatenate(list(sample_arrays))
    values = fit_values(samples)
    counts = np.bincount(np.searchsorted(values, samples), minlength=len(values))
    widths = fit_widths(counts)
    save_adc_table(out_path, values, widths)
    return values, widths, counts
