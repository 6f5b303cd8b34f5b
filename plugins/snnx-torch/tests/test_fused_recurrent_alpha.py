"""Fused RLeaky, RSynaptic and Alpha kernels equal the step loop, forward and backward."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import torch

from snnx import surrogate
from snnx.functional.quant import state_quant
from snnx_torch.fused import kernel_for
from snnx_torch.fused.alpha import alpha_scan
from snnx_torch.fused.common import derivative_fn
from snnx_torch.fused.feedback import Feedback
from snnx_torch.fused.recurrent import RecurrentRule, recurrent_scan
from snnx_torch.neurons import Alpha, RLeaky, RSynaptic
from snnx_torch.surrogate import heaviside_without_gradient

pytestmark = pytest.mark.usefixtures("scan_implementation")

T, B, N = 8, 2, 5
MECHANISMS = ("subtract", "zero", "none")
LAYOUTS = {
    "linear": ({"linear_features": N}, (B, N)),
    "conv2d": ({"conv2d_channels": 2, "kernel_size": 3}, (B, 2, 4, 3)),
    "scalar_V": ({"all_to_all": False, "V": 0.6}, (B, N)),
    "per_neuron_V": ({"all_to_all": False, "V": [0.4, -0.3, 0.8, 0.5, -0.6]}, (B, N)),
}
SPIKES = {
    "atan": {"spike_grad": surrogate.atan()},
    "triangular": {"spike_grad": surrogate.triangular()},
    "sfs": {"spike_grad": surrogate.SFS(slope=5.0, B=-0.5)},
    "disable": {"surrogate_disable": True},
}
ALL_SURROGATES = [
    surrogate.atan(alpha=3.0),
    surrogate.fast_sigmoid(slope=10),
    surrogate.sigmoid(slope=5),
    surrogate.straight_through_estimator(),
    surrogate.triangular(threshold=0.5),
    surrogate.heaviside(),
    surrogate.spike_rate_escape(beta=2.0, slope=3.0),
    surrogate.LSO(slope=0.2),
]


def _inputs(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * 0.8 + 0.3).to(dtype)


def _run(neuron, x: torch.Tensor, states: tuple[torch.Tensor, ...], fused: bool):
    """Outputs, gradients (input, states, parameters by name) and final states of one run."""
    x = x.clone().requires_grad_(True)
    states = tuple(state.clone().requires_grad_(True) for state in states)
    if fused:
        assert kernel_for(neuron.spec, neuron, neuron.step_config()) is not None
        outputs = neuron.forward_sequence(x, *states)
    else:
        outputs = neuron._step_loop(x, states)
    generator = torch.Generator().manual_seed(1)
    loss = sum(
        (out * torch.randn(out.shape, generator=generator, dtype=torch.float64).to(out.dtype)).sum()
        for out in outputs
    )
    learnable = sorted((name, p) for name, p in neuron.named_parameters() if p.requires_grad)
    names, params = zip(*learnable) if learnable else ((), ())
    grads = torch.autograd.grad(loss, [x, *states, *params], allow_unused=True)
    finals = [getattr(neuron, name).detach() for name in neuron.spec.states]
    return (
        [out.detach() for out in outputs],
        dict(zip(["x", *neuron.spec.states[: len(states)], *names], grads)),
        finals,
    )


def assert_matches_loop(
    make: Callable[[], torch.nn.Module],
    x: torch.Tensor,
    states: tuple[torch.Tensor, ...] = (),
    prepare: Callable[[torch.nn.Module], None] | None = None,
) -> dict[str, torch.Tensor | None]:
    """``forward_sequence`` (a fused kernel) against the step loop; returns the fused gradients."""
    torch.manual_seed(0)
    reference = make().to(x.dtype)
    if prepare is not None:
        prepare(reference)
    runs = []
    for fused in (True, False):
        neuron = make().to(x.dtype)
        neuron.load_state_dict(reference.state_dict())
        runs.append(_run(neuron, x, states, fused))
    (out_f, grad_f, final_f), (out_l, grad_l, final_l) = runs
    assert len(out_f) == len(out_l) == 1 + len(reference.spec.states)
    for a, b in zip(out_f, out_l, strict=True):
        assert torch.equal(a, b), (a - b).abs().max()
    for a, b in zip(final_f, final_l, strict=True):
        assert torch.equal(a, b)
    assert grad_f.keys() == grad_l.keys()
    tight = {"rtol": 1e-9, "atol": 1e-10} if x.dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for name in grad_f:
        if grad_l[name] is None:
            assert grad_f[name] is None or not grad_f[name].any(), name
        else:
            torch.testing.assert_close(grad_f[name], grad_l[name], **tight, msg=name)
    return grad_f


def _recurrent(name: str, layout: str, **options):
    kwargs = {"alpha": 0.7, "beta": 0.85} if name == "RSynaptic" else {"beta": 0.85}
    kind = RSynaptic if name == "RSynaptic" else RLeaky
    return lambda: kind(**kwargs, **LAYOUTS[layout][0], threshold=0.8, **options)


def _states(count: int, shape: tuple[int, ...], dtype=torch.float64) -> tuple[torch.Tensor, ...]:
    """Explicit initial states: previous spikes (0/1) first for the recurrent neurons, then potentials."""
    spikes = (_inputs(shape, dtype, seed=3) > 0.5).to(dtype)
    return (spikes, *(_inputs(shape, dtype, seed=4 + i) * 1.5 for i in range(count - 1)))


@pytest.mark.parametrize("learn", [False, True])
@pytest.mark.parametrize("learn_recurrent", [False, True])
@pytest.mark.parametrize("delay", [True, False])
@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["RLeaky", "RSynaptic"])
def test_recurrent_matches_step_loop(name, layout, mechanism, delay, learn_recurrent, learn):
    options = {"learn_beta": learn, "learn_threshold": learn, "learn_recurrent": learn_recurrent}
    if name == "RSynaptic":
        options["learn_alpha"] = learn
    make = _recurrent(name, layout, reset_mechanism=mechanism, reset_delay=delay, **options)
    shape = LAYOUTS[layout][1]
    states = _states(3 if name == "RSynaptic" else 2, shape)
    grads = assert_matches_loop(make, _inputs((T, *shape), torch.float64) * 0.7, states)
    weights = {"V"} if layout.endswith("_V") else {"recurrent.weight", "recurrent.bias"}
    assert weights <= grads.keys() if learn_recurrent else not weights & grads.keys()
    assert grads["spk"].abs().sum() > 0  # the first step's feedback reaches the initial spikes


@pytest.mark.parametrize("spikes", SPIKES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["RLeaky", "RSynaptic"])
def test_recurrent_spike_functions(name, layout, spikes):
    make = _recurrent(name, layout, reset_delay=False, learn_threshold=True, **SPIKES[spikes])
    shape = LAYOUTS[layout][1]
    assert_matches_loop(make, _inputs((T, *shape), torch.float64), _states(2, shape)[:1])


@pytest.mark.parametrize("spike_grad", ALL_SURROGATES, ids=lambda s: s.name)
@pytest.mark.parametrize("name", ["RLeaky", "RSynaptic"])
def test_recurrent_every_deterministic_surrogate(name, spike_grad):
    make = _recurrent(name, "per_neuron_V", learn_beta=True, learn_threshold=True, spike_grad=spike_grad)
    assert_matches_loop(make, _inputs((T, B, N), torch.float64))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", ["RLeaky", "RSynaptic"])
def test_recurrent_float32_and_fresh_state(name, layout):
    make = _recurrent(name, layout, learn_beta=True, learn_threshold=True, reset_mechanism="zero")
    shape = LAYOUTS[layout][1]
    assert_matches_loop(make, _inputs((T, *shape), torch.float32))
    count = 3 if name == "RSynaptic" else 2
    assert_matches_loop(make, _inputs((T, *shape), torch.float32), _states(count, shape, torch.float32))


def test_recurrent_linear_on_extra_dimensions_and_one_step():
    make = _recurrent("RSynaptic", "linear", learn_alpha=True, reset_delay=False)
    assert_matches_loop(make, _inputs((T, 2, 3, N), torch.float64))
    assert_matches_loop(make, _inputs((1, B, N), torch.float64), _states(3, (B, N)))


def test_recurrent_decays_outside_the_unit_interval_get_no_gradient():
    def prepare(neuron):
        with torch.no_grad():
            neuron.beta.copy_(torch.tensor([-0.2, 0.0, 0.5, 1.0, 1.3]))
            neuron.alpha.copy_(torch.tensor([1.1, 0.4, 0.0, -0.5, 1.0]))

    def make():
        return RSynaptic(
            alpha=[0.5] * N, beta=[0.5] * N, linear_features=N, learn_alpha=True, learn_beta=True
        )

    grads = assert_matches_loop(make, _inputs((T, B, N), torch.float64), prepare=prepare)
    assert grads["beta"][0] == 0 and grads["beta"][4] == 0 and grads["beta"][2] != 0
    assert grads["alpha"][0] == 0 and grads["alpha"][3] == 0 and grads["alpha"][1] != 0


@pytest.mark.parametrize("name", ["RLeaky", "RSynaptic", "Alpha"])
def test_graded_spikes_factor_buffer(name):
    """The stored graded_spikes_factor scales the spikes (and the spikes fed back)."""

    def prepare(neuron):
        neuron.graded_spikes_factor.fill_(1.75)

    make = (lambda: Alpha(alpha=0.9, beta=0.8)) if name == "Alpha" else _recurrent(name, "linear")
    assert_matches_loop(make, _inputs((T, B, N), torch.float64), prepare=prepare)


def test_recurrent_state_continues_across_calls():
    """With init_hidden the kernel leaves the loop's final states, and the next call starts from them."""
    x = _inputs((2 * T, B, N), torch.float64)
    torch.manual_seed(0)
    fused = RLeaky(beta=0.9, linear_features=N, init_hidden=True).double()
    loop = RLeaky(beta=0.9, linear_features=N, init_hidden=True).double()
    loop.load_state_dict(fused.state_dict())
    first = torch.cat([fused.forward_sequence(x[:T])[0], fused.forward_sequence(x[T:])[0]])
    assert torch.equal(first, loop._step_loop(x, ())[0])
    assert torch.equal(fused.spk, loop.spk) and torch.equal(fused.mem, loop.mem)


