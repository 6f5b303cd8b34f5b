"""Spec declarations: argument binding, ranges and the messages users see."""

from __future__ import annotations

import math

import numpy as np
import pytest

from snnx import surrogate
from snnx.errors import ParameterRangeError
from snnx.numpy_backend.ops import NumpyOps
from snnx.specs import LeakySpec
from snnx.specs.parameters import Interval


@pytest.mark.parametrize(
    ("interval", "inside", "outside"),
    [
        (Interval(0, 1), [0.0, 0.5, 1.0], [-1e-9, 1.0001, math.nan]),
        (Interval(0, math.inf, low_open=True), [1e-9, 5.0], [0.0, -2.0, math.inf]),
    ],
)
def test_interval_membership(interval, inside, outside):
    for value in inside:
        assert interval.contains(np.asarray(value)), value
    for value in outside:
        assert not interval.contains(np.asarray(value)), value


def test_interval_prints_like_maths():
    assert str(Interval(0, 1)) == "[0, 1]"
    assert str(Interval(0, math.inf, low_open=True)) == "(0, inf)"


def test_leaky_binds_positionally_like_snntorch():
    config = LeakySpec.bind((0.8, 0.5))
    assert config["beta"] == 0.8 and config["threshold"] == 0.5
    assert config["reset_mechanism"] == "subtract" and config["reset_delay"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beta": 1.2}, r"Leaky: beta must lie in \[0, 1\], got 1.2"),
        ({"beta": [0.5, 1.5]}, r"beta must lie in \[0, 1\], got an array with values from 0.5 to 1.5"),
        ({"beta": 0.5, "threshold": 0}, r"threshold must lie in \(0, inf\), got 0"),
        ({"beta": 0.5, "threshold": math.nan}, r"threshold must lie in \(0, inf\), got nan"),
        (
            {"beta": 0.5, "reset_mechanism": "hard"},
            r"reset_mechanism must be one of 'subtract', 'zero', 'none'",
        ),
        ({"beta": 0.5, "graded_spikes_factor": -1}, r"graded_spikes_factor must lie in \(0, inf\)"),
        ({"beta": "fast"}, r"beta must be a number or an array of numbers"),
    ],
)
def test_leaky_rejects_out_of_range_arguments(kwargs, message):
    with pytest.raises(ParameterRangeError, match=message):
        LeakySpec.bind((), kwargs)


def test_missing_and_unknown_arguments_name_the_neuron():
    with pytest.raises(TypeError, match="Leaky: missing a required argument: 'beta'"):
        LeakySpec.bind()
    with pytest.raises(TypeError, match="Leaky: got an unexpected keyword argument 'tau'"):
        LeakySpec.bind((), {"beta": 0.5, "tau": 3})


def test_surrogate_parameters_are_validated():
    with pytest.raises(ParameterRangeError, match=r"surrogate.fast_sigmoid: slope must lie in \(0, inf\)"):
        surrogate.fast_sigmoid(slope=-5)
    with pytest.raises(ParameterRangeError, match=r"surrogate\.atan: alpha"):
        surrogate.atan(alpha=0)


@pytest.mark.parametrize(
    ("factory", "u", "expected"),
    [
        (surrogate.atan(), [0.0, 1.0], [1.0, 1.0 / (1 + math.pi**2)]),
        (surrogate.atan(alpha=4.0), [0.0], [2.0]),
        (surrogate.fast_sigmoid(), [0.0, 0.04, -0.04], [1.0, 0.25, 0.25]),
        (surrogate.sigmoid(slope=4), [0.0], [1.0]),
        (surrogate.sigmoid(), [-10.0], [25 * math.exp(-250)]),
        (surrogate.straight_through_estimator(), [-3.0, 0.0, 2.0], [1.0, 1.0, 1.0]),
        (surrogate.triangular(threshold=0.5), [-1.0, 0.0, 1.0], [0.5, -0.5, -0.5]),
    ],
)
def test_surrogate_derivatives_by_hand(factory, u, expected):
    got = factory.derivative(NumpyOps(), np.array(u, dtype=np.float64))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_sigmoid_derivative_is_finite_far_from_threshold():
    got = surrogate.sigmoid().derivative(NumpyOps(), np.array([-100.0, 100.0], dtype=np.float32))
    assert np.all(np.isfinite(got)) and np.all(got >= 0)


def test_leaky_continuous_time_meaning():
    meaning = LeakySpec.continuous_time({"beta": 0.9, "threshold": 1.0}, dt=1e-3)
    assert meaning["tau_mem"] == pytest.approx(1e-2)
    assert meaning["r"] == pytest.approx(10.0)
    assert meaning["v_threshold"] == 1.0
