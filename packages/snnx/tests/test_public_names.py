"""Every snnTorch 1.0 neuron, layer and surrogate is reachable where snnTorch has it."""

from __future__ import annotations

import inspect

import pytest

import snnx
from snnx import surrogate

NEURONS_AND_LAYERS = [
    "Leaky",
    "RLeaky",
    "Synaptic",
    "RSynaptic",
    "Alpha",
    "Lapicque",
    "SLSTM",
    "SConv2dLSTM",
    "LeakyParallel",
    "StateLeaky",
    "LinearLeaky",
    "DeltaLeaky",
    "AssociativeLeaky",
    "BatchNormTT1d",
    "BatchNormTT2d",
    "GradedSpikes",
]
SURROGATES = [
    "atan",
    "fast_sigmoid",
    "sigmoid",
    "spike_rate_escape",
    "straight_through_estimator",
    "triangular",
    "heaviside",
    "SFS",
    "SSO",
    "LSO",
    "custom_surrogate",
]


@pytest.mark.parametrize("name", NEURONS_AND_LAYERS)
def test_neuron_and_layer_names_resolve_on_the_reference_backend(name):
    with snnx.use("numpy"):
        cls = getattr(snnx, name)
    assert (
        cls.__name__ == name and snnx.get_backend("numpy").neuron_class(snnx.specs.NEURON_SPECS[name]) is cls
    )
    assert name in dir(snnx) and name in snnx.__all__


@pytest.mark.parametrize("name", SURROGATES)
def test_surrogate_functions_exist_with_keyword_defaults(name):
    function = getattr(surrogate, name)
    assert callable(function) and name in surrogate.__all__
    parameters = inspect.signature(function).parameters.values()
    if name != "custom_surrogate":
        assert all(p.default is not inspect.Parameter.empty for p in parameters), name