@pytest.mark.parametrize("spikes", SPIKES)
@pytest.mark.parametrize("learn", [False, True])
@pytest.mark.parametrize("per_neuron", [False, True])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_alpha_matches_step_loop(mechanism, per_neuron, learn, spikes):
    def make():
        return Alpha(
            alpha=[0.95, 0.9, 0.8, 0.7, 0.99] if per_neuron else 0.9,
            beta=[0.5, 0.4, 0.3, 0.2, 0.05] if per_neuron else 0.8,
            threshold=[0.2, 0.3, 0.5, 0.4, 0.6] if per_neuron else 0.3,
            reset_mechanism=mechanism,
            learn_alpha=learn,
            learn_beta=learn,
            learn_threshold=learn,
            **SPIKES[spikes],
        )

    states = _states(4, (B, N))[1:]
    grads = assert_matches_loop(make, _inputs((T, B, N), torch.float64) * 0.5, states)
    if learn and not per_neuron:
        assert all(grads[name].abs() > 0 for name in ("alpha", "beta"))


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_alpha_float32_and_fresh_state(mechanism):
    def make():
        return Alpha(alpha=0.9, beta=0.7, reset_mechanism=mechanism, learn_alpha=True, learn_threshold=True)

    assert_matches_loop(make, _inputs((T, 2, 3, 4), torch.float32))
    assert_matches_loop(make, _inputs((T, B, N), torch.float32), _states(4, (B, N), torch.float32)[1:])


