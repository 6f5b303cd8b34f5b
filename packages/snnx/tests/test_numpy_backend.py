"""The NumPy reference backend: conformance, hand-computed values and encoders."""

from __future__ import annotations

import numpy as np
import pytest

import snnx
from snnx import spikegen, utils
from snnx.testing import checks_for

NUMPY = snnx.get_backend("numpy")


@pytest.mark.parametrize("check", checks_for(NUMPY), ids=lambda check: check.__name__)
def test_numpy_backend_conforms(check):
    check(NUMPY)


def test_forward_only_backend_skips_no_check_silently():
    names = [check.__name__ for check in checks_for(NUMPY)]
    assert "check_surrogate_gradients" not in names and len(names) == 20


def _leaky(**kwargs):
    with snnx.use("numpy"):
        return snnx.Leaky(**kwargs)


def test_leaky_subtract_reset_by_hand():
    lif = _leaky(beta=0.5, threshold=1.0)
    x = np.array([[0.8]], dtype=np.float32)
    trace = [lif(x) for _ in range(4)]
    # U1=0.8; U2=0.4+0.8=1.2 (fires); U3=0.6+0.8-1=0.4; U4=0.2+0.8=1.0 (not > 1)
    np.testing.assert_allclose([m.item() for _, m in trace], [0.8, 1.2, 0.4, 1.0], rtol=1e-6)
    assert [s.item() for s, _ in trace] == [0.0, 1.0, 0.0, 0.0]


def test_leaky_zero_reset_and_immediate_reset_by_hand():
    lif = _leaky(beta=0.5, reset_mechanism="zero", reset_delay=False)
    x = np.array([1.5], dtype=np.float32)
    spikes, mems = zip(*(lif(x) for _ in range(3)))
    # fires at once; with reset_delay=False the membrane is zeroed in the same step
    assert [s.item() for s in spikes] == [1.0, 1.0, 1.0]
    np.testing.assert_allclose([m.item() for m in mems], [0.0, 0.0, 0.0], atol=1e-7)


def test_inhibition_lets_only_the_largest_fire():
    lif = _leaky(beta=0.9, inhibition=True)
    spk, _ = lif(np.array([[2.0, 3.0, 1.5], [0.1, 0.2, 5.0]], dtype=np.float32))
    np.testing.assert_array_equal(spk, [[0, 1, 0], [0, 0, 1]])


def test_utils_reset_on_numpy_neurons():
    lif = _leaky(beta=0.9, init_hidden=True)
    lif(np.ones((2, 3), np.float32))
    utils.reset([lif])
    assert lif.state["mem"].size == 0


def test_seeded_rate_encoding_is_reproducible_and_clipped():
    data = np.array([0.0, 0.3, 2.0, -1.0])
    first = spikegen.rate(data, num_steps=500, generator=7)
    assert first.shape == (500, 4)
    np.testing.assert_array_equal(first, spikegen.rate(data, num_steps=500, generator=7))
    assert first[:, 0].sum() == 0 and first[:, 2].all() and first[:, 3].sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give num_steps > 0"),
        ({"num_steps": -1}, "must be >= 0"),
        (
            {"num_steps": 5, "first_spike_time": 5},
            r"first_spike_time \(5\) must be at most num_steps - 1 \(4\)",
        ),
        ({"num_steps": 5, "time_var_input": True}, "leave num_steps unset"),
    ],
)
def test_rate_rejects_impossible_arguments(kwargs, message):
    with pytest.raises(snnx.ParameterRangeError, match=message):
        spikegen.rate(np.ones(3), **kwargs)


def test_rate_rejects_integer_data():
    with pytest.raises(snnx.InputDtypeError, match="floating-point input, got dtype int64"):
        spikegen.rate(np.ones(3, dtype=np.int64), num_steps=3)
