import io

import numpy as np
import pytest

from spikey import SpikeyError, codec, profiles
from spikey import model as models


def test_a_stream_finds_the_model_of_its_level(adc_signal):
    x = adc_signal(3000)
    for profile in profiles.PROFILES:
        data = codec.encode_samples(x, level=profile.name)
        opened = codec.Opened(io.BytesIO(data), len(data))
        assert opened.model is models.of_networks(profile.networks)
        assert opened.header.model_id == opened.model.id
        assert np.array_equal(codec.decode_samples(data), x)


def test_models_of_several_files_hold_their_heads_in_turn_and_a_stream_of_another_is_refused(adc_signal):
    one = models.default()
    both = models.of_networks(profiles.PROFILES[2].networks)
    assert both.n_heads > one.n_heads
    assert all(np.array_equal(a, b) for i in range(one.n_heads) for a, b in zip(both.head(i), one.head(i), strict=True))
    ids = {models.of_networks(p.networks).id for p in profiles.PROFILES}
    assert len(ids) == len({p.networks for p in profiles.PROFILES})
    with pytest.raises(SpikeyError, match="other weights"):
        models.for_stream(b"\0\0\0\0")
    data = codec.encode_samples(adc_signal(500), level="max")
    with pytest.raises(SpikeyError, match="other weights"):
        codec.decode_samples(data, model=one)
