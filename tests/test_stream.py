import pytest

from spikey import SpikeyError, codec, stream


@pytest.fixture(scope="module")
def encoded(recording):
    return codec.encode(recording)


def test_fields(recording, encoded):
    s = stream.read(encoded, codec.model_id())
    assert encoded[:4] == b"SPKY" and encoded[4] == stream.VERSION
    assert s.coding == stream.CODING_ADC and s.sample_rate == 19531
    assert s.n_samples == (len(recording) - 44) // 2 and s.prefix == b"" and s.suffix == b""
    assert stream.write(s) == encoded


def test_refuses_other_weights_and_newer_versions(encoded):
    with pytest.raises(SpikeyError, match="other weights"):
        stream.read(encoded, b"\0\0\0\0")
    newer = bytearray(encoded)
    newer[4] = stream.VERSION + 1
    with pytest.raises(SpikeyError, match="newer"):
        stream.read(bytes(newer), codec.model_id())
    with pytest.raises(SpikeyError, match="magic"):
        stream.read(b"RIFF" + encoded[4:], codec.model_id())


def test_every_truncation_is_detected(encoded):
    for n in list(range(0, 64)) + list(range(64, len(encoded), 997)) + [len(encoded) - 1]:
        with pytest.raises(SpikeyError):
            codec.decode(encoded[:n])


def test_bit_flips_are_detected(encoded):
    for pos in list(range(0, 40)) + list(range(40, len(encoded), 211)):
        damaged = bytearray(encoded)
        damaged[pos] ^= 1 << (pos % 8)
        with pytest.raises(SpikeyError):
            codec.decode(bytes(damaged))
