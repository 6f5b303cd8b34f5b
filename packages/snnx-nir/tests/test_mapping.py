"""The neuron formulas of snnx_nir.mapping, both ways, and their errors."""

from __future__ import annotations

import nir
import numpy as np
import pytest

from snnx_nir.errors import NIRMappingError
from snnx_nir.mapping import (
    DEFAULT_DT,
    check_exportable,
    lapicque_to_nir,
    leaky_to_nir,
    neuron_from_nir,
    recurrent_from_nir,
    resolve_dt,
    synaptic_to_nir,
)

DT = 1e-3


def test_leaky_to_lif_and_back() -> None:
    beta = np.float32([0.5, 0.9, 0.99])
    node = leaky_to_nir(beta, 0.7, (3,), DT, "subtract", True)
    assert isinstance(node, nir.LIF)
    np.testing.assert_allclose(node.tau, DT / (1 - beta.astype(np.float64)))
    np.testing.assert_allclose(node.r * DT / node.tau, 1.0)
    assert node.metadata == {"snnx_reset_mechanism": "subtract", "snnx_reset_delay": True, "snnx_dt": DT}
    plan = neuron_from_nir(node, "n", DT, None)
    assert plan.kind == "Leaky" and plan.input_scale is None and plan.bias is None
    np.testing.assert_array_equal(plan.args["beta"], beta)
    assert plan.args["threshold"] == pytest.approx(0.7)
    assert plan.args["reset_mechanism"] == "subtract" and plan.args["reset_delay"] is True


def test_leaky_special_cases() -> None:
    assert isinstance(leaky_to_nir(1.0, 1.0, (2,), DT), nir.IF)
    li = leaky_to_nir(0.8, 1.0, (2,), DT, "none", True, output=True)
    assert isinstance(li, nir.LI)
    plan = neuron_from_nir(li, "li", DT, None)
    assert plan.readout == "mem" and plan.args["output"] is True and plan.args["reset_mechanism"] == "none"
    assert np.float32(plan.args["beta"]) == np.float32(0.8)
    with pytest.raises(NIRMappingError, match="beta == 1 for some"):
        leaky_to_nir([1.0, 0.5], 1.0, (2,), DT)


def test_general_lif_becomes_scaled_leaky_with_leak_drive() -> None:
    """A foreign LIF with k = r dt / tau != 1: Leaky, input times k, resetting in the step it fires."""
    node = nir.LIF(
        tau=np.array([0.01]),
        r=np.array([2.0]),
        v_leak=np.array([0.6]),
        v_threshold=np.array([1.0]),
        v_reset=np.array([0.0]),
    )
    plan = neuron_from_nir(node, "n", DT, None)
    assert plan.kind == "Leaky"
    assert plan.args["beta"] == pytest.approx(1 - DT / 0.01)
    assert plan.input_scale == pytest.approx(2.0 * DT / 0.01)
    assert plan.bias == pytest.approx(DT / 0.01 * 0.6)  # (dt / tau) v_leak, added after the scale
    assert plan.args["reset_mechanism"] == "zero" and plan.args["reset_delay"] is False


def test_lapicque_written_by_snnx_comes_back_as_lapicque() -> None:
    node = lapicque_to_nir(2.0, 0.005, DT, 1.0, (1,), "subtract")
    plan = neuron_from_nir(node, "n", DT, None)
    assert plan.kind == "Lapicque"
    assert plan.args["R"] == 2.0 and plan.args["C"] == pytest.approx(0.005) and plan.args["time_step"] == DT
    assert plan.args["reset_mechanism"] == "subtract"


def test_lapicque_to_lif() -> None:
    node = lapicque_to_nir(2.0, 0.5, 0.1, 1.0, (2,))
    np.testing.assert_allclose(node.tau, 1.0)
    np.testing.assert_allclose(node.r, 2.0)
    assert node.metadata["snnx_dt"] == 0.1
    plan = neuron_from_nir(node, "n", resolve_dt(None, node, {}), None)
    assert (plan.kind, plan.args["R"], plan.args["C"], plan.args["time_step"]) == ("Lapicque", 2.0, 0.5, 0.1)