NEURONS = {
    "RLeaky": lambda **kw: _recurrent("RLeaky", "linear", **kw)(),
    "RSynaptic": lambda **kw: _recurrent("RSynaptic", "per_neuron_V", **kw)(),
    "Alpha": lambda **kw: Alpha(alpha=0.9, beta=0.8, **kw),
}
FALLBACKS = {
    "inhibition": {"inhibition": True},
    "state_quant": {"state_quant": state_quant(num_bits=4)},
    "SSO": {"spike_grad": surrogate.SSO()},
    "custom": {"spike_grad": surrogate.custom_surrogate(lambda u, grad, out: grad * 0.5)},
    "callable": {"spike_grad": lambda u: (u > 0).float()},
}


@pytest.mark.parametrize("option", FALLBACKS)
@pytest.mark.parametrize("kind", NEURONS)
def test_unsupported_options_fall_back_to_the_step_loop(kind, option):
    neuron, plain = NEURONS[kind](**FALLBACKS[option]), NEURONS[kind]()
    assert kernel_for(neuron.spec, neuron, neuron.step_config()) is None
    assert kernel_for(plain.spec, plain, plain.step_config()) is not None
    x = _inputs((4, B, N), torch.float32)
    torch.manual_seed(0)
    fused = neuron.forward_sequence(x)
    neuron.reset_hidden()
    torch.manual_seed(0)
    loop = neuron._step_loop(x, ())
    for a, b in zip(fused, loop, strict=True):
        assert torch.equal(a, b)


def _tensor(generator, *shape, scale=1.0, shift=0.0):
    value = torch.rand(shape, generator=generator, dtype=torch.float64) * scale + shift
    return value.requires_grad_(True)


