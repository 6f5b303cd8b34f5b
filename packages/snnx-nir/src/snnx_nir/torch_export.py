"""torch module of snnx neurons and layers -> NIR graph (snnTorch 1.0's ``export_to_nir``).

The module's structure is read from its ``nn.Sequential`` nesting, or for other modules by
``torch.fx`` symbolic tracing with snnx neurons and torch layers as leaves (additions of two
branches become two edges into the same node, as NIR sums inputs). One forward call on
``sample_data`` records each layer's shape; the neurons' state is reset afterwards. The node
formulas are in :mod:`snnx_nir.mapping`.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

import nir
import numpy as np
import torch
from torch import fx, nn

from snnx_nir.errors import NIRMappingError
from snnx_nir.mapping import (
    META_DT,
    UNMAPPABLE,
    check_exportable,
    lapicque_to_nir,
    leaky_to_nir,
    recurrent_to_nir,
    synaptic_to_nir,
)
from snnx_torch.neurons import SpikingNeuron
from snnx_torch.neurons.recurrent import OneToOne
from snnx_torch.neurons.sequence import SequenceNeuron

LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.AvgPool2d, nn.Flatten, nn.Identity)


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def neuron_node(name: str, neuron: SpikingNeuron, shape: tuple[int, ...], dt: float) -> nir.NIRNode:
    """The NIR node (or recurrent subgraph) of one snnx torch neuron whose output is shaped ``shape``."""
    kind = neuron.spec.name
    config = neuron.step_config()
    check_exportable(name, kind, config, getattr(neuron, "graded_spikes_factor", None))
    reset = neuron.reset_mechanism
    delay = bool(config.get("reset_delay", True))
    output = bool(config.get("output", False))
    threshold = _numpy(neuron.threshold)
    if kind == "Leaky":
        return leaky_to_nir(_numpy(neuron.beta), threshold, shape, dt, reset, delay, output)
    if kind == "Lapicque":
        return lapicque_to_nir(
            _numpy(neuron.R), _numpy(neuron.C), float(neuron.time_step), threshold, shape, reset
        )
    if kind == "Synaptic":
        return synaptic_to_nir(
            _numpy(neuron.alpha), _numpy(neuron.beta), threshold, shape, dt, reset, delay, output
        )
    if kind in ("RLeaky", "RSynaptic"):
        return _recurrent_node(name, neuron, shape, dt, reset, delay)
    raise NIRMappingError(
        f"module {name!r} ({kind}) has no NIR equivalent; remove or replace it before exporting."
    )


def _recurrent_node(
    name: str, neuron: SpikingNeuron, shape: tuple[int, ...], dt: float, reset: str, delay: bool
) -> nir.NIRGraph:
    recurrent = neuron.recurrent
    if not isinstance(recurrent, (nn.Linear, OneToOne)):
        raise NIRMappingError(
            f"module {name!r} ({neuron.spec.name}) has convolutional recurrence, which has no NIR node; "
            "use all_to_all with linear_features or one-to-one V."
        )
    if len(shape) != 1:
        raise NIRMappingError(f"module {name!r}: recurrent neurons export only on [batch, features] input.")
    size = shape[0]
    threshold = _numpy(neuron.threshold)
    if neuron.spec.name == "RLeaky":
        lif = leaky_to_nir(_numpy(neuron.beta), threshold, shape, dt, reset, delay)
    else:
        lif = synaptic_to_nir(_numpy(neuron.alpha), _numpy(neuron.beta), threshold, shape, dt, reset, delay)
    if isinstance(recurrent, OneToOne):
        return recurrent_to_nir(lif, None, None, _numpy(recurrent.V), size)
    bias = None if recurrent.bias is None else _numpy(recurrent.bias)
    return recurrent_to_nir(lif, _numpy(recurrent.weight), bias, None, size)


def layer_node(name: str, layer: nn.Module, in_shape: tuple[int, ...]) -> nir.NIRNode:
    """The NIR node of a torch layer that receives one sample shaped ``in_shape``."""
    if isinstance(layer, nn.Linear):
        weight = _numpy(layer.weight).astype(np.float64)
        if layer.bias is None:
            return nir.Linear(weight=weight)
        return nir.Affine(weight=weight, bias=_numpy(layer.bias).astype(np.float64))
    if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
        if not isinstance(layer.padding, str) and layer.padding_mode != "zeros":
            raise NIRMappingError(
                f"module {name!r}: only zero padding exists in NIR (got {layer.padding_mode!r})."
            )
        weight = _numpy(layer.weight).astype(np.float64)
        bias = np.zeros(weight.shape[0]) if layer.bias is None else _numpy(layer.bias).astype(np.float64)
        node_type = nir.Conv1d if isinstance(layer, nn.Conv1d) else nir.Conv2d
        spatial = in_shape[1:]
        return node_type(
            input_shape=spatial[0] if node_type is nir.Conv1d else spatial,
            weight=weight,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=bias,
        )
    if isinstance(layer, nn.AvgPool2d):
        if layer.ceil_mode or not layer.count_include_pad or layer.divisor_override:
            raise NIRMappingError(
                f"module {name!r}: NIR's AvgPool2d is the plain window mean; use ceil_mode=False, "
                "count_include_pad=True and no divisor_override."
            )
        kernel = np.broadcast_to(np.asarray(layer.kernel_size), (2,))
        stride = kernel if layer.stride is None else np.broadcast_to(np.asarray(layer.stride), (2,))
        padding = np.broadcast_to(np.asarray(layer.padding), (2,))
        return nir.AvgPool2d(kernel_size=kernel.copy(), stride=stride.copy(), padding=padding.copy())
    if isinstance(layer, nn.Flatten):
        # NIR flattens one sample: torch's dimension d (d >= 1, after the batch) is NIR's d - 1.
        start = layer.start_dim - 1 if layer.start_dim > 0 else layer.start_dim
        end = layer.end_dim - 1 if layer.end_dim > 0 else layer.end_dim
        if layer.start_dim == 0:
            raise NIRMappingError(
                f"module {name!r}: Flatten(start_dim=0) merges the batch, which NIR cannot say."
            )
        return nir.Flatten(input_type={"input": np.array(in_shape)}, start_dim=start, end_dim=end)
    raise NIRMappingError(
        f"module {name!r} ({type(layer).__name__}) has no NIR equivalent; snnx exports Linear, Conv1d, "
        "Conv2d, AvgPool2d, Flatten and the neurons Leaky, Lapicque, Synaptic, RLeaky and RSynaptic."
    )


def _is_leaf(module: nn.Module) -> bool:
    return isinstance(module, (SpikingNeuron, SequenceNeuron, *LAYERS)) or not list(module.children())


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return _is_leaf(m) or super().is_leaf_module(m, module_qualified_name)


def _node_name(qualified: str) -> str:
    """A module's dotted name as a NIR node name (a dot would address a node inside a subgraph)."""
    return qualified.replace(".", "_")


