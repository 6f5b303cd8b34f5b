"""NIR graph -> torch module of snnx neurons and torch layers (snnTorch 1.0's ``import_from_nir``).

The returned :class:`ImportedGraph` is called once per time step like the module snnTorch 1.0
returns (a nirtorch graph executor): ``out, state = net(x)`` for input ``x [batch, ...]``. The
neurons are built with ``init_hidden=True`` and keep their own state between calls, so ``state``
(a dict of each neuron's hidden states by node name) is for inspection and may be passed back or
not; ``snnx.utils.reset(net)`` starts over. ``snnx.run(net.outputs_only(), x_seq)`` runs a whole
sequence ``[T, batch, ...]`` and stacks the outputs.
"""

from __future__ import annotations

import os
from typing import Any

import nir
import numpy as np
import torch
from torch import nn

import snnx_torch.neurons as neurons
from snnx_nir.mapping import NeuronPlan
from snnx_nir.plan import Plan, Step, plan_graph
from snnx_nir.reading import read_graph


def _tensor(value: Any) -> torch.Tensor:
    return torch.as_tensor(np.asarray(value, dtype=np.float32))


class NeuronStep(nn.Module):
    """An snnx neuron with the input scale and bias a NIR node may add, read out as spikes or membrane."""

    def __init__(self, plan: NeuronPlan) -> None:
        super().__init__()
        args = {
            key: (_tensor(value) if isinstance(value, np.ndarray) else value)
            for key, value in plan.args.items()
        }
        self.neuron = getattr(neurons, plan.kind)(**args, init_hidden=True)
        self.readout = plan.readout
        self.register_buffer("input_scale", None if plan.input_scale is None else _tensor(plan.input_scale))
        self.register_buffer("bias", None if plan.bias is None else _tensor(plan.bias))
        recurrent = plan.recurrent
        if "weight" in recurrent:
            with torch.no_grad():
                self.neuron.recurrent.weight.copy_(_tensor(recurrent["weight"]))
                self.neuron.recurrent.bias.copy_(_tensor(recurrent["bias"]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_scale is not None:
            x = x * self.input_scale
        if self.bias is not None:
            x = x + self.bias
        out = self.neuron(x)
        if self.readout == "mem":
            return out[1]
        return out[0] if isinstance(out, tuple) else out


class Threshold(nn.Module):
    """NIR's ``Threshold``: :math:`H(x - \\theta)`, one where the input exceeds the threshold."""

    def __init__(self, threshold: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("threshold", _tensor(threshold))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x > self.threshold).to(x.dtype)


class Scale(nn.Module):
    """NIR's ``Scale``: an elementwise product with a fixed factor."""

    def __init__(self, scale: Any) -> None:
        super().__init__()
        self.register_buffer("scale", _tensor(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def module_for(step: Step) -> nn.Module:
    """The torch module of one plan step."""
    attrs = step.attrs
    if step.op == "neuron":
        return NeuronStep(attrs["neuron"])
    if step.op == "linear":
        weight = attrs["weight"]
        layer = nn.Linear(weight.shape[1], weight.shape[0], bias=attrs["bias"] is not None)
    elif step.op in ("conv1d", "conv2d"):
        weight = attrs["weight"]
        conv = nn.Conv1d if step.op == "conv1d" else nn.Conv2d
        layer = conv(
            weight.shape[1] * attrs["groups"],
            weight.shape[0],
            weight.shape[2:],
            stride=attrs["stride"],
            padding=attrs["padding"],
            dilation=attrs["dilation"],
            groups=attrs["groups"],
        )
    elif step.op == "avgpool2d":
        pool = nn.AvgPool2d(attrs["kernel_size"], attrs["stride"], attrs["padding"])
        return pool if attrs["scale"] is None else nn.Sequential(pool, Scale(attrs["scale"]))
    elif step.op == "flatten":
        return nn.Flatten(attrs["start_dim"], attrs["end_dim"])
    elif step.op == "scale":
        return Scale(attrs["scale"])
    elif step.op == "threshold":
        return Threshold(attrs["threshold"])
    else:  # pragma: no cover - plan_graph only makes the ops above
        raise AssertionError(step.op)
    with torch.no_grad():
        layer.weight.copy_(_tensor(weight))
        if attrs["bias"] is not None:
            layer.bias.copy_(_tensor(attrs["bias"]))
    return layer


def _key(name: str) -> str:
    """A node name as a module name (torch forbids dots)."""
    return name.replace(".", "_")


class ImportedGraph(nn.Module):
    """A NIR graph run one time step per call: ``out, state = net(x, state=None)``.

    Each node is a submodule (dots in node names become underscores); inputs of a node arriving
    over several edges are summed. ``state`` maps each neuron node to its hidden states after
    the step (the neurons keep them; passing ``state`` back is accepted and changes nothing).
    """

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.nodes = nn.ModuleDict({_key(step.name): module_for(step) for step in plan.steps})
        self.order = [(_key(step.name), tuple(_key(s) for s in step.sources)) for step in plan.steps]
        self.input_name = _key(plan.input_name)
        self.outputs = tuple(_key(s) for s in plan.outputs)

    def forward(
        self, x: torch.Tensor, state: dict[str, Any] | None = None
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        values = {self.input_name: x}
        for name, sources in self.order:
            values[name] = self.nodes[name](_sum(values, sources, name))
        return _sum(values, self.outputs, "output"), self.hidden_states()

    def hidden_states(self) -> dict[str, tuple[torch.Tensor, ...]]:
        """Each neuron node's current hidden states, by module name."""
        return {
            name: tuple(getattr(module.neuron, s) for s in module.neuron.spec.states)
            for name, module in self.nodes.items()
            if isinstance(module, NeuronStep)
        }

    def outputs_only(self) -> OutputsOnly:
        """This network called as ``out = net(x)`` (for ``snnx.run``); it shares the same modules."""
        return OutputsOnly(self)


class OutputsOnly(nn.Module):
    """An :class:`ImportedGraph` that returns only its output each step."""

    def __init__(self, graph: ImportedGraph) -> None:
        super().__init__()
        self.graph = graph

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.graph(x)[0]


def _sum(values: dict[str, torch.Tensor], sources: tuple[str, ...], name: str) -> torch.Tensor:
    if not sources:
        raise ValueError(f"node {name!r} has no incoming edge, so it has no input; connect it or remove it.")
    total = values[sources[0]]
    for source in sources[1:]:
        total = total + values[source]
    return total


def import_from_nir(
    graph_or_path: nir.NIRGraph | str | os.PathLike[str],
    dt: float | None = None,
    reset_mechanism: str | None = None,
) -> ImportedGraph:
    """A torch module running ``graph_or_path`` (a ``nir.NIRGraph`` or a ``.nir`` file) with snnx neurons.

    ``dt`` (seconds) sets the Euler step of every neuron (default: the graph's ``snnx_dt``
    metadata, else 1e-4); ``reset_mechanism`` (``'subtract'``, ``'zero'`` or ``'none'``) overrides
    each node's (default: its ``snnx_reset_mechanism`` metadata, else ``'zero'`` as NIR defines).
    The formulas are in :mod:`snnx_nir.mapping`; see :class:`ImportedGraph` for how to call it.
    """
    graph = read_graph(graph_or_path)
    return ImportedGraph(plan_graph(graph, dt=dt, reset_mechanism=reset_mechanism))
