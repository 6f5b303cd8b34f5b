"""Step neurons against snnTorch 1.0: outputs, states and gradients over 25 steps.

For every neuron and option combination both models get the same weights
(snnTorch's ``state_dict`` loaded strictly into snnx's, which is also the
interchange test), the same inputs and the same upstream gradients.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import pytest
import snntorch
import torch
from snntorch import surrogate as their_surrogate
from snntorch.functional import quant

import snnx_torch.neurons as ours_module
from snnx import surrogate as our_surrogate

STEPS = 25
SEED = 7


def _flat(result: Any) -> list[torch.Tensor]:
    if isinstance(result, tuple):
        return [tensor for item in result for tensor in _flat(item)]
    return [result]


def _build(name: str, kwargs: dict[str, Any], surrogate: str | None):
    their_kwargs, our_kwargs = dict(kwargs), dict(kwargs)
    if surrogate is not None:
        their_kwargs["spike_grad"] = getattr(their_surrogate, surrogate)()
        our_kwargs["spike_grad"] = getattr(our_surrogate, surrogate)()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # snnTorch warns that inhibition is experimental
        theirs = getattr(snntorch, name)(**their_kwargs)
    ours = getattr(ours_module, name)(**our_kwargs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return theirs, ours


def _rollout(model, inputs: torch.Tensor, delta: bool = False) -> list[list[torch.Tensor]]:
    outputs = []
    state = (None, None)
    for x in inputs:
        if delta:
            result = model(x, state)
            state = result[1]
        else:
            result = model(x)
        outputs.append(_flat(result))
    return outputs


def compare_rollouts(
    parity, case: str, name: str, kwargs: dict[str, Any], shape, surrogate=None, delta=False
):
    """Run both models, compare every output per step, then every gradient."""
    torch.manual_seed(SEED)
    theirs, ours = _build(name, kwargs, surrogate)
    inputs = (torch.randn(STEPS, *shape) * 1.5 + 0.3).requires_grad_(True)
    their_out = _rollout(theirs, inputs, delta)
    our_in = inputs.detach().clone().requires_grad_(True)
    our_out = _rollout(ours, our_in, delta)
    weights = [torch.randn_like(t) for t in their_out[-1]]
    their_loss = sum((t * w).sum() for step in their_out for t, w in zip(step, weights))
    our_loss = sum((t * w).sum() for step in our_out for t, w in zip(step, weights))
    for step, (a, b) in enumerate(zip(our_out, their_out)):
        assert len(a) == len(b), f"{case}: {len(a)} outputs, snnTorch {len(b)}"
        for index, (ours_t, theirs_t) in enumerate(zip(a, b)):
            parity.compare(case, f"output {index} at step {step}", ours_t, theirs_t)
    their_loss.backward()
    our_loss.backward()
    parity.compare(case, "gradient wrt input", our_in.grad, inputs.grad)
    their_params = dict(theirs.named_parameters())
    for param_name, param in ours.named_parameters():
        if not param.requires_grad:
            continue
        assert param_name in their_params, f"{case}: {param_name} is not learnable in snnTorch"
        parity.compare(case, f"gradient wrt {param_name}", param.grad, their_params[param_name].grad)


def _reset_options(delay: bool = True):
    mechanisms = ("subtract", "zero", "none")
    delays = (True, False) if delay else (True,)
    return [
        {"reset_mechanism": m, "reset_delay": d} if delay else {"reset_mechanism": m}
        for m, d in itertools.product(mechanisms, delays)
    ]


def _cases() -> list[tuple[str, str, dict[str, Any], tuple[int, ...], str | None]]:
    cases = []

    def add(name, kwargs, shape=(4, 6), surrogate=None):
        label = f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}, surrogate={surrogate})"
        cases.append((label, name, kwargs, shape, surrogate))

    quantiser = quant.state_quant(num_bits=4, uniform=True, threshold=1.0)
    learn_lif = {"learn_beta": True, "learn_threshold": True}
    for reset in _reset_options():
        for learn in ({}, learn_lif):
            add("Leaky", {"beta": 0.8, "threshold": 0.7, **reset, **learn})
            add(
                "Synaptic",
                {"alpha": 0.7, "beta": 0.85, "threshold": 0.9, **reset, **learn, "learn_alpha": bool(learn)},
            )
    add("Leaky", {"beta": 0.9, "graded_spikes_factor": 2.0, "learn_graded_spikes_factor": True})
    add(
        "Leaky",
        {"beta": torch.rand(6), "threshold": torch.rand(6) + 0.5, "learn_beta": True},
        surrogate="fast_sigmoid",
    )
    add("Leaky", {"beta": 0.9, "state_quant": quantiser})
    add("Leaky", {"beta": 0.9, "init_hidden": True})
    add("Leaky", {"beta": 0.9, "init_hidden": True, "output": True}, surrogate="straight_through_estimator")
    add("Leaky", {"beta": 0.9, "inhibition": True})
    add("Leaky", {"beta": 0.9, "surrogate_disable": True})
    add("Synaptic", {"alpha": 0.9, "beta": 0.8, "state_quant": quantiser})
    add("Synaptic", {"alpha": 0.9, "beta": 0.8, "inhibition": True, "init_hidden": True, "output": True})
    add("Synaptic", {"alpha": torch.rand(6), "beta": torch.rand(6)}, surrogate="triangular")

    layouts = [
        ({"linear_features": 6}, (4, 6)),
        ({"conv2d_channels": 3, "kernel_size": 3}, (2, 3, 5, 4)),
        ({"conv2d_channels": 2, "kernel_size": (3, 5)}, (2, 2, 4, 6)),
        ({"all_to_all": False, "V": 0.6}, (4, 6)),
        ({"all_to_all": False, "V": torch.randn(6), "learn_recurrent": False}, (4, 6)),
    ]
    for layout, shape in layouts:
        for learn in ({}, {**learn_lif, "learn_recurrent": False}):
            add("RLeaky", {"beta": 0.85, **layout, **learn}, shape)
            add("RSynaptic", {"alpha": 0.7, "beta": 0.85, **layout, **learn}, shape)
    for reset in _reset_options():
        add("RLeaky", {"beta": 0.8, "threshold": 0.9, "linear_features": 6, **reset})
        if reset["reset_delay"]:  # snnTorch 1.0's RSynaptic fails on reset_delay=False (tested below)
            add("RSynaptic", {"alpha": 0.6, "beta": 0.8, "linear_features": 6, **reset})
    add(
        "RLeaky",
        {"beta": 0.9, "linear_features": 6, "inhibition": True, "init_hidden": True},
        surrogate="atan",
    )
    add("RSynaptic", {"alpha": 0.7, "beta": 0.9, "all_to_all": False, "state_quant": quantiser})

    for mechanism in ("zero", "subtract", "none"):
        for learn in ({}, {"learn_beta": True, "learn_threshold": True}):
            add(
                "Alpha", {"alpha": 0.9, "beta": 0.75, "threshold": 0.4, "reset_mechanism": mechanism, **learn}
            )
    add("Alpha", {"alpha": 0.95, "beta": 0.6, "threshold": 0.3, "inhibition": True}, surrogate="fast_sigmoid")

    for circuit in (
        {"beta": 0.9},
        {"R": 3.0, "C": 2.0, "time_step": 0.5},
        {"beta": 0.85, "R": 2.0},
        {"beta": 0.8, "C": 1.5},
    ):
        for mechanism in ("subtract", "zero", "none"):
            add(
                "Lapicque",
                {**circuit, "threshold": 0.8, "reset_mechanism": mechanism, "learn_threshold": True},
            )

    for mechanism in ("none", "subtract", "zero"):
        for bias in (True, False):
            add(
                "SLSTM",
                {
                    "input_size": 6,
                    "hidden_size": 6,
                    "bias": bias,
                    "threshold": 0.1,
                    "reset_mechanism": mechanism,
                    "learn_threshold": True,
                },
            )
            add(
                "SConv2dLSTM",
                {
                    "in_channels": 2,
                    "out_channels": 3,
                    "kernel_size": 3,
                    "bias": bias,
                    "threshold": 0.1,
                    "reset_mechanism": mechanism,
                },
                (2, 2, 6, 4),
            )
    add(
        "SConv2dLSTM",
        {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "max_pool": 2, "threshold": 0.1},
        (2, 2, 6, 4),
    )
    add(
        "SConv2dLSTM",
        {"in_channels": 2, "out_channels": 3, "kernel_size": (3, 1), "avg_pool": 2, "threshold": 0.05},
        (2, 2, 6, 4),
        "fast_sigmoid",
    )
    return cases


CASES = _cases()


@pytest.mark.parametrize(("label", "name", "kwargs", "shape", "surrogate"), CASES, ids=[c[0] for c in CASES])
def test_step_neuron_matches_snntorch(parity, label, name, kwargs, shape, surrogate):
    compare_rollouts(parity, label, name, kwargs, shape, surrogate)


@pytest.mark.parametrize("kwargs", [{"beta": 0.9}, {"delta_threshold": 0.4, "beta": 0.6}, {"beta": 1.0}])
def test_delta_leaky_matches_snntorch(parity, kwargs):
    compare_rollouts(parity, f"DeltaLeaky({kwargs})", "DeltaLeaky", kwargs, (4, 6), delta=True)


def test_every_snntorch_step_neuron_is_covered():
    covered = {case[1] for case in CASES} | {"DeltaLeaky"}
    step_classes = {cls.__name__ for spec, cls in ours_module.NEURON_CLASSES.items() if spec.kind == "step"}
    assert covered == step_classes


# Where snnTorch 1.0 is wrong: snnx's behaviour, checked against an independent oracle.


def test_rsynaptic_reset_delay_false_fails_in_snntorch_and_resets_in_the_firing_step_in_snnx(parity):
    inputs = torch.randn(STEPS, 4, 6) + 0.5
    with pytest.raises(TypeError):
        broken = snntorch.RSynaptic(alpha=0.7, beta=0.8, all_to_all=False, V=0.0, reset_delay=False)
        broken(inputs[0])
    # With V = 0 the recurrence vanishes, so RSynaptic must equal snnTorch's (correct) Synaptic.
    for mechanism in ("subtract", "zero"):
        kwargs = {"alpha": 0.7, "beta": 0.8, "reset_mechanism": mechanism, "reset_delay": False}
        ours = ours_module.RSynaptic(**kwargs, all_to_all=False, V=0.0)
        theirs = snntorch.Synaptic(**kwargs)
        for step, x in enumerate(inputs):
            spk, syn, mem = ours(x)
            their_spk, their_syn, their_mem = theirs(x)
            case = f"RSynaptic(V=0, reset_delay=False, {mechanism}) vs Synaptic"
            parity.compare(case, f"spikes at step {step}", spk, their_spk)
            parity.compare(case, f"syn at step {step}", syn, their_syn)
            parity.compare(case, f"mem at step {step}", mem, their_mem)


def test_alpha_learn_alpha_fails_in_snntorch_and_learns_in_snnx(parity):
    with pytest.raises(TypeError):
        snntorch.Alpha(alpha=0.9, beta=0.8, learn_alpha=True)
    theirs = snntorch.Alpha(alpha=0.9, beta=0.8, threshold=0.3)
    ours = ours_module.Alpha(alpha=0.9, beta=0.8, threshold=0.3, learn_alpha=True)
    inputs = torch.randn(STEPS, 4, 6)
    total = 0
    for step, x in enumerate(inputs):
        spk, _, _, mem = ours(x)
        their_spk, _, _, their_mem = theirs(x)
        case = "Alpha(learn_alpha=True) vs learn_alpha=False"
        parity.compare(case, f"spikes at step {step}", spk, their_spk)
        parity.compare(case, f"mem at step {step}", mem, their_mem)
        total = total + mem.sum()
    total.backward()
    assert isinstance(ours.alpha, torch.nn.Parameter) and torch.isfinite(ours.alpha.grad)
    assert ours.alpha.grad != 0


@pytest.mark.parametrize("circuit", [{"beta": 0.9, "R": 2.0}, {"beta": 0.9, "C": 2.0}])
def test_lapicque_learn_beta_with_r_or_c_fails_in_snntorch_and_works_in_snnx(parity, circuit):
    with pytest.raises(KeyError):
        snntorch.Lapicque(**circuit, learn_beta=True)
    theirs = snntorch.Lapicque(**circuit)
    ours = ours_module.Lapicque(**circuit, learn_beta=True)
    assert isinstance(ours.beta, torch.nn.Parameter)
    for step, x in enumerate(torch.randn(STEPS, 4, 6)):
        parity.compare(
            f"Lapicque({circuit}, learn_beta=True)", f"mem at step {step}", ours(x)[1], theirs(x)[1]
        )


def test_slstm_keeps_its_state_when_input_and_hidden_sizes_differ(parity):
    """snnTorch 1.0 re-zeroes the state every step here; the oracle is torch's own LSTMCell."""
    ours = ours_module.SLSTM(input_size=5, hidden_size=3, threshold=0.1)
    cell = torch.nn.LSTMCell(5, 3)
    cell.load_state_dict(
        {
            name.removeprefix("lstm_cell."): value
            for name, value in ours.state_dict().items()
            if name.startswith("lstm_cell.")
        }
    )
    theirs = snntorch.SLSTM(input_size=5, hidden_size=3, threshold=0.1)
    theirs.load_state_dict(ours.state_dict())
    h, c = torch.zeros(4, 3), torch.zeros(4, 3)
    inputs = torch.randn(STEPS, 4, 5)
    their_mems = []
    for step, x in enumerate(inputs):
        h, c = cell(x, (h, c))
        spk, syn, mem = ours(x)
        parity.compare("SLSTM(5 -> 3) vs torch.nn.LSTMCell", f"mem at step {step}", mem, h)
        parity.compare("SLSTM(5 -> 3) vs torch.nn.LSTMCell", f"syn at step {step}", syn, c)
        parity.compare("SLSTM(5 -> 3) vs torch.nn.LSTMCell", f"spikes at step {step}", spk, (h > 0.1).float())
        their_mems.append(theirs(x)[2])
    fresh = [cell(x, (torch.zeros(4, 3), torch.zeros(4, 3)))[0] for x in inputs]
    torch.testing.assert_close(torch.stack(their_mems), torch.stack(fresh))  # snnTorch: no memory at all


