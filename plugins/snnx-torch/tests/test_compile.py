"""``torch.compile`` of step neurons: one graph, no breaks, the eager numbers and gradients.

Under compilation the spike function is the ``snnx::spike`` custom op
(registered through ``torch.library`` with a fake implementation); eager calls
use the equivalent autograd function. Compilation is slow on small machines, so
the numeric checks use the ``aot_eager`` backend (the AOTAutograd forward and
backward graphs, run by eager kernels) and a single case goes through inductor.
"""

from __future__ import annotations

import shutil

import pytest
import torch
import torch._dynamo

import snnx
from snnx import surrogate
from snnx_torch.spike_op import op_arguments, spike
from snnx_torch.surrogate import SurrogateSpike

STEPS = 3
SHAPE = (4, 5)

NEURONS = {
    "Leaky": lambda **kw: snnx.Leaky(beta=0.8, threshold=0.7, learn_beta=True, learn_threshold=True, **kw),
    "Synaptic": lambda **kw: snnx.Synaptic(alpha=0.6, beta=0.8, learn_alpha=True, learn_beta=True, **kw),
    "RLeaky": lambda **kw: snnx.RLeaky(beta=0.8, linear_features=SHAPE[1], learn_beta=True, **kw),
    "RLeaky one-to-one": lambda **kw: snnx.RLeaky(beta=0.8, all_to_all=False, learn_recurrent=True, **kw),
}
CASES = [(name, init_hidden) for name in NEURONS for init_hidden in (False, True)]
NUMERIC_CASES = [case for case in CASES if case[0] != "RLeaky one-to-one"]  # compiling is slow: fewer here
OP_SURROGATES = {
    "atan": surrogate.atan(alpha=3.0),
    "fast_sigmoid": surrogate.fast_sigmoid(slope=10),
    "SFS": surrogate.SFS(slope=5, B=-0.5),
    "straight_through_estimator": surrogate.straight_through_estimator(),
    "triangular": surrogate.triangular(),
    "LSO": surrogate.LSO(slope=0.2),
    "SSO": surrogate.SSO(variance=0.5),
}


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def make(name: str, init_hidden: bool):
    torch.manual_seed(0)  # the same recurrent weights for every instance
    return NEURONS[name](init_hidden=init_hidden)


def inputs() -> torch.Tensor:
    return 2 * torch.rand(STEPS, *SHAPE, generator=torch.Generator().manual_seed(1))


def run_steps(neuron, call, x_seq):
    """Call ``call`` (the neuron, compiled or not) once per step; states go back in unless ``init_hidden``."""
    outputs, states = [], ()
    for x in x_seq:
        out = call(x, *states)
        out = out if isinstance(out, tuple) else (out,)
        if not neuron.init_hidden:
            states = out[1:]
        outputs.append(out)
    return [torch.stack(seq) for seq in zip(*outputs)]


def values_and_gradients(name, init_hidden, compile_with=None):
    neuron = make(name, init_hidden)
    call = neuron if compile_with is None else torch.compile(neuron, fullgraph=True, backend=compile_with)
    x_seq = inputs().requires_grad_(True)
    outputs = run_steps(neuron, call, x_seq)
    loss = sum((out * (index + 1.5)).sum() for index, out in enumerate(outputs))
    loss.backward()
    grads = {key: p.grad for key, p in neuron.named_parameters() if p.grad is not None}
    return outputs, x_seq.grad, grads


def assert_same(ours, eager):
    (outputs, x_grad, grads), (eager_outputs, eager_x_grad, eager_grads) = ours, eager
    assert len(outputs) == len(eager_outputs)
    for out, expected in zip(outputs, eager_outputs):
        torch.testing.assert_close(out, expected)
    torch.testing.assert_close(x_grad, eager_x_grad)
    assert grads.keys() == eager_grads.keys() and grads, "no parameter received a gradient"
    for key in grads:
        torch.testing.assert_close(grads[key], eager_grads[key], msg=key)
    assert eager_outputs[0].sum() > 0, "no spikes: the comparison would not test the spike function"


def spike_op_calls(explanation) -> int:
    return sum(
        node.target is torch.ops.snnx.spike.default
        for graph in explanation.graphs
        for node in graph.graph.nodes
        if node.op == "call_function"
    )


@pytest.mark.parametrize(("name", "init_hidden"), CASES)
def test_step_neuron_traces_into_one_graph_with_the_spike_op(name, init_hidden):
    neuron = make(name, init_hidden)
    x = inputs()[0]
    for step in range(2):  # a fresh (empty) stored state, then a stored state from the step before
        explanation = torch._dynamo.explain(neuron)(x)
        assert explanation.graph_break_count == 0, explanation.break_reasons
        assert explanation.graph_count == 1
        assert spike_op_calls(explanation) >= 1, f"step {step}: the spike function is not the custom op"
        neuron(x)


def test_custom_surrogate_keeps_the_autograd_function_without_graph_breaks():
    lif = snnx.Leaky(beta=0.8, spike_grad=surrogate.custom_surrogate(lambda u, grad, out: 3 * grad))
    explanation = torch._dynamo.explain(lif)(torch.rand(SHAPE))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert spike_op_calls(explanation) == 0


@pytest.mark.parametrize(("name", "init_hidden"), NUMERIC_CASES)
def test_compiled_step_loop_equals_eager_forward_and_backward(name, init_hidden):
    assert_same(
        values_and_gradients(name, init_hidden, compile_with="aot_eager"),
        values_and_gradients(name, init_hidden),
    )


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("g++") is None and shutil.which("c++") is None, reason="inductor needs a C++ compiler"
)
def test_inductor_compiled_leaky_equals_eager():
    x = inputs()
    mem = 0.5 * x[1]
    results = []
    for compiled in (False, True):
        lif = make("Leaky", init_hidden=False)
        call = torch.compile(lif, fullgraph=True) if compiled else lif
        x0 = x[0].clone().requires_grad_(True)
        spk, new_mem = call(x0, mem)
        (spk.sum() + (new_mem**2).sum()).backward()
        results.append(([spk, new_mem], x0.grad, {"beta": lif.beta.grad, "threshold": lif.threshold.grad}))
    assert_same(*reversed(results))


@pytest.mark.parametrize("key", OP_SURROGATES)
def test_spike_op_gives_the_autograd_function_values_and_gradients(key):
    sur = OP_SURROGATES[key]
    u = torch.linspace(-2, 2, 41, dtype=torch.float64).reshape(1, 41)
    grad_spikes = torch.linspace(0.5, 1.5, 41, dtype=torch.float64).reshape(1, 41)
    results = []
    for apply in (lambda t: spike(t, *op_arguments(sur)), lambda t: SurrogateSpike.apply(t, sur)):
        leaf = u.clone().requires_grad_(True)
        torch.manual_seed(3)  # SSO draws its noise in the backward pass
        out = apply(leaf)
        out.backward(grad_spikes)
        results.append((out, leaf.grad))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)
    assert results[0][0].dtype == torch.float64 and results[0][0].sum() == 20


@pytest.mark.parametrize("key", ["atan", "SFS", "straight_through_estimator"])
def test_spike_op_passes_torch_library_opcheck(key):
    u = torch.randn(3, 4, requires_grad=True)
    torch.library.opcheck(spike, (u, *op_arguments(OP_SURROGATES[key])))


def test_only_built_in_numeric_surrogates_become_op_arguments():
    assert op_arguments(surrogate.spike_rate_escape(beta=2, slope=3)) == ("spike_rate_escape", [2.0, 3.0])
    assert op_arguments(surrogate.custom_surrogate(lambda u, grad, out: grad)) is None