def _sequential_leaves(module: nn.Sequential, prefix: str):
    for name, child in module.named_children():
        if isinstance(child, nn.Sequential):
            yield from _sequential_leaves(child, f"{prefix}{name}_")
        else:
            yield f"{prefix}{name}", child


def _structure(module: nn.Module) -> tuple[list[tuple[str, nn.Module]], list[tuple[str, str]], list[str]]:
    """``(leaves, edges, outputs)``: leaf modules by name and the edges between them (from "input")."""
    if isinstance(module, nn.Sequential):
        leaves = list(_sequential_leaves(module, ""))
        names = ["input", *(name for name, _ in leaves)]
        return leaves, list(itertools.pairwise(names)), [names[-1]]
    try:
        graph = _Tracer().trace(module)
    except Exception as error:  # fx raises many kinds of errors for untraceable code
        raise NIRMappingError(
            f"could not trace {type(module).__name__} with torch.fx ({error}); write the network as an "
            "nn.Sequential or make its forward traceable (no data-dependent Python control flow)."
        ) from error
    return _from_fx(module, graph)


def _from_fx(
    module: nn.Module, graph: fx.Graph
) -> tuple[list[tuple[str, nn.Module]], list[tuple[str, str]], list[str]]:
    produced: dict[str, list[str]] = {}  # fx node -> the NIR nodes whose sum it is
    leaves: list[tuple[str, nn.Module]] = []
    edges: list[tuple[str, str]] = []
    outputs: list[str] = []
    placeholders = 0
    for node in graph.nodes:
        if node.op == "placeholder":
            placeholders += 1
            produced[node.name] = ["input"] if placeholders == 1 else []
        elif node.op == "call_module":
            name = _node_name(node.target)
            leaves.append((name, module.get_submodule(node.target)))
            edges += [(source, name) for source in produced[node.args[0].name]]
            produced[node.name] = [name]
        elif node.op == "call_function" and node.target in (operator.add, torch.add):
            produced[node.name] = [s for arg in node.args for s in produced.get(getattr(arg, "name", ""), [])]
        elif node.op == "call_function" and node.target is operator.getitem and node.args[1] == 0:
            produced[node.name] = produced[node.args[0].name]  # the spikes of a neuron returning a tuple
        elif node.op == "output":
            result = node.args[0]
            result = result[0] if isinstance(result, (tuple, list)) else result
            outputs = produced[result.name]
        else:
            raise NIRMappingError(
                f"the operation {node.format_node()} in {type(module).__name__}.forward has no NIR node; "
                "only modules, additions of their outputs and taking a neuron's spikes ([0]) can be exported."
            )
    return leaves, edges, outputs


