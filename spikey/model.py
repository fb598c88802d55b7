"""The model as one value: everything encoder and decoder must share, loaded once, and its id.

A Model holds the ADC bin table, the Gaussian CDF table, the learned heads and the predictor's
constants; `Model.encode`/`Model.decode` are the one place where the coder's kernels are called with
them. Its id, written into every stream, is defined byte for byte in docs/format.md section 5.
"""
import hashlib
import os
import struct
from dataclasses import dataclass
from functools import cache

import numpy as np

from spikey import SpikeyError
from spikey import distribution as dist
from spikey import network as net
from spikey import predictor as pred
from spikey import fastcoder, kernels
from spikey.bins import BinTable, load_adc_table

# Package data, so that an installed wheel codes anywhere; the checkout's weights/ links here (the
# challenge counts that folder's bytes).
WEIGHTS_DIR = os.environ.get("SPIKEY_WEIGHTS", os.path.join(os.path.dirname(os.path.realpath(__file__)), "weights"))
ADC_FILE = "adc.npz"
NETWORK_FILE = "network.npz"

# The constants that shape a probability besides the arrays, in the order the model id packs them.
CONSTANTS = (pred.ORDER, pred.FORGET, pred.P_INIT, pred.P_TRACE_MAX, pred.VAR_RATE, pred.VAR_INIT, pred.VAR_MIN,
             net.HISTORY, net.ERRORS, net.SIGMA_UNIT, net.SIGMA_CAP, net.MIN_SCALE)


@dataclass(frozen=True, eq=False)
class Model:
    adc: BinTable          # the challenge ADC's values (its codes) and code widths
    heads: tuple             # w1, b1, wr, w2, b2, each with a leading axis over region heads
    id: bytes

    @property
    def n_heads(self) -> int:
        return len(self.heads[0])

    def head(self, i: int) -> tuple:
        """Head i's arrays (w1, b1, wr, w2, b2), as the coder takes them; NO_HEAD: the online
        predictor's Gaussian unchanged (zero shift, factor 1)."""
        if i == NO_HEAD:
            return _NO_HEAD
        return tuple(part[i] for part in self.heads)

    def encode(self, table: BinTable, idx: np.ndarray, head: int = 0, aux=None) -> bytes:
        """Range-coded payload of bin indices idx on table, from a fresh predictor; aux (len(idx), m):
        other channels' inputs to each prediction (spikey/crosschannel.py)."""
        aux = _no_aux(len(idx)) if aux is None else aux
        return kernels.encode_bins(idx, aux, table.edges, table.centres, dist.GAUSSIAN_CDF, pred.VAR_INIT,
                                   pred.VAR_RATE, *self.head(head)).tobytes()

    def decode(self, table: BinTable, payload: bytes, n: int, head: int = 0, aux=None) -> np.ndarray:
        """The n bin indices (int32) that encode turned into payload."""
        buf = np.frombuffer(payload, dtype=np.uint8)
        aux = _no_aux(n) if aux is None else aux
        return _decodable(kernels.decode_bins(buf, n, aux, table.edges, table.centres, table.cells,
                                              dist.GAUSSIAN_CDF, pred.VAR_INIT, pred.VAR_RATE, *self.head(head)))

    def encode_fast(self, table: BinTable, idx: np.ndarray, refs=None) -> bytes:
        """The fast level's payload: integers only (spikey/fastcoder.py), no head; refs (len(idx), m):
        the linked refs' samples on the fixed-point axis (crosschannel.fixed_refs)."""
        refs = _no_refs(len(idx)) if refs is None else refs
        return kernels.encode_fast(idx, fastcoder.fixed_edges(table.edges), dist.GAUSSIAN_CDF, refs).tobytes()

    def decode_fast(self, table: BinTable, payload: bytes, n: int, refs=None) -> np.ndarray:
        buf = np.frombuffer(payload, dtype=np.uint8)
        edges = fastcoder.fixed_edges(table.edges)
        refs = _no_refs(n) if refs is None else refs
        return _decodable(kernels.decode_fast(buf, n, edges, dist.GAUSSIAN_CDF, _GUESSES, table.cells, refs))


NO_HEAD = 255                # a channel record's head byte for no learned correction (docs/format.md 4)
_NO_HEAD = tuple(part[0] for part in net.untrained_heads())
_GUESSES = fastcoder.inverse_table(dist.GAUSSIAN_CDF)


def _decodable(idx: np.ndarray) -> np.ndarray:
    if len(idx) and idx[-1] < 0:
        raise SpikeyError("corrupt stream: a payload that no encoder makes")
    return idx


def _no_aux(n: int) -> np.ndarray:
    return np.zeros((n, 0))


def _no_refs(n: int) -> np.ndarray:
    return np.zeros((n, 0), dtype=np.int64)


def identify(table: BinTable, head_arrays) -> bytes:
    """First 4 bytes of SHA-256 over every table, weight and constant that shapes a probability: the
    bin values (int16 LE), bin edges (float64 LE), the CDF table (int64 LE), each head array (float64
    LE, C order), then CONSTANTS as float64 LE."""
    h = hashlib.sha256()
    for part, dtype in ((table.values, "<i2"), (table.edges, "<f8"), (dist.GAUSSIAN_CDF, "<i8"),
                        *((a, "<f8") for a in head_arrays)):
        h.update(np.ascontiguousarray(part, dtype=dtype).tobytes())
    h.update(struct.pack(f"<{len(CONSTANTS)}d", *CONSTANTS))
    return h.digest()[:4]


def _load(folder, name, loader):
    path = os.path.join(folder, name)
    try:
        return loader(path)
    except (OSError, ValueError, KeyError) as e:
        raise SpikeyError(f"cannot load {path}: {getattr(e, 'strerror', None) or e}") from None


def from_folder(folder: str) -> Model:
    table = _load(folder, ADC_FILE, load_adc_table)
    heads = _load(folder, NETWORK_FILE, net.load_heads)
    return Model(table, heads, identify(table, heads))


@cache
def default() -> Model:
    """The model of weights/ (or of the folder SPIKEY_WEIGHTS names)."""
    return from_folder(WEIGHTS_DIR)