def test_reset_mechanism_setter_changes_the_update(parity):
    theirs_zero = snntorch.Leaky(beta=0.9, threshold=0.5, reset_mechanism="zero")
    theirs_stale = snntorch.Leaky(beta=0.9, threshold=0.5)
    theirs_stale.reset_mechanism = "zero"
    ours = ours_module.Leaky(beta=0.9, threshold=0.5)
    ours.reset_mechanism = "zero"
    stale_differs = False
    for step, x in enumerate(torch.rand(STEPS, 4, 6)):
        mem = ours(x)[1]
        their_mem = theirs_zero(x)[1]
        stale_differs |= not torch.allclose(theirs_stale(x)[1], their_mem)
        parity.compare(
            "Leaky reset_mechanism set to 'zero' after construction", f"mem at step {step}", mem, their_mem
        )
    assert stale_differs, "snnTorch's setter was expected to leave the subtract update in place"


def test_lapicque_with_beta_r_and_c_is_refused_up_front():
    theirs = snntorch.Lapicque(beta=0.9, R=2.0, C=3.0)
    with pytest.raises(AttributeError):
        theirs(torch.ones(2, 3))  # snnTorch only fails at the first step
    from snnx import ParameterRangeError

    with pytest.raises(ParameterRangeError, match="not all three"):
        ours_module.Lapicque(beta=0.9, R=2.0, C=3.0)
