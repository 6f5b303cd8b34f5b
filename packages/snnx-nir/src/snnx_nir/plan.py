"""A NIR graph as an ordered plan of snnx steps, shared by the torch importer and the NumPy runner.

Building the plan:

1. subgraphs are inlined: an inner node ``x`` of subgraph ``s`` becomes ``s.x`` (nir's own naming),
   the subgraph's ``Input``/``Output`` nodes are pass-throughs joined to the outer edges;
2. a neuron ``L`` (LIF/CubaLIF/IF) and a ``Linear``/``Affine`` ``W`` connected only to each other
   (``L -> W -> L``) become one recurrent neuron (RLeaky/RSynaptic) named like ``L`` without a
   trailing ``.lif`` (snnx's and snnTorch's subgraph and flat forms alike);
3. every other node becomes one step (:func:`step_for`), and the steps are put in an order where
   each step comes after the steps it reads. Inputs from several edges are summed, as NIR defines.

A cycle left after step 2 is refused with :class:`~snnx_nir.errors.NIRMappingError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import nir
import numpy as np

from snnx_nir.errors import NIRGraphError, NIRMappingError
from snnx_nir.mapping import (
    NeuronPlan,
    as_array,
    neuron_from_nir,
    recurrent_from_nir,
    resolve_dt,
)

NEURONS = (nir.LIF, nir.IF, nir.LI, nir.CubaLIF, nir.CubaLI)
RECURRENT_NEURONS = (nir.LIF, nir.IF, nir.CubaLIF)
DENSE = (nir.Linear, nir.Affine)


@dataclass
class Step:
    """One operation: ``op`` applied to the sum of the outputs of ``sources``.

    ``op`` is ``'neuron'`` (``attrs['neuron']`` is a :class:`~snnx_nir.mapping.NeuronPlan`),
    ``'linear'``, ``'conv1d'``, ``'conv2d'``, ``'avgpool2d'``, ``'flatten'``, ``'scale'`` or
    ``'threshold'``; ``attrs`` holds its NumPy parameters.
    """

    name: str
    op: str
    sources: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """Steps in execution order; the graph input is named ``input_name``, its output sums ``outputs``."""

    input_name: str
    output_name: str
    outputs: tuple[str, ...]
    steps: list[Step]


def plan_graph(graph: nir.NIRGraph, dt: float | None = None, reset_mechanism: str | None = None) -> Plan:
    """The plan that runs ``graph`` with snnx neurons (see the module notes)."""
    nodes, edges = inline(graph)
    inputs = [name for name, node in nodes.items() if isinstance(node, nir.Input)]
    outputs = [name for name, node in nodes.items() if isinstance(node, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NIRMappingError(
            f"snnx imports graphs with exactly one Input and one Output node; this one has inputs {inputs} "
            f"and outputs {outputs}. Merge them into one of each before importing."
        )
    steps: dict[str, Step] = {}
    renamed: dict[str, str] = {}
    for lif, w_rec in recurrent_pairs(nodes, edges):
        name = lif[: -len(".lif")] if lif.endswith(".lif") and lif[: -len(".lif")] not in nodes else lif
        neuron = neuron_from_nir(nodes[lif], lif, resolve_dt(dt, nodes[lif], graph.metadata), reset_mechanism)
        steps[name] = Step(name, "neuron", (), {"neuron": recurrent_from_nir(neuron, nodes[w_rec], lif)})
        renamed[lif] = name
        edges = [edge for edge in edges if edge not in ((lif, w_rec), (w_rec, lif))]
        del nodes[w_rec]
    edges = [(renamed.get(a, a), renamed.get(b, b)) for a, b in edges]
    for name, node in nodes.items():
        if name not in renamed and not isinstance(node, (nir.Input, nir.Output)):
            steps[name] = step_for(node, name, resolve_dt(dt, node, graph.metadata), reset_mechanism)
    for step in steps.values():
        step.sources = tuple(source for source, target in edges if target == step.name)
    ordered = order(steps, inputs[0])
    sources = tuple(source for source, target in edges if target == outputs[0])
    return Plan(inputs[0], outputs[0], sources, ordered)


def inline(graph: nir.NIRGraph, prefix: str = "") -> tuple[dict[str, nir.NIRNode], list[tuple[str, str]]]:
    """Leaf nodes by dotted name and the edges between them, with subgraphs' Input/Output joined."""
    nodes: dict[str, nir.NIRNode] = {}
    edges: list[tuple[str, str]] = []
    passes: list[str] = []
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            inner_nodes, inner_edges = inline(node, f"{prefix}{name}.")
            nodes.update(inner_nodes)
            edges.extend(inner_edges)
            boundary = (nir.Input, nir.Output)
            passes += [
                f"{prefix}{name}.{key}" for key, inner in node.nodes.items() if isinstance(inner, boundary)
            ]
        else:
            nodes[f"{prefix}{name}"] = node
    for source, target in dict.fromkeys(tuple(edge) for edge in graph.edges):
        for a in _endpoints(graph, source, nir.Output, prefix):
            for b in _endpoints(graph, target, nir.Input, prefix):
                edges.append((a, b))
    for name in passes:
        before = [a for a, b in edges if b == name]
        after = [b for a, b in edges if a == name]
        edges = [edge for edge in edges if name not in edge] + [(a, b) for a in before for b in after]
        del nodes[name]
    return nodes, list(dict.fromkeys(edges))


