"""Thread topology: which recordings behave alike, and which were recorded together.

Behaviour: each recording is described by a few activity statistics of its first differences (scale,
tail weight, spike rate, spectral balance, time on the rails); the activity distance between two
recordings is the Euclidean distance of their rank-standardised descriptors, and k-means on them gives the
regions that the learned heads specialise in.

Simultaneity: recordings of equal length are compared sample by sample; two leads recorded together
share noise and spikes, so their first differences correlate at lag 0 far above chance (|r| > 10/sqrt(n)).
"""
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

FEATURES = ("log scale", "kurtosis", "spike rate", "low-band power", "mid-band power", "rail time")


def descriptor(samples: np.ndarray) -> np.ndarray:
    x = samples.astype(np.float64)
    d = np.diff(x) if len(x) > 1 else np.zeros(1)
    scale = d.std() + 1.0
    z = (d - d.mean()) / scale
    power = np.abs(np.fft.rfft(d)) ** 2
    edges = (np.array([0.0, 0.05, 0.25, 1.0]) * len(power)).astype(int)
    bands = [power[a:b].sum() for a, b in zip(edges[:-1], edges[1:], strict=True)]
    total = sum(bands) + 1e-12
    rails = np.mean((samples <= -32700) | (samples >= 32700))
    return np.array([np.log(scale), np.log(np.mean(z ** 4) + 1e-12), np.mean(np.abs(z) > 5),
                     bands[0] / total, bands[1] / total, rails])


def standardise(descriptors: np.ndarray, reference: np.ndarray | None = None):
    """Each statistic as its rank among the reference recordings, in [0, 1]: a few extreme recordings
    (long stretches on the rails, say) must not turn every cluster into a cluster of one."""
    reference = descriptors if reference is None else reference
    ranks = [np.searchsorted(np.sort(reference[:, j]), descriptors[:, j]) for j in range(reference.shape[1])]
    return np.stack(ranks, axis=1) / len(reference)


def kmeans(points: np.ndarray, k: int, seed: int = 0, rounds: int = 100):
    """Labels and centres; k-means++ start, seeded, so the regions are reproducible."""
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        d2 = np.min([((points - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(points[rng.choice(len(points), p=d2 / d2.sum())])
    centres = np.array(centres)
    for _ in range(rounds):
        labels = np.argmin(((points[:, None] - centres[None]) ** 2).sum(-1), axis=1)
        new = np.array([points[labels == j].mean(0) if np.any(labels == j) else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    return labels, centres


def simultaneous_pairs(names, recordings, max_lag=3):
    """Pairs of equal-length recordings whose first differences correlate at lag 0 beyond chance."""
    by_length = defaultdict(list)
    for i, x in enumerate(recordings):
        by_length[len(x)].append(i)
    pairs = []
    for group in by_length.values():
        diffs = {i: _unit(np.diff(recordings[i].astype(np.float64))) for i in group}
        for a_pos, a in enumerate(group):
            for b in group[a_pos + 1:]:
                r = float(diffs[a] @ diffs[b])
                if abs(r) > 10 / np.sqrt(len(diffs[a])):
                    lags = {lag: float(diffs[a][max(lag, 0):len(diffs[a]) + min(lag, 0)]
                                       @ diffs[b][max(-lag, 0):len(diffs[b]) + min(-lag, 0)])
                            for lag in range(-max_lag, max_lag + 1)}
                    pairs.append({"a": names[a], "b": names[b], "r": round(r, 4),
                                  "aligned at lag 0": max(lags, key=lambda k: abs(lags[k])) == 0})
    return sorted(pairs, key=lambda p: -abs(p["r"]))


def _unit(v):
    v = v - v.mean()
    return v / (np.linalg.norm(v) + 1e-12)


def report(folder, out_path, k: int):
    """`spikey topology`: regions and pairs of a folder's recordings, printed and saved as JSON."""
    from spikey.training import split
    files = split.wav_files(folder)
    recordings = [split.read_samples(f) for f in files]
    names = [f.name for f in files]
    labels, centres = kmeans(standardise(np.array([descriptor(x) for x in recordings])), k)
    pairs = simultaneous_pairs(names, recordings)
    print(f"{len(files)} recordings; regions (k-means on {', '.join(FEATURES)}): "
          f"sizes {np.bincount(labels, minlength=k).tolist()}")
    for j, c in enumerate(centres):
        print(f"  region {j}: centre (ranks) " + ", ".join(f"{n} {v:.2f}" for n, v in zip(FEATURES, c, strict=True)))
    if pairs:
        rs = [p["r"] for p in pairs]
        print(f"{len(pairs)} simultaneous pairs (equal length, lag-0 correlation of differences): median r "
              f"{np.median(rs):.3f}, max {max(rs):.3f}; {sum(p['aligned at lag 0'] for p in pairs)} peak at lag 0")
    else:
        print("no simultaneous pairs")
    regions = dict(zip(names, labels.tolist(), strict=True))
    Path(out_path).write_text(json.dumps({"regions": regions, "pairs": pairs}, indent=1))
    print(f"topology written to {out_path}")


def recording(path, out_path, channels=None):
    """`spikey topology FILE`: the links the default level would find within one multi-channel
    recording (over its first block), with each link's correlation, printed and saved as JSON."""
    from spikey import codec, containers, crosschannel, profiles
    layout, x = containers.read_recording(path, channels)
    first = x[:codec.block_frames(layout.channels)]
    r = crosschannel.correlations(first)
    default = profiles.PROFILES[0]
    refs = crosschannel.links(first, default.max_refs, default.min_r)
    linked = [{"channel": c, "refs": [{"channel": j, "r": round(float(r[c, j]), 4)} for j in js]}
              for c, js in enumerate(refs) if js]
    print(f"{layout.channels} channels, {layout.frames} frames; {len(linked)} linked to earlier channels "
          f"(|r| of first differences >= {default.min_r}, up to {default.max_refs} each)")
    for link in linked:
        print(f"  channel {link['channel']}: " + ", ".join(f"{e['channel']} (r {e['r']:.2f})" for e in link["refs"]))
    Path(out_path).write_text(json.dumps({"channels": layout.channels, "links": linked}, indent=1))
    print(f"topology written to {out_path}")
