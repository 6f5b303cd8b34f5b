"""Fused Leaky, Synaptic and Lapicque kernels equal the step loop, forward and backward."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import torch

from snnx import surrogate
from snnx.functional.quant import state_quant
from snnx_torch.fused import kernel_for, scan
from snnx_torch.fused.common import derivative_fn, reduce_to
from snnx_torch.fused.scan import MembraneRule, decay_scan, membrane_scan
from snnx_torch.neurons import Lapicque, Leaky, Synaptic
from snnx_torch.surrogate import heaviside_without_gradient

pytestmark = pytest.mark.usefixtures("scan_implementation")

T, B, N = 12, 3, 5
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
    surrogate.SFS(slope=5.0, B=0.1),
    surrogate.LSO(slope=0.2),
]
MECHANISMS = ("subtract", "zero", "none")


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Backward in blocks of 5 steps (2-D cases: 12 = 2 + 5 + 5) or 1 step (4-D), not one block."""
    monkeypatch.setattr(scan, "CPU_BLOCK_ELEMENTS", 5 * B * N)


def _inputs(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * 0.8 + 0.3).to(dtype)


def _outputs_and_grads(neuron, x: torch.Tensor, states: tuple[torch.Tensor, ...], fused: bool):
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
    names, params = zip(*sorted(neuron.named_parameters())) if list(neuron.parameters()) else ((), ())
    grads = torch.autograd.grad(loss, [x, *states, *params], allow_unused=True)
    finals = [getattr(neuron, name).detach() for name in neuron.spec.states]
    return (
        [out.detach() for out in outputs],
        dict(zip(["x", *map(str, range(len(states))), *names], grads)),
        finals,
    )


def assert_matches_loop(
    make: Callable[[], torch.nn.Module],
    x: torch.Tensor,
    states: tuple[torch.Tensor, ...] = (),
    prepare: Callable[[torch.nn.Module], None] | None = None,
) -> None:
    """``forward_sequence`` (a fused kernel) against the step loop: outputs, gradients, final states."""
    runs = []
    for fused in (True, False):
        neuron = make().to(x.dtype)
        if prepare is not None:
            prepare(neuron)
        runs.append(_outputs_and_grads(neuron, x, states, fused))
    (out_f, grad_f, final_f), (out_l, grad_l, final_l) = runs
    for a, b in zip(out_f, out_l, strict=True):
        assert torch.equal(a, b), (a - b).abs().max()
    for a, b in zip(final_f, final_l, strict=True):
        assert torch.equal(a, b)
    assert grad_f.keys() == grad_l.keys()
    tight = {"rtol": 1e-10, "atol": 1e-10} if x.dtype == torch.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for name in grad_f:
        if grad_l[name] is None:
            assert grad_f[name] is None, name
        else:
            torch.testing.assert_close(grad_f[name], grad_l[name], **tight, msg=name)


def _per_neuron(values: list[float], per_neuron: bool):
    return values if per_neuron else values[2]


@pytest.mark.parametrize("spikes", SPIKES)
@pytest.mark.parametrize("factor", [1.0, 2.5])
@pytest.mark.parametrize("per_neuron", [False, True])
@pytest.mark.parametrize("learn", [False, True])
@pytest.mark.parametrize("delay", [True, False])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_leaky_matches_step_loop(mechanism, delay, learn, per_neuron, factor, spikes):
    def make():
        return Leaky(
            beta=_per_neuron([0.5, 0.7, 0.8, 0.9, 1.0], per_neuron),
            threshold=_per_neuron([0.5, 0.8, 1.0, 1.2, 1.5], per_neuron),
            reset_mechanism=mechanism,
            reset_delay=delay,
            graded_spikes_factor=factor,
            learn_beta=learn,
            learn_threshold=learn,
            learn_graded_spikes_factor=learn,
            **SPIKES[spikes],
        )

    mem0 = _inputs((B, N), torch.float64, seed=2) * 1.5
    assert_matches_loop(make, _inputs((T, B, N), torch.float64), (mem0,))


