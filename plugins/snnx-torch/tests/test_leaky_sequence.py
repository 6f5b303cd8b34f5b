"""``Leaky``'s lean whole-sequence route equals the general route and the step loop, or steps aside."""

from __future__ import annotations

import pytest
import torch

from snnx import surrogate
from snnx.errors import StateShapeError
from snnx_torch.fused import native
from snnx_torch.neurons import Leaky, leaky

pytestmark = pytest.mark.skipif(
    native.library() is None, reason=f"the compiled CPU scans are unavailable here: {native.status()}"
)

T, B, N = 9, 3, 5


@pytest.fixture
def routes(monkeypatch):
    """Records, per ``forward_sequence`` call, whether the lean route ran (True) or stepped aside (False)."""
    taken = []
    lean = leaky.leaky_sequence

    def spy(neuron, x_seq, record, input_bias=None):
        result = lean(neuron, x_seq, record, input_bias)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(leaky, "leaky_sequence", spy)
    return taken


def _inputs(dtype=torch.float32, seed=0, shape=(T, B, N)):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * 0.8 + 0.45).to(dtype)


def _sequence(neuron, x, record, lean, calls=1):
    """Outputs of ``calls`` consecutive ``forward_sequence`` calls (state carried), and all gradients."""
    x = x.clone().requires_grad_(True)
    if not lean:
        # the general route (the kernel)
        neuron.fast_sequence = lambda x_seq, record_states, input_bias=None: None
    neuron.reset_hidden()
    outputs = []
    for part in x.chunk(calls):
        outputs.extend(neuron.forward_sequence(part, record_states=record))
    generator = torch.Generator().manual_seed(1)
    loss = sum((out * torch.randn(out.shape, generator=generator, dtype=out.dtype)).sum() for out in outputs)
    names, params = zip(*sorted(neuron.named_parameters())) if list(neuron.parameters()) else ((), ())
    grads = torch.autograd.grad(loss, [x, *params])
    return [out.detach() for out in outputs], dict(zip(["x", *names], grads)), neuron.mem.detach()


def assert_lean_equals_general(make, x, routes, record=True, calls=1):
    lean_out, lean_grads, lean_mem = _sequence(make(), x, record, lean=True, calls=calls)
    assert routes and all(routes), "the lean route did not run"
    general_out, general_grads, general_mem = _sequence(make(), x, record, lean=False, calls=calls)
    for ours, expected in zip(lean_out, general_out, strict=True):
        assert ours.shape == expected.shape and torch.equal(ours, expected)
    assert torch.equal(lean_mem, general_mem)
    assert lean_grads.keys() == general_grads.keys()
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if x.dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    for name, expected in general_grads.items():
        torch.testing.assert_close(lean_grads[name], expected, msg=name, **tolerance)


@pytest.mark.parametrize("mechanism", ["subtract", "zero", "none"])
@pytest.mark.parametrize("delay", [True, False])
@pytest.mark.parametrize("record", [True, False])
def test_lean_route_equals_the_general_route(mechanism, delay, record, routes):
    assert_lean_equals_general(
        lambda: Leaky(
            beta=0.8, threshold=0.7, reset_mechanism=mechanism, reset_delay=delay, init_hidden=True
        ),
        _inputs(),
        record=record,
        routes=routes,
    )


def _leaky(beta_after=None, **options):
    """A hidden-state ``Leaky``; ``beta_after`` overwrites beta once built (as training may move it)."""
    options = {name: torch.clone(v) if isinstance(v, torch.Tensor) else v for name, v in options.items()}
    neuron = Leaky(init_hidden=True, **options)
    if beta_after is not None:
        with torch.no_grad():
            neuron.beta.copy_(torch.as_tensor(beta_after))
    return neuron


