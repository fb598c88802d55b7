"""One recording's blocks coded on a Dask cluster, its stream assembled here (`spikey encode … --scheduler`).

A file used to be one task, so a long recording kept one worker busy and left the rest idle. Blocks are
independent to code given their samples; what ties them together is cheap and stays here: the header
(links, from the first block), each block's samples CRC (chained from the one before: stream.samples_crc)
and the file's CRC, summed as codec.encode_frames reads the file once in order. A task gets the file's
path, its block's span and CRC, reads its own frames (so it holds one block, and no samples cross the
network), codes them and returns the block's bytes, which are written in order: the stream is the one a
local `spikey encode` writes, byte for byte. Workers must see the files at the paths the client does, as
for a whole file's task. Decoding stays one task per file (batch.run_dask).
"""
import os
import threading
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from spikey import SpikeyError, codec, containers, profiles, quantiser
from spikey import model as models


def encode_block_at(path: str, layout, span: tuple, digest: int, samples_crc: int, refs: list, level: str,
                    bounds: list) -> bytes:
    """A block of the file at path (frames span, read through its layout), coded on a worker; bounds: a
    near-lossless stream's per channel (empty: lossless), its samples quantised here as the client did.
    digest: the CRC-32 of the samples the client read (near-lossless: their reconstruction), so a file
    changed meanwhile is refused, not coded into a stream whose checksums fail."""
    profile = profiles.PROFILES[profiles.index(level)]
    model = models.of_networks(profile.networks)
    with open(path, "rb") as f:
        x = containers.read_frames(f, layout, *span)
    item = quantiser.block(x, model.adc, bounds) if bounds else (x,)
    if zlib.crc32(item[0].astype("<i2", copy=False)) != digest:
        raise SpikeyError(f"{path} changed while it was being encoded")
    return codec.encode_block(item[0], samples_crc, *item[1:], model=model, refs=refs, profile=profile)


class Blocks:
    """Files' blocks sent to a Dask client's workers, at most two per worker thread in flight over all the
    files being coded (so the finished blocks a writer has yet to take stay bounded)."""

    def __init__(self, client):
        self.client = client
        self.threads = max(1, sum(client.nthreads().values()))
        self.slots = threading.Semaphore(2 * self.threads)
        self.lock, self.in_flight, self.stopped = threading.Lock(), set(), False

    def stop(self):
        """Submit nothing more and cancel what is in flight: each file's writer then fails at once
        (an interrupt), where it would wait for its blocks."""
        with self.lock:
            self.stopped = True
            for future in self.in_flight:
                future.cancel()

    def _submit(self, *args):
        """A block's task, sent with the slot its caller took, which it gives back if it is not sent."""
        try:
            with self.lock:
                if self.stopped:
                    raise SpikeyError("interrupted")
                future = self.client.submit(encode_block_at, *args, pure=False)
                self.in_flight.add(future)
        except BaseException:
            self.slots.release()
            raise
        return future

    def coder(self, path, level: str):
        """codec.encode_frames' coder for the file at path."""
        path = os.path.abspath(path)

        def code(h, layout, blocks):
            pending = deque()
            try:
                for i, (x, samples_crc, *_) in enumerate(blocks):
                    while not self.slots.acquire(blocking=False):
                        if not pending:         # none of ours to wait for: another file's will free a slot
                            self.slots.acquire()
                            break
                        yield self._take(pending)
                    pending.append(self._submit(path, layout, h.block_span(i), zlib.crc32(x.astype("<i2", copy=False)),
                                                samples_crc, h.refs, level, h.max_errors))
                while pending:
                    yield self._take(pending)
            finally:                            # an error or the writer gone: drop what is left
                for future in pending:
                    future.cancel()
                    self._done(future)
        return code

    def _take(self, pending) -> bytes:
        future = pending.popleft()
        try:
            return future.result()
        finally:
            self._done(future)

    def _done(self, future):
        with self.lock:
            self.in_flight.discard(future)
        self.slots.release()


def encode_files(client, jobs, options_of, advance, code_one) -> list:
    """code_one's message (None: written) for each (source, destination), the files' blocks coded on the
    cluster; options_of(source): its options; as many files at once as the cluster has threads, so that
    short files keep it busy too."""
    blocks = Blocks(client)

    def one(job):
        src, dst = job
        options = options_of(src)
        result = code_one("encode", src, dst, dict(options, coder=blocks.coder(src, options.get("level", "default"))))
        advance()
        return result
    pool = ThreadPoolExecutor(min(blocks.threads, len(jobs)))
    try:
        return list(pool.map(one, jobs))
    except BaseException:               # an interrupt: the files being written fail now, and leave nothing
        blocks.stop()
        raise
    finally:
        pool.shutdown(cancel_futures=True)