@pytest.mark.parametrize("spikes", SPIKES)
@pytest.mark.parametrize("per_neuron", [False, True])
@pytest.mark.parametrize("learn", [False, True])
@pytest.mark.parametrize("delay", [True, False])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_synaptic_matches_step_loop(mechanism, delay, learn, per_neuron, spikes):
    def make():
        return Synaptic(
            alpha=_per_neuron([0.0, 0.3, 0.6, 0.8, 1.0], per_neuron),
            beta=_per_neuron([0.5, 0.7, 0.8, 0.9, 1.0], per_neuron),
            threshold=_per_neuron([0.5, 0.8, 1.0, 1.2, 1.5], per_neuron),
            reset_mechanism=mechanism,
            reset_delay=delay,
            learn_alpha=learn,
            learn_beta=learn,
            learn_threshold=learn,
            **SPIKES[spikes],
        )

    states = (_inputs((B, N), torch.float64, seed=3), _inputs((B, N), torch.float64, seed=4) * 1.5)
    assert_matches_loop(make, _inputs((T, B, N), torch.float64) * 0.5, states)


LAPICQUE_CIRCUITS = {
    "beta": {"beta": 0.9},
    "rc": {"R": 5.0, "C": 2.0, "time_step": 0.5},
    "beta_r": {"beta": 0.8, "R": 2.0},
    "per_neuron": {"R": [1.0, 2.0, 3.0, 4.0, 5.0], "C": 2.0, "threshold": [0.5, 0.8, 1.0, 1.2, 1.5]},
}


@pytest.mark.parametrize("spikes", SPIKES)
@pytest.mark.parametrize("circuit", LAPICQUE_CIRCUITS)
@pytest.mark.parametrize("learn", [False, True])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_lapicque_matches_step_loop(mechanism, learn, circuit, spikes):
    def make():
        return Lapicque(
            reset_mechanism=mechanism,
            learn_beta=learn,
            learn_threshold=learn,
            **LAPICQUE_CIRCUITS[circuit],
            **SPIKES[spikes],
        )

    mem0 = _inputs((B, N), torch.float64, seed=2) * 1.5
    assert_matches_loop(make, _inputs((T, B, N), torch.float64) * 2.0, (mem0,))


@pytest.mark.parametrize("spike_grad", ALL_SURROGATES, ids=lambda s: s.name)
def test_every_deterministic_surrogate(spike_grad):
    def make():
        return Synaptic(alpha=0.6, beta=0.8, learn_beta=True, learn_threshold=True, spike_grad=spike_grad)

    assert_matches_loop(make, _inputs((T, B, N), torch.float64))

    def make_leaky():
        return Leaky(beta=0.8, reset_delay=False, learn_threshold=True, spike_grad=spike_grad)

    assert_matches_loop(make_leaky, _inputs((T, B, N), torch.float64))