def _endpoints(graph: nir.NIRGraph, name: str, side: type, prefix: str) -> list[str]:
    """Dotted leaf names an edge endpoint refers to; a whole subgraph means its Input/Output nodes."""
    if name in graph.nodes:
        node = graph.nodes[name]
        if not isinstance(node, nir.NIRGraph):
            return [f"{prefix}{name}"]
        return [f"{prefix}{name}.{key}" for key, inner in node.nodes.items() if isinstance(inner, side)]
    head, _, rest = name.partition(".")
    if rest and isinstance(graph.nodes.get(head), nir.NIRGraph):
        return _endpoints(graph.nodes[head], rest, side, f"{prefix}{head}.")
    raise NIRGraphError(f"edge endpoint {prefix}{name!r} names no node of the graph; fix or remove the edge.")


def recurrent_pairs(nodes: dict[str, nir.NIRNode], edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(neuron, weights)`` pairs joined only to each other in a two-node loop."""
    pairs = []
    for lif, w_rec in edges:
        if not (isinstance(nodes.get(lif), RECURRENT_NEURONS) and isinstance(nodes.get(w_rec), DENSE)):
            continue
        into = [a for a, b in edges if b == w_rec]
        out_of = [b for a, b in edges if a == w_rec]
        if into == [lif] and out_of == [lif]:
            pairs.append((lif, w_rec))
    return pairs


def order(steps: dict[str, Step], input_name: str) -> list[Step]:
    """``steps`` so that each comes after every step it reads (Kahn's algorithm)."""
    done = {input_name}
    ordered: list[Step] = []
    pending = dict(steps)
    while pending:
        ready = [step for step in pending.values() if all(source in done for source in step.sources)]
        if not ready:
            raise NIRMappingError(
                f"nodes {sorted(pending)} form a loop (or read one) that is not a neuron with its own "
                "recurrent Linear/Affine weights; snnx imports recurrence only as RLeaky/RSynaptic."
            )
        for step in ready:
            ordered.append(step)
            done.add(step.name)
            del pending[step.name]
    return ordered


def _pair(value: Any, size: int) -> tuple[int, ...]:
    array = np.asarray(value).reshape(-1).astype(int)
    return tuple(int(v) for v in np.broadcast_to(array, (size,)))


def step_for(node: nir.NIRNode, name: str, dt: float, reset_mechanism: str | None) -> Step:
    """The step of one (non-recurrent) NIR node."""
    if isinstance(node, NEURONS):
        plan: NeuronPlan = neuron_from_nir(node, name, dt, reset_mechanism)
        return Step(name, "neuron", (), {"neuron": plan})
    if isinstance(node, nir.Affine):
        return Step(name, "linear", (), {"weight": as_array(node.weight), "bias": as_array(node.bias)})
    if isinstance(node, nir.Linear):
        return Step(name, "linear", (), {"weight": as_array(node.weight), "bias": None})
    if isinstance(node, (nir.Conv1d, nir.Conv2d)):
        return _conv_step(node, name)
    if isinstance(node, (nir.AvgPool2d, nir.SumPool2d)):
        kernel = _pair(node.kernel_size, 2)
        attrs = {"kernel_size": kernel, "stride": _pair(node.stride, 2), "padding": _pair(node.padding, 2)}
        # SumPool2d = AvgPool2d times the kernel area (snnx has no sum-pooling layer).
        attrs["scale"] = float(kernel[0] * kernel[1]) if isinstance(node, nir.SumPool2d) else None
        return Step(name, "avgpool2d", (), attrs)
    if isinstance(node, nir.Flatten):
        # NIR flattens one sample; the torch batch dimension comes first, so non-negative dims shift by one.
        start, end = int(node.start_dim), int(node.end_dim)
        return Step(
            name,
            "flatten",
            (),
            {"start_dim": start + 1 if start >= 0 else start, "end_dim": end + 1 if end >= 0 else end},
        )
    if isinstance(node, nir.Scale):
        return Step(name, "scale", (), {"scale": as_array(node.scale)})
    if isinstance(node, nir.Threshold):
        return Step(name, "threshold", (), {"threshold": as_array(node.threshold)})
    raise NIRMappingError(
        f"node {name!r} ({type(node).__name__}) has no snnx equivalent yet"
        + (
            ": a Delay needs a per-neuron delay line, which snnx does not provide."
            if isinstance(node, nir.Delay)
            else "."
        )
        + " Remove it or replace it with supported nodes (LIF, IF, LI, CubaLIF, CubaLI, Linear, Affine, "
        "Conv1d, Conv2d, AvgPool2d, SumPool2d, Flatten, Scale, Threshold)."
    )


def _conv_step(node: nir.Conv1d | nir.Conv2d, name: str) -> Step:
    dims = 1 if isinstance(node, nir.Conv1d) else 2
    weight = as_array(node.weight)
    bias = as_array(node.bias) if node.bias is not None else np.zeros(weight.shape[0])
    padding = node.padding if isinstance(node.padding, str) else _pair(node.padding, dims)
    attrs = {
        "weight": weight,
        "bias": np.broadcast_to(bias, (weight.shape[0],)).copy(),
        "stride": _pair(node.stride, dims),
        "padding": padding,
        "dilation": _pair(node.dilation, dims),
        "groups": int(node.groups),
    }
    return Step(name, f"conv{dims}d", (), attrs)


def neuron_steps(plan: Plan) -> Iterable[Step]:
    """The neuron steps of ``plan``."""
    return (step for step in plan.steps if step.op == "neuron")
