import numpy as np
import pytest

from conftest import SAMPLES, channels_of
from spikey import SpikeyError, codec
from spikey.streaming import StreamEncoder
from spikey.training.split import read_samples


def test_pushed_chunks_give_the_file_payload():
    samples = read_samples(SAMPLES[0])[:30000]
    [file_channel] = channels_of(codec.encode_samples(samples))
    enc = StreamEncoder(file_channel.head)
    rng = np.random.default_rng(0)
    out, pos = [], 0
    for size in [1, 1, 2, 0, 5] + list(rng.integers(1, 3000, 40)):
        out.append(enc.push(samples[pos:pos + size]))
        pos += size
    out.append(enc.push(samples[pos:]))
    out.append(enc.finish())
    assert b"".join(out) == file_channel.payload


def test_bytes_come_out_as_samples_go_in():
    samples = read_samples(SAMPLES[1])[:5000]
    enc = StreamEncoder()
    sizes = [len(enc.push(samples[i:i + 1])) for i in range(len(samples))]
    assert sum(sizes[:1000]) > 0.8 * sum(sizes[:2000]) / 2      # no buffering beyond carries


def test_off_table_samples_are_refused():
    with pytest.raises(SpikeyError, match="not one of the ADC's values"):
        StreamEncoder().push([0])