def _shapes(
    module: nn.Module, leaves: list[tuple[str, nn.Module]], sample: torch.Tensor, args: tuple[Any, ...]
):
    """Each leaf's input and output shape (without the batch dimension) from one forward call."""
    shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def hook(name: str):
        def record(_: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            out = output[0] if isinstance(output, tuple) else output
            shapes[name] = (tuple(inputs[0].shape[1:]), tuple(out.shape[1:]))

        return record

    handles = [leaf.register_forward_hook(hook(name)) for name, leaf in leaves]
    try:
        with torch.no_grad():
            result = module(sample, *args)
    finally:
        for handle in handles:
            handle.remove()
        for neuron in module.modules():
            if isinstance(neuron, SpikingNeuron):
                neuron.reset_hidden()
    out = result[0] if isinstance(result, tuple) else result
    return shapes, tuple(out.shape)


def export_to_nir(
    module: nn.Module,
    sample_data: torch.Tensor,
    model_name: str = "snnx",
    model_fwd_args: tuple[Any, ...] | list[Any] = (),
    ignore_dims: tuple[int, ...] | list[int] = (),
    dt: float = 1e-4,
) -> nir.NIRGraph:
    """The NIR graph of ``module``, a network of snnx neurons (``init_hidden=True``) and torch layers.

    ``sample_data`` is one time step ``[batch, ...]`` (its values do not matter); the network is
    called once on it (with ``model_fwd_args`` after it) to learn each layer's shape, then its
    neurons are reset. The Input/Output types drop the dimensions ``ignore_dims`` of
    ``sample_data``/the output (default: the batch dimension 0, as NIR describes one sample).
    ``dt`` (seconds) converts decays to time constants (``tau = dt / (1 - beta)``) and is written to
    the graph's and each neuron's metadata ``snnx_dt``; ``model_name`` is kept as metadata
    ``snnx_model_name``. Recurrent neurons become subgraphs ``input, lif, w_rec, output``.
    """
    leaves, edges, outputs = _structure(module)
    shapes, out_shape = _shapes(module, leaves, sample_data, tuple(model_fwd_args))
    dims = tuple(ignore_dims) or (0,)
    nodes: dict[str, nir.NIRNode] = {
        "input": nir.Input(input_type={"input": np.delete(np.array(sample_data.shape), dims)})
    }
    skipped: dict[str, list[str]] = {}
    for name, leaf in leaves:
        if name not in shapes:
            raise NIRMappingError(
                f"module {name!r} was not called by the forward pass on sample_data, so it has no shape."
            )
        in_shape, shape = shapes[name]
        if isinstance(leaf, nn.Identity):
            skipped[name] = [a for a, b in edges if b == name]
        elif isinstance(leaf, (SpikingNeuron, SequenceNeuron)):
            if leaf.spec.name in UNMAPPABLE:
                check_exportable(name, leaf.spec.name, {}, None)
            nodes[name] = neuron_node(name, leaf, shape, dt)
        else:
            nodes[name] = layer_node(name, leaf, in_shape)
    nodes["output"] = nir.Output(output_type={"output": np.delete(np.array(out_shape), dims)})
    edges = _bypass(edges + [(source, "output") for source in outputs], skipped)
    return nir.NIRGraph(
        nodes=nodes, edges=edges, metadata={META_DT: float(dt), "snnx_model_name": model_name}
    )


def _bypass(edges: list[tuple[str, str]], skipped: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Edges with pass-through layers (``Identity``) removed: their sources feed their targets."""
    for name in skipped:
        before = [a for a, b in edges if b == name]
        after = [b for a, b in edges if a == name]
        edges = [edge for edge in edges if name not in edge] + [(a, b) for a in before for b in after]
    return list(dict.fromkeys(edges))
