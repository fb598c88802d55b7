"""The model as one value: everything encoder and decoder must share, loaded once, and its id.

A Model holds the ADC bin table, the Gaussian CDF table, the learned heads of its network files and
the predictor's constants; `Model.encode`/`Model.decode` are the one place where the coder's kernels
are called with them. Its id, written into every stream, is defined byte for byte in docs/format.md
section 5. A level names the network files of its model (spikey/profiles.py); a decoder takes the
model whose id the stream names, so a new model is a new row beside the old ones, and every stream
written before still decodes.
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
from spikey.profiles import PROFILES

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
    heads: tuple           # per head, its arrays w1, b1, wr, w2, b2: each network file's regions in turn
    id: bytes

    @property
    def n_heads(self) -> int:
        return len(self.heads)

    def head(self, i: int) -> tuple:
        """Head i's arrays (w1, b1, wr, w2, b2), as the coder takes them; NO_HEAD: the online
        predictor's Gaussian unchanged (zero shift, factor 1)."""
        return _NO_HEAD if i == NO_HEAD else self.heads[i]

    def encode(self, table: BinTable, idx: np.ndarray, head: int = 0, aux=None, moves=None, surprises=None) -> bytes:
        """Range-coded payload of bin indices idx on table, from a fresh predictor; aux (len(idx), m):
        other channels' inputs to each prediction (spikey/crosschannel.py); moves (len(idx), m'): the
        refs' surprises MiddleOut moves each mean by (spikey/middleout.py); surprises, when given, gets
        each sample's own."""
        n = len(idx)
        return kernels.encode_bins(idx, _none(n, aux), _none(n, moves), table.edges, table.centres, dist.GAUSSIAN_CDF,
                                   pred.VAR_INIT, pred.VAR_RATE, *self.head(head), _out(n, surprises)).tobytes()

    def decode(self, table: BinTable, payload: bytes, n: int, head: int = 0, aux=None, moves=None,
               surprises=None) -> np.ndarray:
        """The n bin indices (int32) that encode turned into payload."""
        buf = np.frombuffer(payload, dtype=np.uint8)
        return _decodable(kernels.decode_bins(buf, n, _none(n, aux), _none(n, moves), table.edges, table.centres,
                                              table.cells, dist.GAUSSIAN_CDF, pred.VAR_INIT, pred.VAR_RATE,
                                              *self.head(head), _out(n, surprises)))

    def encode_cascade(self, table: BinTable, idx: np.ndarray, shape: int, head: int = 0, aux=None, bursts=None,
                       surprises=None) -> bytes:
        """The payload of the cascade loop of that shape (spikey/cascade.py); aux as for encode; bursts: the
        refs' surprise around each sample (codec.burst), which a shape with the refs' context needs; each
        sample's own surprise goes to surprises where given."""
        return kernels.encode_cascade(idx, _none(len(idx), aux), _bursts(len(idx), shape, bursts), table.edges,
                                      table.centres, dist.GAUSSIAN_CDF, *self.head(head), shape,
                                      _some(surprises)).tobytes()

    def decode_cascade(self, table: BinTable, payload: bytes, n: int, shape: int, head: int = 0,
                       aux=None, bursts=None, surprises=None) -> np.ndarray:
        buf = np.frombuffer(payload, dtype=np.uint8)
        return _decodable(kernels.decode_cascade(buf, n, _none(n, aux), _bursts(n, shape, bursts), table.edges,
                                                 table.centres, table.cells, dist.GAUSSIAN_CDF, *self.head(head),
                                                 shape, _some(surprises)))

    def encode_fast(self, table: BinTable, idx: np.ndarray, refs=None, step_bits=0) -> bytes:
        """The fast level's payload: integers only (spikey/fastcoder.py; with its cascade stage of step
        2^-step_bits where that is not 0, spikey/fastcascade.py), no head; refs (len(idx), m): the linked
        refs' samples on the fixed-point axis (crosschannel.fixed_refs)."""
        edges, refs = fastcoder.fixed_edges(table.edges), _none(len(idx), refs, np.int64)
        if step_bits:
            return kernels.encode_fast_cascade(idx, edges, dist.GAUSSIAN_CDF, refs, step_bits).tobytes()
        return kernels.encode_fast(idx, edges, dist.GAUSSIAN_CDF, refs).tobytes()

    def decode_fast(self, table: BinTable, payload: bytes, n: int, refs=None, step_bits=0) -> np.ndarray:
        buf = np.frombuffer(payload, dtype=np.uint8)
        args = (buf, n, fastcoder.fixed_edges(table.edges), dist.GAUSSIAN_CDF, dist.GUESSES, table.cells,
                _none(n, refs, np.int64))
        return _decodable(kernels.decode_fast_cascade(*args, step_bits) if step_bits else kernels.decode_fast(*args))


