"""What encoder and decoder must share, loaded once from weights/, and the id that streams carry."""
import hashlib
import os
from functools import cache

import numpy as np

from spikey import SpikeyError
from spikey import distribution as dist
from spikey import network as net
from spikey import predictor as pred
from spikey.levels import LevelTable, load_adc_table

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
WEIGHTS_DIR = os.environ.get("SPIKEY_WEIGHTS", os.path.join(_PACKAGE_PARENT, "weights"))
ADC_FILE = "adc.npz"
NETWORK_FILE = "network.npz"


def _load(name, loader):
    path = os.path.join(WEIGHTS_DIR, name)
    try:
        return loader(path)
    except (OSError, ValueError, KeyError) as e:
        raise SpikeyError(f"cannot load {path}: {getattr(e, 'strerror', None) or e}") from None


@cache
def adc_table() -> LevelTable:
    return _load(ADC_FILE, load_adc_table)


@cache
def heads():
    return _load(NETWORK_FILE, net.load_heads)


def head(i: int):
    """Head i's arrays (w1, b1, w2, b2), as the coder takes them."""
    return tuple(part[i] for part in heads())


@cache
def model_id() -> bytes:
    return identify(adc_table(), heads())


def identify(table: LevelTable, head_arrays) -> bytes:
    """First 4 bytes of SHA-256 over every table, weight and constant that shapes a probability."""
    h = hashlib.sha256()
    for part in (table.values, table.edges, dist.GAUSSIAN_CDF, *head_arrays):
        h.update(np.ascontiguousarray(part).tobytes())
    h.update(repr((pred.ORDER, pred.FORGET, pred.P_INIT, pred.P_TRACE_MAX, pred.VAR_RATE, pred.VAR_INIT,
                   pred.VAR_MIN, net.HISTORY, net.ERRORS, net.SIGMA_UNIT, net.SIGMA_CAP,
                   net.MIN_SCALE)).encode())
    return h.digest()[:4]
