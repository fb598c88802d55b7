"""What grouping a code set costs against centring the groups on each prediction (JPEG-LS near-lossless):
the entropy of a Gaussian residual of sigma s quantised to groups of one step, averaged over where its
mean falls in a group (fixed groups, spikey/quantiser.py), beside the entropy with the group centred on
the mean (centred). Numbers for docs/near-lossless.md.

    python bench/centring.py
"""
import numpy as np
from scipy.stats import norm


def entropy(sigma: float, offset: float) -> float:
    """Bits of a N(offset, sigma^2) residual quantised to unit groups centred on the integers."""
    k = np.arange(-80, 81)
    p = norm.cdf((k + 0.5 - offset) / sigma) - norm.cdf((k - 0.5 - offset) / sigma)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def main():
    print("| sigma / step | fixed groups (bits) | centred (bits) | cost of fixed (bits) |")
    print("|---|---|---|---|")
    for sigma in (0.25, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0):
        fixed = np.mean([entropy(sigma, u) for u in np.linspace(0, 1, 41)[:-1]])
        centred = entropy(sigma, 0.0)
        print(f"| {sigma} | {fixed:.3f} | {centred:.3f} | {fixed - centred:.3f} |")


if __name__ == "__main__":
    main()
