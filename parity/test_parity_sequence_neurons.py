"""Parity of the whole-sequence neurons with snnTorch 1.0.0: StateLeaky, LinearLeaky, LeakyParallel and
AssociativeLeaky.

Each case builds snnTorch's neuron, builds snnx's with the same arguments, loads snnTorch's
``state_dict`` into it (strict, so the names and shapes interchange), runs the same random sequence
through both, compares every returned array, then backpropagates the same random upstream gradient and
compares the gradients of the input and of every learnable parameter. The known snnTorch bugs are
tested separately, asserting snnx's (correct) behaviour.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import snntorch
import torch
from snntorch import surrogate as their_surrogate

import snnx
from snnx import surrogate as our_surrogate
from snnx.specs import NEURON_SPECS

TORCH = snnx.get_backend("torch")
STEPS, BATCH = 24, 3


def ours_class(name: str) -> type:
    return TORCH.neuron_class(NEURON_SPECS[name])


SURROGATES: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "atan3": (lambda: our_surrogate.atan(alpha=3.0), lambda: their_surrogate.atan(alpha=3.0)),
    "fast_sigmoid": (
        lambda: our_surrogate.fast_sigmoid(slope=10),
        lambda: their_surrogate.fast_sigmoid(slope=10),
    ),
    "sigmoid": (lambda: our_surrogate.sigmoid(slope=5), lambda: their_surrogate.sigmoid(slope=5)),
    "spike_rate_escape": (
        lambda: our_surrogate.spike_rate_escape(beta=1.5, slope=4),
        lambda: their_surrogate.spike_rate_escape(beta=1.5, slope=4),
    ),
}


def with_surrogate(kwargs: dict[str, Any], name: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The constructor arguments for snnx and for snnTorch (surrogate objects differ by library)."""
    if name is None:
        return dict(kwargs), dict(kwargs)
    ours, theirs = SURROGATES[name]
    return {**kwargs, "spike_grad": ours()}, {**kwargs, "spike_grad": theirs()}


def as_tuple(result: Any) -> tuple[torch.Tensor, ...]:
    return result if isinstance(result, tuple) else (result,)


def run_and_compare(
    parity: Any,
    case: str,
    ours: torch.nn.Module,
    theirs: torch.nn.Module,
    x: torch.Tensor,
    names: tuple[str, ...],
    skip_gradients: tuple[str, ...] = (),
) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """Load snnTorch's state into ours (strict), compare outputs, then gradients of input and parameters."""
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x_ours = x.clone().requires_grad_(True)
    x_theirs = x.clone().requires_grad_(True)
    out_ours, out_theirs = as_tuple(ours(x_ours)), as_tuple(theirs(x_theirs))
    assert len(out_ours) == len(out_theirs) == len(names), f"{case}: returned {len(out_ours)} arrays"
    for name, a, b in zip(names, out_ours, out_theirs, strict=True):
        parity.compare(case, name, a, b)

    if not any(out.requires_grad for out in out_theirs):  # e.g. spikes alone with surrogate_disable
        assert not any(out.requires_grad for out in out_ours), f"{case}: snnx passes gradients snnTorch cuts"
        return out_ours, out_theirs
    generator = torch.Generator().manual_seed(7)
    upstream = [torch.randn(out.shape, generator=generator) for out in out_theirs]
    sum((out * g).sum() for out, g in zip(out_ours, upstream)).backward()
    sum((out * g).sum() for out, g in zip(out_theirs, upstream)).backward()
    parity.compare(case, "d/d input", x_ours.grad, x_theirs.grad)

    our_params = {n: p for n, p in ours.named_parameters() if p.requires_grad}
    their_params = {n: p for n, p in theirs.named_parameters() if p.requires_grad and p.grad is not None}
    assert set(their_params) - set(skip_gradients) <= set(our_params), (
        f"{case}: learnable {sorted(our_params)}"
    )
    for name, param in our_params.items():
        if name in skip_gradients:
            continue
        assert name in their_params, f"{case}: snnx learns {name}, snnTorch does not"
        assert param.grad is not None, f"{case}: no gradient reached {name}"
        parity.compare(case, f"d/d {name}", param.grad, their_params[name].grad)
    return out_ours, out_theirs