def test_synaptic_to_cubalif_and_back() -> None:
    node = synaptic_to_nir(0.6, 0.85, 1.0, (4,), DT, "zero", False)
    assert isinstance(node, nir.CubaLIF)
    np.testing.assert_allclose(node.tau_syn, DT / (1 - 0.6))
    np.testing.assert_allclose(node.w_in * DT / node.tau_syn, 1.0)
    plan = neuron_from_nir(node, "s", DT, None)
    assert plan.kind == "Synaptic" and plan.input_scale is None
    assert plan.args["alpha"] == pytest.approx(0.6) and plan.args["beta"] == pytest.approx(0.85)
    assert plan.args["reset_mechanism"] == "zero" and plan.args["reset_delay"] is False
    assert isinstance(synaptic_to_nir(0.6, 0.85, 1.0, (4,), DT, "none", True, output=True), nir.CubaLI)


def test_cubalif_input_scale_is_the_product_of_both_euler_scales() -> None:
    node = nir.CubaLIF(
        tau_syn=np.array([0.002]),
        tau_mem=np.array([0.004]),
        r=np.array([3.0]),
        w_in=np.array([5.0]),
        v_leak=np.array([0.0]),
        v_threshold=np.array([1.0]),
        v_reset=np.array([0.0]),
    )
    plan = neuron_from_nir(node, "c", DT, None)
    assert plan.input_scale == pytest.approx((5.0 * DT / 0.002) * (3.0 * DT / 0.004))


def test_reset_and_dt_precedence() -> None:
    node = leaky_to_nir(0.9, 1.0, (1,), 2e-3, "subtract", True)
    assert neuron_from_nir(node, "n", 2e-3, "zero").args["reset_mechanism"] == "zero"
    assert resolve_dt(5e-4, node, {"snnx_dt": 1.0}) == 5e-4
    assert resolve_dt(None, node, {"snnx_dt": 1.0}) == 2e-3
    bare = nir.LIF(
        tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1), v_reset=np.zeros(1)
    )
    assert resolve_dt(None, bare, {"snnx_dt": 0.5}) == 0.5
    assert resolve_dt(None, bare, {}) == DEFAULT_DT
    assert neuron_from_nir(bare, "n", DT, None).args["reset_mechanism"] == "zero"


def test_recurrent_weights() -> None:
    plan = neuron_from_nir(leaky_to_nir(0.9, 1.0, (3,), DT), "r", DT, None)
    diagonal = recurrent_from_nir(plan, nir.Linear(weight=np.diag([0.1, 0.2, 0.3])), "r")
    assert diagonal.kind == "RLeaky" and diagonal.args["all_to_all"] is False
    np.testing.assert_allclose(diagonal.args["V"], [0.1, 0.2, 0.3])
    weight = np.arange(9.0).reshape(3, 3)
    dense = recurrent_from_nir(plan, nir.Affine(weight=weight, bias=np.ones(3)), "r")
    assert dense.args["linear_features"] == 3
    np.testing.assert_array_equal(dense.recurrent["weight"], weight)
    np.testing.assert_array_equal(dense.recurrent["bias"], np.ones(3))


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (
            nir.LIF(
                tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1), v_reset=np.ones(1)
            ),
            "v_reset",
        ),
        (
            nir.CubaLIF(
                tau_syn=np.ones(1),
                tau_mem=np.ones(1),
                r=np.ones(1),
                w_in=np.ones(1),
                v_leak=np.ones(1),
                v_threshold=np.ones(1),
                v_reset=np.zeros(1),
            ),
            "v_leak",
        ),
        (nir.Linear(weight=np.ones((1, 1))), "not a neuron"),
    ],
)
def test_import_errors_name_the_node(node: nir.NIRNode, message: str) -> None:
    with pytest.raises(NIRMappingError, match=f"'bad'.*{message}|{message}.*'bad'|'bad'"):
        neuron_from_nir(node, "bad", DT, None)


@pytest.mark.parametrize(
    ("kind", "config", "factor", "message"),
    [
        ("SLSTM", {}, None, "LSTM"),
        ("StateLeaky", {}, None, "whole-sequence"),
        ("Leaky", {"inhibition": True}, 1.0, "inhibition"),
        ("Leaky", {"state_quant": lambda u: u}, 1.0, "state_quant"),
        ("Leaky", {}, 2.0, "graded_spikes_factor"),
    ],
)
def test_export_errors_name_the_module(kind: str, config: dict, factor: float | None, message: str) -> None:
    with pytest.raises(NIRMappingError, match=message):
        check_exportable("layer3", kind, config, factor)
