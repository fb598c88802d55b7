"""Channels that predict each other: links within a recording, and the inputs they give a prediction.

Within a block the channels are coded one after another, so when channel c is coded every channel
before it is known whole to the decoder too. A channel linked to earlier ones (its refs, in the
stream's header) adds their samples around the same instant to its predictor's regressor: the
sample just after, at and just before (LAGS), on each ref's linearised axis. The RLS learns how much
of each to use; the encoder keeps the link only in blocks where it pays (docs/format.md section 4).
"""
import numpy as np

from spikey import fastcoder

LAGS = (1, 0, -1)         # a ref's sample after, at and before the one being predicted
EXACT_FRAMES = 1 << 21    # sums of int16 differences' products stay below 2^53 over fewer frames than this
ROWS_AT_ONCE = 1 << 22    # entries of the correlation matrix links() holds at once (32 MB), whatever the channels


def correlations(x: np.ndarray) -> np.ndarray:
    """|r| of the first differences of every two channels of frames x (n, channels): (channels, channels).
    The sums are of integers below 2^53, so exact whatever order a BLAS adds them in: the links an
    encoder picks (and so its bytes) are the same on every machine, near-ties included, and the matrix
    is the same made a part of its rows at a time."""
    return _rows(_sums(x), slice(None))


def _sums(x: np.ndarray) -> tuple:
    """(first differences, their sums, their count (at least 1), their variances) of frames x."""
    if len(x) > EXACT_FRAMES:
        raise ValueError(f"correlations over {len(x)} frames: at most {EXACT_FRAMES} are summed exactly")
    d = np.diff(x.astype(np.float64), axis=0)
    n = max(len(d), 1)
    s = d.sum(axis=0)
    var = np.maximum(np.einsum("ij,ij->j", d, d) - s * s / n, 0.0)     # below 0 by a rounding: a ramp
    return d, s, n, var


def _rows(sums: tuple, rows: slice, columns: slice = slice(None)) -> np.ndarray:
    """Rows by columns of the correlation matrix, from _sums."""
    d, s, n, var = sums
    cov = d[:, rows].T @ d[:, columns] - np.outer(s[rows], s[columns]) / n
    return np.abs(cov) / np.maximum(np.sqrt(np.outer(var[rows], var[columns])), 1e-300)


def links(x: np.ndarray, max_refs: int, min_r: float) -> list:
    """For each channel of frames x (n, channels), up to max_refs earlier channels whose first
    differences correlate most with its own, at least min_r, strongest first (each adds len(LAGS)
    inputs to an O(n^2) update: the level's profile says how many, and how weak a link it tries).
    The matrix is made a part of its rows at a time, so memory does not grow with channels squared."""
    channels = x.shape[1]
    if channels < 2 or len(x) < 3:     # nothing to link (one difference correlates with none); and no matrix
        return [[] for _ in range(channels)]   # product, after which numpy's BLAS threads spin beside the coder
    refs, sums = [], _sums(x)                  # for a while (perf: 24% of a run)
    step = max(1, ROWS_AT_ONCE // channels)
    for first in range(0, channels, step):     # each row's earlier channels only
        r = _rows(sums, slice(first, first + step), slice(0, first + step))
        for c in range(first, min(first + step, channels)):
            strong = np.flatnonzero(r[c - first, :c] >= min_r)
            order = strong[np.argsort(-r[c - first, strong], kind="stable")]
            refs.append([int(j) for j in order[:max_refs]])
    return refs


def inputs(linear: list) -> np.ndarray:
    """(n, len(linear) * len(LAGS)) regressor columns from the refs' linearised samples; zero beyond
    the block's ends, which the decoder cannot see."""
    n = len(linear[0]) if linear else 0
    aux = np.zeros((n, len(linear) * len(LAGS)))
    for j, v in enumerate(linear):
        for k, lag in enumerate(LAGS):
            col = aux[:, j * len(LAGS) + k]
            if lag >= 0:
                col[:n - lag] = v[lag:]
            else:
                col[-lag:] = v[:n + lag]
    return aux


def fixed_refs(linear: list) -> np.ndarray:
    """(n, len(linear)) int64: the refs' linearised samples on the fast level's fixed-point axis
    (spikey/fastcoder.py), whose loop takes their differences itself."""
    n = len(linear[0]) if linear else 0
    out = np.empty((n, len(linear)), dtype=np.int64)
    for j, v in enumerate(linear):
        out[:, j] = np.floor(v * (1 << fastcoder.FX))
    return out
