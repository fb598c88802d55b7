import io

import numpy as np
import pytest

from conftest import SAMPLES, common_mode, forged, heavy_tailed, opened, wav
from spikey import SpikeyError, codec, quantiser, stream
from spikey.bins import lattice_table, value_set_table
from spikey.model import default


def _greedy(v, k):
    """The module's rule, one group at a time, as docs/format.md section 4.9 states it."""
    first, value, i = [], [], 0
    while i < len(v):
        c = max(j for j in range(i, len(v)) if v[j] - v[i] <= k)
        first.append(i)
        value.append(c)
        i = max(j for j in range(c, len(v)) if v[j] - v[c] <= k) + 1
    return first, value


TABLES = {"adc": default().adc, "lattice": lattice_table(3, 12, -50, 60), "unit lattice": lattice_table(0, 1, -9, 9),
          "value set": value_set_table(np.array([-40, -7, 0, 1, 2, 30, 31, 500]), 1)}


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("k", [1, 5, 12, 64, 65, 128, 1000])
def test_groups_follow_the_rule_and_hold_every_value_within_the_bound(name, k):
    table = TABLES[name]
    v = table.values.astype(np.int64)
    first, value = quantiser.groups(v, k)
    assert (list(first), list(value)) == _greedy(list(v), k)
    coarse = quantiser.coarse(table, k)
    group = np.searchsorted(first, np.arange(len(v)), side="right") - 1
    error = np.abs(coarse.values[group].astype(np.int64) - v)
    assert error.max() <= k and error.max() == quantiser.allowed(table, k)
    assert coarse.edges[0] == table.edges[0] and coarse.edges[-1] == table.edges[-1]


def test_a_bound_of_one_adc_code_groups_three_codes_where_they_are_64_apart():
    adc = default().adc
    gaps = np.diff(adc.values.astype(np.int64))
    assert (gaps == 64).mean() > 0.9 and gaps.max() == 65
    for k, most in ((64, 3), (63, 1)):
        first, _ = quantiser.groups(adc.values, k)
        sizes = np.diff(np.append(first, len(adc.values)))
        assert sizes.max() <= 3 and (sizes == most).mean() > 0.8
    assert quantiser.coarse(adc, 0) is adc


@pytest.mark.parametrize("level", ["fast", "default", "max"])
@pytest.mark.parametrize("k", [1, 3, 64])
def test_every_decoded_sample_is_within_the_bound(level, k):
    x = np.column_stack([common_mode(6000, 3), heavy_tailed(6000, 2)[:, :1]]).astype(np.int16)
    x[100, 0] = 32767                   # the ends of int16
    x[101, 1] = -32768
    data = codec.encode_samples(x, 30000, level=level, max_error=k)
    y = codec.decode_samples(data)
    assert np.abs(y.astype(np.int64) - x).max() <= k
    assert len(data) < len(codec.encode_samples(x, 30000, level=level))
    assert opened(data).header.max_errors == [k] * 4 and opened(data).header.version == stream.LOSSY_VERSION


def test_the_adc_tables_off_table_samples_stay_exact(adc_signal):
    x = adc_signal(5000)
    x[[10, 2000]] += 1                  # not on the ADC's table: exceptions
    y = codec.decode_samples(codec.encode_samples(x, max_error=128))
    assert y[10] == x[10] and y[2000] == x[2000] and np.abs(y.astype(int) - x).max() <= 128


def test_a_bound_of_zero_is_the_lossless_stream_byte_for_byte():
    x = common_mode(4000, 2)
    assert codec.encode_samples(x, max_error=0) == codec.encode_samples(x)
    assert codec.encode(SAMPLES[0].read_bytes(), max_error=0) == codec.encode(SAMPLES[0].read_bytes())


def test_auto_takes_a_fraction_of_each_channels_noise():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(0, 1, (20000, 2)) * [10, 40]).astype(np.int16)
    assert np.allclose(quantiser.noise(x), [10, 40], rtol=0.05)
    assert quantiser.bounds("auto:0.5", x) == [int(0.5 * n) for n in quantiser.noise(x)]
    data = codec.encode_samples(x, max_error="auto:0.5")
    bounds = opened(data).header.max_errors
    assert bounds == quantiser.bounds("auto:0.5", x) and (np.abs(codec.decode_samples(data) - x) <= bounds).all()


@pytest.mark.parametrize("spec", [-1, 32768, 1.5, "x", "auto:0", "auto:9", "auto:", True])
def test_a_bound_that_is_not_one_is_refused(spec):
    with pytest.raises(SpikeyError, match="max error"):
        quantiser.bounds(spec, np.zeros((2, 1), np.int16))


def test_a_lossy_stream_checks_its_reconstruction_and_a_damaged_one_fails():
    x = common_mode(3000, 2)
    data = codec.encode_samples(x, max_error=4)
    y = codec.decode_samples(data)
    with pytest.raises(SpikeyError):                # the bound claimed lossless: no longer the stream written
        codec.decode_samples(forged(data, flags=opened(data).header.flags & ~stream.LOSSY, version=3,
                                    max_errors=[]))
    with pytest.raises(SpikeyError, match="checksum"):    # another bound groups other bins: other samples
        codec.decode_samples(forged(data, max_errors=[5, 4]))
    assert np.array_equal(codec.decode_samples(data), y)


def test_files_that_cannot_be_near_lossless_are_refused():
    with pytest.raises(SpikeyError, match="int16 samples"):
        codec.encode(wav(b"\1\2\3\4", fmt=(1, 1, 8)), max_error=2)    # 8-bit samples: stored generic
    npy = io.BytesIO()
    np.save(npy, np.asfortranarray(common_mode(100, 2)))
    with pytest.raises(SpikeyError, match="Fortran"):
        codec.encode(npy.getvalue(), max_error=2)
