"""Helper layers on the NumPy reference backend: BatchNormTT1d/2d and GradedSpikes by hand."""

from __future__ import annotations

import numpy as np
import pytest

import snnx
from snnx.errors import InputDtypeError


def _layer(name, *args, **kwargs):
    with snnx.use("numpy"):
        return getattr(snnx, name)(*args, **kwargs)


def test_bntt_training_step_updates_only_its_own_running_statistics():
    bntt = _layer("BatchNormTT1d", 2, 3)
    assert len(bntt) == 3 and bntt.time_steps == 3
    x = np.array([[1.0, 10.0], [3.0, 14.0], [5.0, 12.0]], dtype=np.float32)
    y = bntt[1](x)
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-6)
    np.testing.assert_allclose(bntt[1].running_mean, 0.1 * mean, rtol=1e-6)
    np.testing.assert_allclose(bntt[1].running_var, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-6)
    assert bntt[1].num_batches_tracked == 1 and bntt[0].num_batches_tracked == 0
    np.testing.assert_array_equal(bntt[0].running_mean, [0.0, 0.0])
    assert y.dtype == np.float32 and bntt[1].bias is None


def test_bntt_eval_uses_running_statistics_and_weight():
    bntt = _layer("BatchNormTT2d", 2, 1, momentum=None)
    state = bntt.state_dict()
    state["0.weight"] = np.array([2.0, 0.5], np.float32)
    state["0.running_mean"] = np.array([1.0, -1.0], np.float32)
    state["0.running_var"] = np.array([4.0, 0.25], np.float32)
    bntt.load_state_dict(state)
    x = np.ones((1, 2, 2, 2), np.float32)
    y = bntt.eval()[0](x)
    np.testing.assert_allclose(y[0, 0], 0.0, atol=1e-7)
    np.testing.assert_allclose(y[0, 1], 0.5 * 2 / np.sqrt(0.25 + 1e-5), rtol=1e-6)
    assert bntt[0].num_batches_tracked == 0  # evaluation updates nothing


def test_bntt_momentum_none_averages_every_batch():
    bntt = _layer("BatchNormTT1d", 1, 1, momentum=None)
    for shift in (0.0, 2.0, 7.0):
        bntt[0](np.array([[shift - 1], [shift + 1]], np.float32))
    np.testing.assert_allclose(bntt[0].running_mean, [3.0], rtol=1e-6)


def test_bntt_errors():
    bntt = _layer("BatchNormTT1d", 2, 2)
    with pytest.raises(IndexError, match="time_steps=2"):
        bntt[2]
    with pytest.raises(TypeError, match=r"layer\[step\]\(x\)"):
        bntt(np.ones((2, 2), np.float32))
    with pytest.raises(InputDtypeError):
        bntt[0](np.ones((2, 2), np.int64))
    with pytest.raises(ValueError, match="more than one value per feature"):
        bntt[0](np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="dimension 1 must have size 2"):
        bntt[0](np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="2-D or 3-D input"):
        bntt[0](np.ones((4, 2, 1, 1), np.float32))


def test_graded_spikes_multiplies_by_its_weights():
    layer = _layer("GradedSpikes", 2, 3.0)
    np.testing.assert_array_equal(layer.weights, [[3.0], [3.0]])
    np.testing.assert_array_equal(layer(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)), [[3, 0], [0, 3]])
    random = _layer("GradedSpikes", 200, 0).weights
    assert random.shape == (200, 1) and random.min() >= 0.5 and random.max() < 1.5
