"""Zero-delay streaming encoder of one channel, for a live link rather than files.

Each pushed sample is coded at once and every byte it settles comes back from that push; only bytes
still subject to a range-coder carry wait. The concatenated output equals the payload that the file
encoder writes for the same samples (the ADC code set, no exceptions), so Model.decode reads it.
"""
import numpy as np

from spikey import SpikeyError
from spikey import model as models
from spikey import network as net
from spikey import distribution as dist
from spikey import predictor as pred
from spikey import rangecoder as rc
from spikey.coder import new_state, state_size
from spikey.kernels import encode_block


class StreamEncoder:
    def __init__(self, head: int = 0, model=None):
        model = model or models.default()
        self.table = model.adc
        self.head = model.head(head)
        self.state = new_state(pred.VAR_INIT, *net.state_sizes(self.head[1], self.head[2]), 0, 0)
        self.coder = rc.encoder_new()
        self.out = np.zeros(64, dtype=np.uint8)
        self.started = False       # the coder's first byte is always 0 and is not sent
        self.held_zeros = 0        # zero bytes are sent only once a later byte shows they are not the end

    def state_bytes(self) -> int:
        return 8 * (state_size(*net.state_sizes(self.head[1], self.head[2]), 0, 0) + len(rc.encoder_new()))

    def push(self, samples) -> bytes:
        idx, off = self.table.indices(np.asarray(samples, dtype=np.int16))
        if len(off):
            raise SpikeyError(f"sample {int(np.asarray(samples)[off[0]])} is not one of the ADC's values; "
                              "the streaming encoder codes the ADC's values only")
        if len(self.out) < 4 * len(idx) + 16:
            self.out = np.zeros(4 * len(idx) + 16, dtype=np.uint8)
        self.coder[4] = 0
        no_columns = np.zeros((len(idx), 0))
        encode_block(idx, no_columns, no_columns, self.table.edges, self.table.centres, dist.GAUSSIAN_CDF,
                     pred.VAR_RATE, *self.head, self.state, self.coder, self.out, np.empty(len(idx)))
        return self._send(self.out[:self.coder[4]].tobytes())

    def finish(self) -> bytes:
        self.coder[4] = 0
        rc.finish(self.coder, self.out)
        return self._send(self.out[:self.coder[4]].tobytes()) if self.coder[4] else b""

    def _send(self, chunk: bytes) -> bytes:
        if not self.started and chunk:
            chunk, self.started = chunk[1:], True
        data = b"\0" * self.held_zeros + chunk
        sent = data.rstrip(b"\0")
        self.held_zeros = len(data) - len(sent)
        return sent