GRADCHECK_LAYOUTS = {
    "linear": ({"linear_features": 3}, (2, 3)),
    "conv2d": ({"conv2d_channels": 2, "kernel_size": (3, 1)}, (1, 2, 3, 2)),
    "scalar_V": ({"all_to_all": False}, (2, 3)),
    "per_neuron_V": ({"all_to_all": False}, (2, 3)),
}


@pytest.mark.parametrize("synaptic", [False, True], ids=["RLeaky", "RSynaptic"])
@pytest.mark.parametrize(
    "mechanism,delay", [(m, d) for m, d in itertools.product(MECHANISMS, (True, False)) if m != "none" or d]
)
@pytest.mark.parametrize("layout", GRADCHECK_LAYOUTS)
def test_recurrent_scan_gradcheck(layout, mechanism, delay, synaptic):
    """Finite differences agree where spikes carry no surrogate gradient (surrogate_disable)."""
    generator = torch.Generator().manual_seed(7)
    config, shape = GRADCHECK_LAYOUTS[layout]
    full = {
        "all_to_all": True,
        "linear_features": None,
        "conv2d_channels": None,
        "kernel_size": None,
    } | config
    feedback = Feedback.of(full)
    rule = RecurrentRule(mechanism, delay, feedback, synaptic)
    x = _tensor(generator, 4, *shape, scale=1.5, shift=-0.2)
    spk0 = (torch.rand(shape, generator=generator, dtype=torch.float64) > 0.5).double().requires_grad_(True)
    syn0 = _tensor(generator, *shape, scale=1.0) if synaptic else None
    mem0 = _tensor(generator, *shape, scale=2.0, shift=-0.5)
    alpha = _tensor(generator, 1, scale=0.8, shift=0.1) if synaptic else None
    beta = _tensor(generator, shape[-1], scale=0.8, shift=0.1)
    threshold, factor = _tensor(generator, 1, scale=0.5, shift=0.5), _tensor(generator, 1, shift=1)
    if layout == "linear":
        weight, bias = _tensor(generator, 3, 3, shift=-0.5), _tensor(generator, 3, shift=-0.5)
    elif layout == "conv2d":
        weight, bias = _tensor(generator, 2, 2, 3, 1, shift=-0.5), _tensor(generator, 2, shift=-0.5)
    else:
        weight, bias = _tensor(generator, *((3,) if layout == "per_neuron_V" else ()), shift=-0.5), None
    derivative = derivative_fn(heaviside_without_gradient)
    states = (spk0, syn0, mem0)
    params = (alpha, beta, threshold, factor, weight, bias)
    present = [t for t in (x, *states, *params) if t is not None]

    def run(*tensors):
        it = iter(tensors)
        filled = [next(it) if t is not None else None for t in (x, *states, *params)]
        return recurrent_scan(rule, derivative, filled[0], tuple(filled[1:4]), tuple(filled[4:]))

    assert torch.autograd.gradcheck(run, present, fast_mode=True)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_alpha_scan_gradcheck(mechanism):
    generator = torch.Generator().manual_seed(8)
    x = _tensor(generator, 5, 2, 3, scale=1.5, shift=-0.2)
    exc0, inh0 = _tensor(generator, 2, 3), _tensor(generator, 2, 3, shift=-0.5)
    mem0 = _tensor(generator, 2, 3, scale=1.0, shift=-0.2)
    alpha, beta = _tensor(generator, 3, scale=0.1, shift=0.85), _tensor(generator, 1, scale=0.3, shift=0.3)
    tau, threshold, factor = (
        _tensor(generator, 3, shift=1),
        _tensor(generator, 1, shift=0.2),
        _tensor(generator),
    )
    derivative = derivative_fn(heaviside_without_gradient)
    assert torch.autograd.gradcheck(
        lambda x, e, i, m, *params: alpha_scan(mechanism, derivative, x, (e, i, m), params),
        (x, exc0, inh0, mem0, alpha, beta, tau, threshold, factor),
    )


@pytest.mark.parametrize("kind", ["RLeaky", "RSynaptic", "Alpha"])
def test_neuron_gradcheck_without_surrogate(kind):
    """Through the neuron, with spikes carrying no gradient: input and initial state gradients are exact."""
    neuron = NEURONS[kind](surrogate_disable=True).double()
    count = len(neuron.spec.states)
    x = _inputs((6, B, N), torch.float64).requires_grad_(True)
    states = tuple(_inputs((B, N), torch.float64, seed=9 + i).requires_grad_(True) for i in range(count))
    assert kernel_for(neuron.spec, neuron, neuron.step_config()) is not None
    assert torch.autograd.gradcheck(lambda *args: neuron.forward_sequence(*args), (x, *states))
