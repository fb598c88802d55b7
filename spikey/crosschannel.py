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


def correlations(x: np.ndarray) -> np.ndarray:
    """|r| of the first differences of every two channels of frames x (n, channels): (channels, channels).
    The sums are of integers below 2^53, so exact whatever order a BLAS adds them in: the links an
    encoder picks (and so its bytes) are the same on every machine, near-ties included."""
    if len(x) > EXACT_FRAMES:
        raise ValueError(f"correlations over {len(x)} frames: at most {EXACT_FRAMES} are summed exactly")
    d = np.diff(x.astype(np.float64), axis=0)
    n = max(len(d), 1)
    s = d.sum(axis=0)
    cov = d.T @ d - np.outer(s, s) / n
    var = np.maximum(np.diag(cov), 0.0)       # a rounding below 0 where a channel is a ramp
    return np.abs(cov) / np.maximum(np.sqrt(np.outer(var, var)), 1e-300)


def links(x: np.ndarray, max_refs: int, min_r: float) -> list:
    """For each channel of frames x (n, channels), up to max_refs earlier channels whose first
    differences correlate most with its own, at least min_r, strongest first (each adds len(LAGS)
    inputs to an O(n^2) update: the level's profile says how many, and how weak a link it tries)."""
    if x.shape[1] < 2:      # nothing to link; and no matrix product, after which numpy's BLAS threads
        return [[] for _ in range(x.shape[1])]      # spin beside the coder for a while (perf: 24% of a run)
    r = correlations(x)
    refs = []
    for c in range(x.shape[1]):
        order = np.argsort(-r[c, :c], kind="stable")[:max_refs]
        refs.append([int(j) for j in order if r[c, j] >= min_r])
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