def sequence(features: int, steps: int = STEPS, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(steps, BATCH, features, generator=generator) * scale + 0.3


# ---------------------------------------------------------------------------------------------- StateLeaky

CHANNELS = 6
PER_CHANNEL = [0.1, 0.5, 0.8, 0.9, 0.95, 0.99]
STATE_CASES = {
    "default": {"beta": 0.9},
    "per_channel_beta": {"beta": PER_CHANNEL, "threshold": 0.8},
    "per_channel_beta_learned": {"beta": PER_CHANNEL, "learn_beta": True, "learn_threshold": True},
    "truncated": {"beta": 0.95, "kernel_truncation_steps": 5},
    "truncated_longer_than_sequence": {"beta": 0.8, "kernel_truncation_steps": 100},
    "truncated_one_tap": {"beta": 0.8, "kernel_truncation_steps": 1, "threshold": 0.5},
    "integrator": {"beta": 1.0, "threshold": 4.0},
    "no_decay_argument": {"beta": 0.0, "threshold": 0.5},
    "learn_all": {"beta": 0.7, "learn_beta": True, "learn_threshold": True, "threshold": 1.5},
    "membrane_only": {"beta": 0.9, "output": False},
    "membrane_only_learned": {"beta": PER_CHANNEL, "output": False, "learn_beta": True},
    "surrogate_disable": {"beta": 0.9, "surrogate_disable": True, "learn_beta": True},
    "state_quant": {"beta": 0.9, "state_quant": lambda mem: torch.round(mem * 8) / 8},
}
SURROGATE_NAMES = [None, *SURROGATES]


def _beta_for_snntorch(kwargs: dict[str, Any]) -> dict[str, Any]:
    beta = kwargs["beta"]
    return {**kwargs, "beta": torch.tensor(beta) if isinstance(beta, list) else beta}


def combinations(cases: dict[str, dict[str, Any]], surrogates: list[str | None]) -> list[tuple[str, Any]]:
    """Each case with each surrogate, where the case has spikes with a surrogate gradient to choose."""
    return [
        (name, surrogate)
        for name, kwargs in cases.items()
        for surrogate in surrogates
        if surrogate is None or (kwargs.get("output", True) and not kwargs.get("surrogate_disable"))
    ]


@pytest.mark.parametrize(("name", "surrogate"), combinations(STATE_CASES, SURROGATE_NAMES))
def test_stateleaky_matches_snntorch(parity, name, surrogate):
    ours_kwargs, theirs_kwargs = with_surrogate(STATE_CASES[name], surrogate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = snntorch.StateLeaky(channels=CHANNELS, **_beta_for_snntorch(theirs_kwargs))
        ours = ours_class("StateLeaky")(channels=CHANNELS, **ours_kwargs)
    names = ("spk", "mem") if STATE_CASES[name].get("output", True) else ("mem",)
    case = f"StateLeaky[{name}, {surrogate or 'default surrogate'}]"
    run_and_compare(
        parity, case, ours, theirs, sequence(CHANNELS, scale=1.5), names, skip_gradients=("beta",)
    )
    parity.compare(case, "beta read back from tau", ours.beta, theirs.beta)


def test_stateleaky_learns_tau_not_the_stored_beta():
    neuron = ours_class("StateLeaky")(beta=0.9, channels=3, learn_beta=True)
    assert dict(neuron.named_parameters()).keys() == {"tau"}
    assert "beta" in dict(neuron.named_buffers())
    _spk, mem = neuron(sequence(3))
    mem.sum().backward()
    assert neuron.tau.grad is not None


@pytest.mark.parametrize("factor", [0.5, 2.0, 3.0])
def test_stateleaky_scales_spikes_once_by_graded_spikes_factor(parity, factor):
    """snnTorch 1.0 multiplies StateLeaky's spikes by graded_spikes_factor twice (bug); snnx once."""
    theirs = snntorch.StateLeaky(beta=0.9, channels=CHANNELS, graded_spikes_factor=factor)
    ours = ours_class("StateLeaky")(beta=0.9, channels=CHANNELS, graded_spikes_factor=factor)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = sequence(CHANNELS, scale=1.5)
    (spk_ours, mem_ours), (spk_theirs, mem_theirs) = ours(x), theirs(x)
    case = f"StateLeaky[graded_spikes_factor={factor}]"
    parity.compare(case, "mem", mem_ours, mem_theirs)
    parity.compare(case, "spk (snnTorch's spikes carry the factor twice)", spk_ours * factor, spk_theirs)
    assert set(spk_ours.unique().tolist()) <= {0.0, factor} and (spk_ours == factor).any()


# --------------------------------------------------------------------------------------------- LinearLeaky

IN_FEATURES, OUT_FEATURES = 5, 6
LINEAR_CASES = {
    "default": {"beta": 0.9},
    "no_bias": {"beta": 0.8, "bias": False},
    "per_channel_beta": {"beta": PER_CHANNEL, "threshold": 0.5},
    "truncated": {"beta": 0.95, "kernel_truncation_steps": 4},
    "learn_all": {"beta": PER_CHANNEL, "learn_beta": True, "learn_threshold": True},
    "membrane_only": {"beta": 0.9, "output": False, "learn_beta": True},
    "cpu_device_and_dtype": {"beta": 0.9, "device": "cpu", "dtype": torch.float32},
    "surrogate_disable": {"beta": 0.9, "surrogate_disable": True},
}


@pytest.mark.parametrize(
    ("name", "surrogate"), combinations(LINEAR_CASES, [None, "fast_sigmoid", "spike_rate_escape"])
)
def test_linearleaky_matches_snntorch(parity, name, surrogate):
    ours_kwargs, theirs_kwargs = with_surrogate(LINEAR_CASES[name], surrogate)
    sizes = {"in_features": IN_FEATURES, "out_features": OUT_FEATURES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        torch.manual_seed(3)
        theirs = snntorch.LinearLeaky(**sizes, **_beta_for_snntorch(theirs_kwargs))
        ours = ours_class("LinearLeaky")(**sizes, **ours_kwargs)
    names = ("spk", "mem") if LINEAR_CASES[name].get("output", True) else ("mem",)
    case = f"LinearLeaky[{name}, {surrogate or 'default surrogate'}]"
    run_and_compare(
        parity, case, ours, theirs, sequence(IN_FEATURES, scale=2.0), names, skip_gradients=("beta",)
    )


def test_linearleaky_scales_spikes_once_by_graded_spikes_factor(parity):
    """The same double scaling as StateLeaky's in snnTorch 1.0; snnx scales once."""
    theirs = snntorch.LinearLeaky(
        beta=0.9, in_features=IN_FEATURES, out_features=OUT_FEATURES, graded_spikes_factor=2.5
    )
    ours = ours_class("LinearLeaky")(
        beta=0.9, in_features=IN_FEATURES, out_features=OUT_FEATURES, graded_spikes_factor=2.5
    )
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = sequence(IN_FEATURES, scale=2.0)
    (spk_ours, mem_ours), (spk_theirs, mem_theirs) = ours(x), theirs(x)
    parity.compare("LinearLeaky[graded_spikes_factor=2.5]", "mem", mem_ours, mem_theirs)
    parity.compare("LinearLeaky[graded_spikes_factor=2.5]", "spk x 2.5", spk_ours * 2.5, spk_theirs)


# ------------------------------------------------------------------------------------------- LeakyParallel

INPUT_SIZE, HIDDEN = 5, 6
PARALLEL_CASES = {
    "default_random_recurrence": {},
    "beta": {"beta": 0.5},
    "beta_learned_diagonal": {"beta": 0.7, "learn_beta": True},
    "beta_none_learned": {"learn_beta": True},
    "full_recurrence": {"beta": 0.1, "weight_hh_enable": True},
    "full_recurrence_learned": {"beta": 0.05, "weight_hh_enable": True, "learn_beta": True},
    "no_bias": {"beta": 0.8, "bias": False, "threshold": 0.4},
    "graded_spikes": {"beta": 0.9, "graded_spikes_factor": 2.5, "threshold": 0.5},
    "learn_all": {
        "beta": 0.6,
        "learn_beta": True,
        "learn_threshold": True,
        "graded_spikes_factor": 1.5,
        "learn_graded_spikes_factor": True,
        "threshold": 0.5,
    },
    "surrogate_disable": {"beta": 0.9, "surrogate_disable": True, "threshold": 0.5},
    "dropout_ignored": {"beta": 0.9, "dropout": 0.3},
    "cpu_device_and_dtype": {"beta": 0.9, "device": "cpu", "dtype": torch.float32},
    "per_neuron_beta_loaded": {"beta": [0.1, 0.3, 0.5, 0.7, 0.9, 0.95], "threshold": 0.3},
}


@pytest.mark.parametrize(("name", "surrogate"), combinations(PARALLEL_CASES, [None, "atan3", "fast_sigmoid"]))
def test_leakyparallel_matches_snntorch(parity, name, surrogate):
    kwargs = PARALLEL_CASES[name]
    ours_kwargs, theirs_kwargs = with_surrogate(kwargs, surrogate)
    if isinstance(kwargs.get("beta"), list):
        theirs_kwargs["beta"] = torch.tensor(kwargs["beta"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # nn.RNN: dropout has no effect on one layer
        torch.manual_seed(5)
        theirs = snntorch.LeakyParallel(INPUT_SIZE, HIDDEN, **theirs_kwargs)
        ours = ours_class("LeakyParallel")(INPUT_SIZE, HIDDEN, **ours_kwargs)
    if "beta" in kwargs and not isinstance(kwargs["beta"], list):
        # snnx sets the same initial recurrent weight from beta as snnTorch does
        parity.compare(
            f"LeakyParallel[{name}]", "initial weight_hh", ours.rnn.weight_hh_l0, theirs.rnn.weight_hh_l0
        )
    case = f"LeakyParallel[{name}, {surrogate or 'default surrogate'}]"
    run_and_compare(parity, case, ours, theirs, sequence(INPUT_SIZE, scale=1.5), ("spk",))
    if kwargs.get("learn_beta") and not kwargs.get("weight_hh_enable"):
        grad = ours.rnn.weight_hh_l0.grad
        assert torch.count_nonzero(grad - torch.diag(torch.diagonal(grad))) == 0


def test_leakyparallel_per_neuron_beta_sets_the_recurrent_diagonal():
    """snnTorch 1.0 leaves weight_hh random when beta has one value per neuron (bug); snnx uses beta."""
    beta = [0.1, 0.3, 0.5, 0.7, 0.9, 0.95]
    torch.manual_seed(0)
    theirs = snntorch.LeakyParallel(INPUT_SIZE, HIDDEN, beta=torch.tensor(beta))
    ours = ours_class("LeakyParallel")(INPUT_SIZE, HIDDEN, beta=beta)
    torch.testing.assert_close(ours.rnn.weight_hh_l0, torch.diag(torch.tensor(beta)))
    assert not torch.allclose(torch.diagonal(theirs.rnn.weight_hh_l0), torch.tensor(beta))
    full = ours_class("LeakyParallel")(INPUT_SIZE, HIDDEN, beta=beta, weight_hh_enable=True)
    torch.testing.assert_close(full.rnn.weight_hh_l0, torch.tensor(beta)[:, None].expand(HIDDEN, HIDDEN))


def test_leakyparallel_takes_an_unbatched_sequence_like_snntorch(parity):
    torch.manual_seed(9)
    theirs = snntorch.LeakyParallel(INPUT_SIZE, HIDDEN, beta=0.8, threshold=0.3)
    ours = ours_class("LeakyParallel")(INPUT_SIZE, HIDDEN, beta=0.8, threshold=0.3)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = sequence(INPUT_SIZE, scale=1.5)[:, 0]  # [time, input_size]
    ours_out, theirs_out = ours(x), theirs(x)
    assert ours_out.shape == theirs_out.shape == (x.shape[0], HIDDEN)
    parity.compare("LeakyParallel[unbatched]", "spk", ours_out, theirs_out)


# ---------------------------------------------------------------------------------------- AssociativeLeaky

IN_DIM = 8


def _slow_decay(neuron: torch.nn.Module, alpha: float, seed: int = 11) -> None:
    """Make every decay close to ``alpha`` (where snnTorch's cumulative-product formula is accurate)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        neuron.to_alpha.weight.copy_(torch.randn(neuron.to_alpha.weight.shape, generator=generator) * 0.02)
        neuron.to_alpha.bias.fill_(math.log(alpha / (1 - alpha)))


def _record_membrane(neuron: torch.nn.Module) -> list[torch.Tensor]:
    """Record the membrane snnTorch's AssociativeLeaky fires from (its ``fire`` input)."""
    seen: list[torch.Tensor] = []
    fire = neuron.fire

    def recording(mem: torch.Tensor) -> torch.Tensor:
        seen.append(mem)
        return fire(mem)

    neuron.fire = recording
    return seen


ASSOCIATIVE_CASES = {
    "rectangular_q": {"d_value": 3, "d_key": 4, "num_spiking_neurons": 12},
    "rectangular_q_wide": {"d_value": 4, "d_key": 2, "num_spiking_neurons": 8},
    "rectangular_no_q": {"d_value": 3, "d_key": 4, "num_spiking_neurons": 12, "use_q_projection": False},
    "square_q": {"d_value": 3, "d_key": 3, "num_spiking_neurons": 9},
}


@pytest.mark.parametrize("alpha", [0.9, 0.98])
@pytest.mark.parametrize("name", list(ASSOCIATIVE_CASES))
def test_associativeleaky_matches_snntorch_where_its_formula_is_accurate(parity, name, alpha):
    kwargs = ASSOCIATIVE_CASES[name]
    torch.manual_seed(13)
    theirs = snntorch.AssociativeLeaky(IN_DIM, **kwargs)
    _slow_decay(theirs, alpha)
    ours = ours_class("AssociativeLeaky")(IN_DIM, **kwargs)
    their_membrane = _record_membrane(theirs)
    case = f"AssociativeLeaky[{name}, alpha~{alpha}]"
    x = sequence(IN_DIM, steps=20, scale=1.0)
    run_and_compare(parity, case, ours, theirs, x, ("y",))
    ours_mem = ours.membrane(x, ours.sequence_params(), ours.sequence_config())
    parity.compare(case, "membrane S", ours_mem, their_membrane[0])


def test_associativeleaky_from_num_spiking_neurons(parity):
    torch.manual_seed(2)
    theirs = snntorch.AssociativeLeaky.from_num_spiking_neurons(IN_DIM, 16, use_q_projection=False)
    _slow_decay(theirs, 0.95)
    ours = ours_class("AssociativeLeaky").from_num_spiking_neurons(IN_DIM, 16, use_q_projection=False)
    assert (ours.d_value, ours.d_key, ours.num_spiking_neurons) == (4, 4, 16)
    run_and_compare(
        parity, "AssociativeLeaky[from_num_spiking_neurons(16)]", ours, theirs, sequence(IN_DIM), ("y",)
    )
    with pytest.raises(snnx.ParameterRangeError, match="perfect square"):
        ours_class("AssociativeLeaky").from_num_spiking_neurons(IN_DIM, 10)


def _float64_membrane(neuron: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """The exact recurrence S_t = S_{t-1} diag(a_t) + v_t k_t^T, step by step in float64."""
    w = {name: value.detach().double().numpy() for name, value in neuron.state_dict().items()}
    xs = x.double().numpy()
    value = xs @ w["to_v.weight"].T + w["to_v.bias"]
    key = xs @ w["to_k.weight"].T + w["to_k.bias"]
    decay = 1 / (1 + np.exp(-(xs @ w["to_alpha.weight"].T + w["to_alpha.bias"])))
    state = np.zeros((x.shape[1], value.shape[2], key.shape[2]))
    trace = []
    for step in range(x.shape[0]):
        state = decay[step][:, None, :] * state + value[step][:, :, None] * key[step][:, None, :]
        trace.append(state.reshape(x.shape[1], -1))
    return np.stack(trace)


def test_associativeleaky_stays_exact_on_long_sequences_where_snntorch_drifts():
    """snnTorch 1.0's cumulative-product ratio (with a 1e-8 epsilon) loses the state once the product of
    decays nears 1e-8; snnx's recurrence matches a float64 reference on a long sequence."""
    kwargs = {"d_value": 3, "d_key": 4, "num_spiking_neurons": 12, "use_q_projection": False}
    torch.manual_seed(17)
    theirs = snntorch.AssociativeLeaky(IN_DIM, **kwargs)
    _slow_decay(theirs, 0.6)
    ours = ours_class("AssociativeLeaky")(IN_DIM, **kwargs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    their_membrane = _record_membrane(theirs)
    x = sequence(IN_DIM, steps=200)
    with torch.no_grad():
        spikes_ours, spikes_theirs = ours(x), theirs(x)
        mem_ours = ours.membrane(x, ours.sequence_params(), ours.sequence_config())
    exact = _float64_membrane(ours, x)
    scale = np.abs(exact).max()
    ours_error = np.abs(mem_ours.numpy() - exact).max() / scale
    theirs_error = np.abs(their_membrane[0].numpy() - exact).max() / scale
    assert ours_error < 1e-5, ours_error
    assert theirs_error > 1e3 * ours_error and theirs_error > 1e-2, theirs_error
    exact_spikes = (exact > 1.0).astype(np.float32)
    assert np.mean(spikes_ours.numpy() != exact_spikes) < 1e-3
    assert np.mean(spikes_theirs.numpy() != exact_spikes) > 1e-2
