"""``snnx.functional.quant`` on NumPy arrays: levels, nearest-level rounding, neurons, errors."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import snnx
from snnx.errors import InputDtypeError, ParameterRangeError
from snnx.functional import quant


@pytest.mark.parametrize(
    ("bits", "threshold", "lower", "upper"), [(1, 1, 0, 0.2), (3, 2.0, 0.5, 0.0), (8, 0.5, -1, 1)]
)
def test_uniform_levels_are_evenly_spaced_over_the_limits(bits, threshold, lower, upper):
    levels = quant.state_quant(bits, threshold=threshold, lower_limit=lower, upper_limit=upper).levels
    expected = np.linspace(-threshold * (1 + lower), threshold * (1 + upper), 2**bits)
    np.testing.assert_allclose(levels, expected, rtol=0, atol=1e-12)


def test_two_bit_non_uniform_levels_by_hand():
    # thr-centred: floor(4 * 2/2.2) = 3 levels below 1, gaps 1 : 0.1 : 0.01 scaled to span 2
    below = [-1.0, -1 + 2 / 1.11, -1 + 2 * 1.1 / 1.11]
    np.testing.assert_allclose(quant.state_quant(2, uniform=False).levels, [*below, 1.2], atol=1e-12)
    # zero-centred: floor(4 * 1/2.2) = 1 level below 0, then gaps 0.01 : 0.1 : 1 scaled to span 1.2
    above = np.cumsum([0.01, 0.1, 1.0]) * 1.2 / 1.11
    np.testing.assert_allclose(
        quant.state_quant(2, uniform=False, thr_centered=False).levels, [-1.0, *above], atol=1e-12
    )


@pytest.mark.parametrize("centred", [True, False])
@pytest.mark.parametrize("bits", [3, 5, 8])
def test_non_uniform_levels_crowd_the_centre(bits, centred):
    levels = quant.state_quant(bits, uniform=False, thr_centered=centred, threshold=2.0).levels
    centre = 2.0 if centred else 0.0
    assert levels.size == 2**bits and levels[0] == pytest.approx(-2.0) and levels[-1] == pytest.approx(2.4)
    below = levels[levels < centre]
    assert below.size == math.floor(2**bits * (centre + 2.0) / 4.4)
    gaps_below, gaps_above = np.diff(below), np.diff(levels[levels > centre])
    assert np.all(np.diff(gaps_below) < 0) and np.all(np.diff(gaps_above) > 0)


def test_multiplier_sets_the_ratio_of_successive_gaps():
    levels = quant.state_quant(4, uniform=False, multiplier=0.8).levels
    gaps = np.diff(levels[:14])  # floor(16 * 2/2.2) = 14 levels below the threshold
    np.testing.assert_allclose(gaps[1:] / gaps[:-1], 0.8, rtol=1e-9)


def test_rounds_to_the_nearest_level_keeping_shape_and_dtype():
    quantiser = quant.state_quant(3)
    x = np.random.default_rng(0).uniform(-2, 2, size=(50, 7)).astype(np.float32)
    q = quantiser(x)
    levels = quantiser.levels.astype(np.float32)
    nearest = levels[np.argmin(np.abs(x[..., None] - levels), axis=-1)]
    assert q.shape == x.shape and q.dtype == np.float32
    np.testing.assert_array_equal(q, nearest)
    assert quantiser(x.astype(np.float64)).dtype == np.float64


def test_a_tie_goes_to_the_lower_level_and_values_outside_clip():
    quantiser = quant.StateQuantiser([0.0, 1.0, 3.0])
    np.testing.assert_array_equal(quantiser(np.array([0.5, 2.0, -5.0, 9.0, 2.01])), [0.0, 1.0, 0.0, 3.0, 3.0])


def test_quantises_a_numpy_neurons_state_and_survives_pickling():
    quantiser = quant.state_quant(4, threshold=1.0)
    with snnx.use("numpy"):
        lif = snnx.Leaky(beta=0.9, state_quant=quantiser)
    x = np.random.default_rng(1).uniform(0, 0.7, size=(10, 2, 3)).astype(np.float32)
    mems = [lif(step)[1] for step in x]
    allowed = quantiser.levels.astype(np.float32)
    assert all(np.isin(mem, allowed).all() for mem in mems)
    for clone in (pickle.loads(pickle.dumps(quantiser)), copy.deepcopy(quantiser)):
        np.testing.assert_array_equal(clone(x), quantiser(x))
    assert "16 levels" in repr(quantiser)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_bits": 0}, "num_bits must be an integer from 1"),
        ({"num_bits": 2.5}, "num_bits"),
        ({"num_bits": True}, "num_bits"),
        ({"num_bits": 40}, "num_bits"),
        ({"threshold": 0}, "threshold must be positive"),
        ({"threshold": float("nan")}, "threshold must be a finite number"),
        ({"threshold": "1"}, "threshold"),
        ({"lower_limit": -1.5, "upper_limit": -0.6}, "leave no range"),
        ({"uniform": False, "upper_limit": -0.5}, "upper_limit >= 0"),
        ({"uniform": False, "thr_centered": False, "lower_limit": -1.5}, "lower_limit >= -1"),
        ({"uniform": False, "multiplier": 0}, "multiplier must be None"),
        ({"uniform": False, "multiplier": -0.5}, "multiplier"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ParameterRangeError, match=message):
        quant.state_quant(**kwargs)


def test_integer_states_and_bad_levels_are_rejected():
    with pytest.raises(InputDtypeError, match="floating-point"):
        quant.state_quant(2)(np.arange(3))
    with pytest.raises(ParameterRangeError, match="finite"):
        quant.StateQuantiser([0.0, np.inf])