NO_HEAD = 255                # a channel record's head byte for no learned correction (docs/format.md 4)
_NO_HEAD = tuple(part[0] for part in net.untrained_heads())


def _decodable(idx: np.ndarray) -> np.ndarray:
    if len(idx) and idx[-1] < 0:
        raise SpikeyError("corrupt stream: a payload that no encoder makes")
    return idx


def _none(n: int, columns, dtype=np.float64) -> np.ndarray:
    """columns, or where there are none, n rows of no columns (what the kernels take for "none")."""
    return np.zeros((n, 0), dtype=dtype) if columns is None else columns


def _out(n: int, surprises) -> np.ndarray:
    return np.empty(n) if surprises is None else surprises


def _some(surprises) -> np.ndarray:
    """Where a cascade writes its surprises: nowhere (no rows) unless asked."""
    return np.empty(0) if surprises is None else surprises


def _bursts(n: int, shape: int, bursts) -> np.ndarray:
    """The refs' surprise a cascade of that shape reads: a row a sample where it has the refs' context (the
    kernel reads them unchecked), else none."""
    if not shape & 8:            # cascade.has_burst
        return np.empty(0)
    if bursts is None or len(bursts) != n:
        raise SpikeyError("corrupt stream: a loop with the refs' context in a record without refs")
    return np.ascontiguousarray(bursts, dtype=np.float64)


def identify(table: BinTable, head_arrays) -> bytes:
    """First 4 bytes of SHA-256 over every table, weight and constant that shapes a probability: the
    bin values (int16 LE), bin edges (float64 LE), the CDF table (int64 LE), each network file's arrays
    as it stores them (float64 LE, C order, with the region axis), then CONSTANTS as float64 LE."""
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


def from_folder(folder: str, networks=(NETWORK_FILE,)) -> Model:
    table = _load(folder, ADC_FILE, load_adc_table)
    files = [_load(folder, name, net.load_heads) for name in networks]
    heads = tuple(tuple(part[r] for part in arrays) for arrays in files for r in range(len(arrays[0])))
    return Model(table, heads, identify(table, [a for arrays in files for a in arrays]))


@cache
def of_networks(networks: tuple) -> Model:
    """The model of weights/ (or of the folder SPIKEY_WEIGHTS names) with those network files."""
    return from_folder(WEIGHTS_DIR, networks)


def default() -> Model:
    return of_networks((NETWORK_FILE,))


def for_stream(model_id: bytes, model: Model | None = None) -> Model:
    """The model a stream names: the one given, which must be it, or that of a level of this spikey
    (among those whose files the weights folder holds)."""
    rows = [p.networks for p in PROFILES if all(os.path.exists(os.path.join(WEIGHTS_DIR, n)) for n in p.networks)]
    known = [model] if model else (of_networks(n) for n in dict.fromkeys(rows))
    have = []
    for m in known:
        if m.id == model_id:
            return m
        have.append(m.id.hex())
    raise SpikeyError(f"stream was made with other weights (model {model_id.hex()}; this decoder has "
                      f"{', '.join(have)})")
