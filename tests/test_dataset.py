"""Training examples come from the codec's own loops: what the head is trained on is what it will correct."""
import numpy as np
import pytest

from conftest import bursts

from spikey import codesets
from spikey import distribution as dist
from spikey import model as models
from spikey import network
from spikey.report.measure import cascade_ideal_bits
from spikey.training import dataset


@pytest.mark.parametrize("shape", [0, 2, 4])
def test_cascade_examples_bracket_the_residual_the_encoder_codes(shape):
    x = bursts()[:, 0]
    model = models.default()
    code_set, idx, _ = codesets.candidates(x, model.adc)[0]
    table = code_set.table(model.adc)
    inputs, bins = dataset.cascade_examples(idx, table, shape)
    _, residual = cascade_ideal_bits(idx, np.zeros((len(idx), 0)), np.zeros(0), table.edges, table.centres,
                                     dist.GAUSSIAN_CDF, *model.head(models.NO_HEAD), shape, np.zeros(0))
    assert inputs.shape == (len(idx), 15) and np.isfinite(inputs).all()
    sigma_input = inputs[:, network.HISTORY + network.ERRORS]      # min(sigma, cap) / unit: never 0
    assert (sigma_input > 0).all() and np.abs(inputs[:, :network.HISTORY]).max() > 0
    assert (bins[:, 0] < bins[:, 1]).all()
    slack = 1e-5 * np.maximum(1, np.abs(residual))       # float32 examples of float64 residuals
    assert (bins[:, 0] <= residual + slack).all() and (residual - slack <= bins[:, 1]).all()