NEURONS = {
    "leaky": lambda **kw: Leaky(beta=0.85, learn_beta=True, learn_threshold=True, **kw),
    "synaptic": lambda **kw: Synaptic(alpha=0.7, beta=0.85, learn_alpha=True, learn_threshold=True, **kw),
    "lapicque": lambda **kw: Lapicque(R=3.0, C=2.0, learn_threshold=True, **kw),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("kind", NEURONS)
def test_four_dimensional_inputs_and_fresh_state(kind, dtype):
    x = _inputs((T, 2, 3, 4, 4), dtype)
    assert_matches_loop(lambda: NEURONS[kind](reset_mechanism="subtract"), x)
    assert_matches_loop(lambda: NEURONS[kind](reset_mechanism="zero"), x)


@pytest.mark.parametrize("kind", NEURONS)
def test_float32_two_dimensional(kind):
    states = {"leaky": 1, "synaptic": 2, "lapicque": 1}[kind]
    given = tuple(_inputs((B, N), torch.float32, seed=5 + i) for i in range(states))
    assert_matches_loop(lambda: NEURONS[kind](), _inputs((T, B, N), torch.float32), given)


def test_per_neuron_parameters_on_four_dimensional_inputs():
    def make():
        return Leaky(
            beta=[0.6, 0.7, 0.8, 0.9], threshold=[0.5, 1.0, 1.5, 2.0], learn_beta=True, learn_threshold=True
        )

    assert_matches_loop(make, _inputs((T, 2, 3, 4, 4), torch.float64))


def test_decays_outside_the_unit_interval_get_no_gradient():
    """A learned beta/alpha left [0, 1]: both paths clamp it, and only the inside values get gradient."""

    def prepare(neuron):
        with torch.no_grad():
            neuron.beta.copy_(torch.tensor([-0.2, 0.0, 0.5, 1.0, 1.3]))
            neuron.alpha.copy_(torch.tensor([1.1, 0.4, 0.0, -0.5, 1.0]))

    def make():
        return Synaptic(alpha=[0.5] * N, beta=[0.5] * N, learn_alpha=True, learn_beta=True)

    assert_matches_loop(make, _inputs((T, B, N), torch.float64), prepare=prepare)
    neuron = make().double()
    prepare(neuron)
    neuron.forward_sequence(_inputs((T, B, N), torch.float64))[2].sum().backward()
    assert neuron.beta.grad[0] == 0 and neuron.beta.grad[4] == 0 and neuron.beta.grad[2] != 0
    assert neuron.alpha.grad[0] == 0 and neuron.alpha.grad[3] == 0 and neuron.alpha.grad[1] != 0


@pytest.mark.parametrize("kind", ["synaptic", "lapicque"])
def test_graded_spikes_factor_buffer_of_other_neurons(kind):
    """Synaptic and Lapicque take no graded_spikes_factor argument but scale spikes by the stored one."""

    def prepare(neuron):
        neuron.graded_spikes_factor.fill_(1.75)

    assert_matches_loop(lambda: NEURONS[kind](), _inputs((T, B, N), torch.float64), prepare=prepare)


def test_kernel_state_continues_across_calls():
    """With init_hidden the kernel leaves the loop's final state, and the next call starts from it."""
    x = _inputs((2 * T, B, N), torch.float64)
    fused, loop = (Leaky(beta=0.9, init_hidden=True).double() for _ in range(2))
    first = torch.cat([fused.forward_sequence(x[:T])[0], fused.forward_sequence(x[T:])[0]])
    torch.testing.assert_close(first, loop._step_loop(x, ())[0], rtol=0, atol=0)
    torch.testing.assert_close(fused.mem, loop.mem, rtol=0, atol=0)


def test_step_loop_reference_is_the_per_step_call():
    """The reference ``_step_loop`` is what calling the neuron once per step gives."""
    x = _inputs((T, B, N), torch.float64)
    neuron = Synaptic(alpha=0.7, beta=0.8, reset_delay=False).double()
    spk_seq, syn_seq, mem_seq = neuron.forward_sequence(x)
    neuron.reset_hidden()
    syn = mem = None
    for t in range(T):
        spk, syn, mem = neuron(x[t], syn, mem) if t else neuron(x[t])
        assert torch.equal(spk, spk_seq[t]) and torch.equal(syn, syn_seq[t]) and torch.equal(mem, mem_seq[t])


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
    neuron = NEURONS[kind](**FALLBACKS[option])
    assert kernel_for(neuron.spec, neuron, neuron.step_config()) is None
    x = _inputs((4, B, N), torch.float32)
    torch.manual_seed(0)
    fused = neuron.forward_sequence(x)
    neuron.reset_hidden()
    torch.manual_seed(0)
    loop = neuron._step_loop(x, ())
    for a, b in zip(fused, loop, strict=True):
        assert torch.equal(a, b)


def test_derivative_fn_choices():
    assert derivative_fn(heaviside_without_gradient)(torch.ones(3)).eq(0).all()
    assert derivative_fn(Leaky(beta=0.5, spike_grad=surrogate.SSO())._spike) is None
    assert derivative_fn(Leaky(beta=0.5, **FALLBACKS["custom"])._spike) is None
    assert derivative_fn(lambda u: u) is None
    spike = Leaky(beta=0.5, spike_grad=surrogate.fast_sigmoid(slope=4))._spike
    u = torch.linspace(-1, 1, 7, requires_grad=True)
    spike(u).sum().backward()
    torch.testing.assert_close(derivative_fn(spike)(u.detach()), u.grad)


def test_reduce_to_sums_broadcast_dimensions():
    grad = torch.arange(24.0).reshape(2, 3, 4)
    assert torch.equal(reduce_to(grad, (4,)), grad.sum((0, 1)))
    assert torch.equal(reduce_to(grad, (1,)), grad.sum().reshape(1))
    assert torch.equal(reduce_to(grad, ()), grad.sum())
    assert reduce_to(None, (4,)) is None


@pytest.mark.parametrize(
    "rule",
    [MembraneRule(m, d, z) for m, d, z in itertools.product(MECHANISMS, (True, False), (True, False))],
    ids=str,
)
def test_membrane_scan_gradcheck(rule):
    """Finite differences agree where spikes carry no surrogate gradient (surrogate_disable)."""
    generator = torch.Generator().manual_seed(7)

    def tensor(*shape, scale=1.0, shift=0.0):
        value = torch.rand(shape, generator=generator, dtype=torch.float64) * scale + shift
        return value.requires_grad_(True)

    x, mem0 = tensor(6, 2, 3, scale=1.5, shift=-0.2), tensor(2, 3, scale=2.0, shift=-0.5)
    decay, threshold, factor = (
        tensor(3, scale=0.8, shift=0.1),
        tensor(1, scale=0.5, shift=0.5),
        tensor(1, shift=1),
    )
    derivative = derivative_fn(heaviside_without_gradient)
    assert torch.autograd.gradcheck(
        lambda *args: membrane_scan(*args, rule, derivative), (x, mem0, decay, threshold, factor)
    )


def test_decay_scan_gradcheck():
    generator = torch.Generator().manual_seed(8)
    x, state0 = (torch.randn(s, generator=generator, dtype=torch.float64) for s in ((6, 2, 3), (2, 3)))
    decay = torch.rand(3, generator=generator, dtype=torch.float64)
    args = tuple(t.requires_grad_(True) for t in (x, state0, decay))
    assert torch.autograd.gradcheck(decay_scan, args)
    assert torch.autograd.gradcheck(
        decay_scan, (args[0], args[1], torch.tensor(0.6, dtype=torch.float64, requires_grad=True))
    )


@pytest.mark.parametrize("kind", NEURONS)
def test_neuron_gradcheck_without_surrogate(kind):
    """Through the neuron, with spikes carrying no gradient: input and initial state gradients are exact."""
    neuron = NEURONS[kind](surrogate_disable=True).double()
    count = len(neuron.spec.states)
    x = _inputs((6, 2, 3), torch.float64).requires_grad_(True)
    states = tuple(_inputs((2, 3), torch.float64, seed=9 + i).requires_grad_(True) for i in range(count))
    assert kernel_for(neuron.spec, neuron, neuron.step_config()) is not None
    assert torch.autograd.gradcheck(lambda *args: neuron.forward_sequence(*args), (x, *states))


@pytest.mark.parametrize("delay", [True, False])
@pytest.mark.parametrize("output", [0, 1, 2])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_loss_on_one_output_only(mechanism, output, delay):
    """``.sum()`` of one output (a broadcast gradient, the others unused) gives the loop's gradients."""
    grads = []
    for fused in (True, False):
        neuron = Synaptic(
            alpha=0.6,
            beta=0.8,
            reset_mechanism=mechanism,
            reset_delay=delay,
            learn_beta=True,
            learn_threshold=True,
        ).double()
        x = _inputs((T, B, N), torch.float64).requires_grad_(True)
        outputs = neuron.forward_sequence(x) if fused else neuron._step_loop(x, ())
        outputs[output].sum().backward()
        grads.append([x.grad, neuron.beta.grad, neuron.threshold.grad])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("output", [0, 1])
def test_spikes_without_surrogate_pass_gradient_only_to_the_factor(output):
    """With surrogate_disable, S = g H(U - theta) is a constant times g, as in the step loop."""
    grads = []
    for fused in (True, False):
        neuron = Leaky(
            beta=0.8,
            surrogate_disable=True,
            learn_beta=True,
            learn_threshold=True,
            learn_graded_spikes_factor=True,
        ).double()
        x = _inputs((T, B, N), torch.float64).requires_grad_(True)
        outputs = neuron.forward_sequence(x) if fused else neuron._step_loop(x, ())
        outputs[output].sum().backward()
        grads.append([x.grad, neuron.beta.grad, neuron.threshold.grad, neuron.graded_spikes_factor.grad])
    assert (grads[1][0] is None) == (output == 0)
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("elements", [1, 2 * B * N, 7 * B * N, 1 << 20])
@pytest.mark.parametrize("delay", [True, False])
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_any_block_size_gives_the_same_gradients(monkeypatch, mechanism, delay, elements):
    monkeypatch.setattr(scan, "CPU_BLOCK_ELEMENTS", elements)
    assert len(scan.time_blocks(torch.empty(T, B, N))) == -(-T // max(1, min(T, elements // (B * N))))

    def make():
        return Synaptic(
            alpha=[0.2, 0.4, 0.6, 0.8, 1.0],
            beta=0.9,
            reset_mechanism=mechanism,
            reset_delay=delay,
            learn_alpha=True,
            learn_beta=True,
            learn_threshold=True,
        )

    states = (_inputs((B, N), torch.float64, seed=3), _inputs((B, N), torch.float64, seed=4))
    assert_matches_loop(make, _inputs((T, B, N), torch.float64), states)