@pytest.mark.parametrize(
    "options",
    [
        {"beta": 0.9, "learn_beta": True},
        {"beta": 1.0, "beta_after": 1.3},  # a constant outside [0, 1]: clipped as the step loop clips it
        {"beta": 0.0, "beta_after": -0.2},
        {"beta": 1.0, "beta_after": 1.3, "learn_beta": True},
        {"beta": torch.full((N,), 0.5), "beta_after": torch.linspace(0.2, 1.1, N), "learn_beta": True},
        {
            "beta": torch.linspace(0.2, 0.9, N),
            "threshold": torch.linspace(0.4, 1.2, N),
            "learn_threshold": True,
        },
        {"beta": 0.7, "learn_graded_spikes_factor": True, "graded_spikes_factor": 1.5},
        {"beta": 0.7, "spike_grad": surrogate.fast_sigmoid(slope=10)},
        {"beta": 0.7, "surrogate_disable": True},
    ],
    ids=[
        "learned",
        "constant-above-1",
        "constant-below-0",
        "learned-above-1",
        "per-neuron-learned",
        "per-neuron-threshold",
        "graded-factor",
        "fast-sigmoid",
        "no-surrogate",
    ],
)
def test_lean_route_with_learned_and_per_neuron_parameters(options, routes):
    assert_lean_equals_general(lambda: _leaky(**options), _inputs(), routes=routes)


def test_lean_route_in_float64_and_on_feature_maps(routes):
    assert_lean_equals_general(
        lambda: Leaky(beta=0.8, init_hidden=True).double(), _inputs(torch.float64), routes=routes
    )
    assert_lean_equals_general(
        lambda: Leaky(beta=0.8, init_hidden=True), _inputs(shape=(T, B, 2, 3, 3)), record=False, routes=routes
    )


def test_lean_route_continues_from_the_stored_state(routes):
    """Three calls in a row (as ``snnx.run``'s time chunks make): the state and its gradient carry over."""
    assert_lean_equals_general(
        lambda: Leaky(beta=0.85, learn_beta=True, init_hidden=True),
        _inputs(),
        record=False,
        calls=3,
        routes=routes,
    )
    assert routes.count(True) == 3


def test_lean_route_equals_the_step_loop(routes):
    neuron = Leaky(beta=0.8, threshold=0.6, init_hidden=True)
    x = _inputs()
    neuron.reset_hidden()
    spk, mem = neuron.forward_sequence(x)
    assert routes == [True]
    neuron.reset_hidden()
    loop_spk, loop_mem = neuron._step_loop(x, ())
    assert torch.equal(spk, loop_spk) and torch.equal(mem, loop_mem)


@pytest.mark.parametrize(
    "case",
    ["inhibition", "state_quant", "other dtype", "custom surrogate", "triton interpreter"],
)
def test_lean_route_steps_aside_and_the_general_route_runs(case, routes, monkeypatch):
    x = _inputs()
    options = {"beta": 0.8, "init_hidden": True}
    if case == "inhibition":
        options["inhibition"] = True
    elif case == "state_quant":
        options["state_quant"] = lambda mem: torch.round(mem * 4) / 4
    elif case == "custom surrogate":
        options["spike_grad"] = lambda u: (u > 0).float()
    elif case == "triton interpreter":
        monkeypatch.setenv("TRITON_INTERPRET", "1")
        monkeypatch.setattr("snnx_torch.fused.leaky.use_triton", lambda x_seq: False)
    neuron = Leaky(**options)
    if case == "other dtype":
        x = x.double()  # float32 parameters: the general route converts them
    spk, mem = neuron.forward_sequence(x)
    assert routes == [False]
    neuron.reset_hidden()
    loop_spk, loop_mem = neuron._step_loop(x, ())
    torch.testing.assert_close(spk, loop_spk)
    torch.testing.assert_close(mem, loop_mem)


def test_passed_states_and_wrong_stored_states_take_the_general_route(routes):
    neuron = Leaky(beta=0.8)
    x = _inputs()
    spk, _ = neuron.forward_sequence(x, torch.full((B, N), 0.3))
    assert routes == []  # a passed state never reaches the lean route
    neuron.reset_hidden()
    loop_spk, _ = neuron._step_loop(x, (torch.full((B, N), 0.3),))
    assert torch.equal(spk, loop_spk)
    hidden = Leaky(beta=0.8, init_hidden=True)
    hidden.forward_sequence(x)
    with pytest.raises(StateShapeError, match="reset"):
        hidden.forward_sequence(_inputs(shape=(T, B + 1, N)))  # stale state of the old batch size
    assert routes == [True, False]
