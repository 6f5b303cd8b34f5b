"""Structural checks of a ``nir.NIRGraph`` before snnx uses it.

The checks, each raising :class:`~snnx_nir.errors.NIRGraphError` that names the node or edge:

* every node is one of NIR's node types (:data:`NODE_TYPES`);
* every edge has two endpoints that exist; an endpoint may address a node inside a subgraph as
  ``"outer.inner"`` (how nir itself names nested nodes), and an edge to or from a whole subgraph
  connects to its ``Input`` / from its ``Output`` nodes;
* the top-level graph has at least one ``Input`` and one ``Output`` node;
* the two sides of each connection agree in shape wherever both declare one. Shapes agree when they
  are equal after dropping axes of length 1 (so ``(1,)`` agrees with ``(1, 1, 1)``, the output type
  Rockpool writes); a side with no declared or an empty shape is not checked;
* every cycle passes through a neuron node (:data:`NEURON_TYPES`): a neuron's output at step ``t``
  depends on its input only through its state, so a recurrent loop through it is delayed by one step.
  A loop of stateless nodes (e.g. ``Linear -> Linear -> Linear``) has no defined value and is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import nir
import numpy as np

from snnx_nir.errors import NIRGraphError

NODE_TYPE_NAMES = (
    "Affine",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "CubaLI",
    "CubaLIF",
    "Delay",
    "Flatten",
    "I",
    "IF",
    "Input",
    "LI",
    "LIF",
    "Linear",
    "NIRGraph",
    "Output",
    "Scale",
    "SumPool2d",
    "Threshold",
)
"""The NIR node types a file may hold (the types ``nir.write`` serialises)."""

NODE_TYPES: tuple[type, ...] = tuple(getattr(nir, name) for name in NODE_TYPE_NAMES)
NEURON_TYPES: tuple[type, ...] = (nir.I, nir.IF, nir.LI, nir.LIF, nir.CubaLI, nir.CubaLIF)
"""Stateful neuron nodes: a cycle through one of them is delayed by one time step."""

Path = tuple[str, ...]


@dataclass(frozen=True)
class _Connection:
    """An edge between two leaf nodes, with the edge as written in the file for messages."""

    source: Path
    target: Path
    edge: tuple[str, str]


def validate_graph(graph: nir.NIRGraph) -> None:
    """Check ``graph`` (see the module docstring); raise ``NIRGraphError`` naming the first problem."""
    if not isinstance(graph, nir.NIRGraph):
        raise NIRGraphError(
            f"expected a nir.NIRGraph, got {type(graph).__name__}; "
            "wrap single nodes with nir.NIRGraph.from_list"
        )
    _check_node_types(graph, ())
    for kind, name in ((nir.Input, "Input"), (nir.Output, "Output")):
        if not any(isinstance(node, kind) for node in graph.nodes.values()):
            raise NIRGraphError(
                f"the graph has no {name} node; add a nir.{name} node and an edge "
                f"{'from it to the first node' if kind is nir.Input else 'to it from the last node'}"
            )
    connections = list(_connections(graph, ()))
    leaves = dict(_leaves(graph, ()))
    for connection in connections:
        _check_shapes(connection, leaves)
    _check_cycles(connections, leaves)


def dotted(path: Path) -> str:
    """The name nir gives a nested node: its path joined with dots."""
    return ".".join(path)


def _check_node_types(graph: nir.NIRGraph, prefix: Path) -> None:
    for name, node in graph.nodes.items():
        if not isinstance(node, NODE_TYPES):
            raise NIRGraphError(
                f"node {dotted((*prefix, name))!r} has unknown type {type(node).__name__}; "
                f"NIR node types are {', '.join(NODE_TYPE_NAMES)}"
            )
        if isinstance(node, nir.NIRGraph):
            _check_node_types(node, (*prefix, name))


def _leaves(graph: nir.NIRGraph, prefix: Path) -> Iterator[tuple[Path, nir.NIRNode]]:
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            yield from _leaves(node, (*prefix, name))
        else:
            yield (*prefix, name), node


def _find(graph: nir.NIRGraph, name: str) -> Path | None:
    """Path of node ``name`` in ``graph``: the exact key first, else ``outer.inner`` into a subgraph."""
    if name in graph.nodes:
        return (name,)
    for index, char in enumerate(name):
        if char != ".":
            continue
        outer = graph.nodes.get(name[:index])
        if isinstance(outer, nir.NIRGraph):
            inner = _find(outer, name[index + 1 :])
            if inner is not None:
                return (name[:index], *inner)
    return None


def _node_at(graph: nir.NIRGraph, path: Path) -> nir.NIRNode:
    node: nir.NIRNode = graph
    for name in path:
        node = node.nodes[name]
    return node


def _endpoints(graph: nir.NIRGraph, path: Path, edge: tuple[str, str], side: str) -> list[Path]:
    """Leaf nodes an endpoint stands for: itself, or a subgraph's Input (as target) / Output (as source)."""
    node = _node_at(graph, path)
    if not isinstance(node, nir.NIRGraph):
        return [path]
    kind = nir.Output if side == "source" else nir.Input
    ports = [name for name, inner in node.nodes.items() if isinstance(inner, kind)]
    if not ports:
        raise NIRGraphError(
            f"edge {edge[0]!r} -> {edge[1]!r}: subgraph {dotted(path)!r} has no {kind.__name__} node to "
            f"connect {'from' if side == 'source' else 'to'}; address one of its nodes as "
            f"'{dotted(path)}.<node>' or add a nir.{kind.__name__} node to it"
        )
    return [endpoint for port in ports for endpoint in _endpoints(graph, (*path, port), edge, side)]


def _connections(graph: nir.NIRGraph, prefix: Path) -> Iterator[_Connection]:
    names = sorted(graph.nodes)
    for edge in graph.edges:
        if len(edge) != 2 or not all(isinstance(end, str) for end in edge):
            raise NIRGraphError(
                f"edge {edge!r} in graph {dotted(prefix) or '(top level)'!r} is not a pair of node names"
            )
        written = (dotted((*prefix, edge[0])), dotted((*prefix, edge[1])))
        ends = []
        for side, name in zip(("source", "target"), edge):
            path = _find(graph, name)
            if path is None:
                raise NIRGraphError(
                    f"edge {written[0]!r} -> {written[1]!r}: {side} {dotted((*prefix, name))!r} is not "
                    f"a node of the graph (nodes: {', '.join(dotted((*prefix, n)) for n in names)}); "
                    "fix the name or remove the edge"
                )
            ends.append([(*prefix, *leaf) for leaf in _endpoints(graph, path, written, side)])
        for source in ends[0]:
            for target in ends[1]:
                yield _Connection(source, target, written)
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            yield from _connections(node, (*prefix, name))


def declared_shape(types: object, key: str) -> tuple[int, ...] | None:
    """The shape a node declares in its ``input_type``/``output_type`` dict, or None when it declares none."""
    if not isinstance(types, dict) or len(types) != 1:
        return None
    value = types.get(key, next(iter(types.values())))
    if value is None:
        return None
    shape = np.asarray(value).reshape(-1)
    if shape.size == 0:
        return None
    return tuple(int(size) for size in shape)


def shapes_agree(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    """Equal once axes of length 1 are dropped (``(1,)`` agrees with ``(1, 1, 1)``)."""
    return tuple(s for s in first if s != 1) == tuple(s for s in second if s != 1)


def _check_shapes(connection: _Connection, leaves: dict[Path, nir.NIRNode]) -> None:
    produced = declared_shape(getattr(leaves[connection.source], "output_type", None), "output")
    taken = declared_shape(getattr(leaves[connection.target], "input_type", None), "input")
    if produced is None or taken is None or shapes_agree(produced, taken):
        return
    source, target = dotted(connection.source), dotted(connection.target)
    raise NIRGraphError(
        f"edge {connection.edge[0]!r} -> {connection.edge[1]!r}: {source!r} outputs shape {produced} but "
        f"{target!r} takes shape {taken}; fix the parameter shapes of one of them (or add a Flatten between)"
    )


def _check_cycles(connections: list[_Connection], leaves: dict[Path, nir.NIRNode]) -> None:
    """Depth-first search for a cycle among the stateless nodes (neurons cut every loop through them)."""
    stateless = {path for path, node in leaves.items() if not isinstance(node, NEURON_TYPES)}
    successors: dict[Path, list[Path]] = {path: [] for path in stateless}
    for connection in connections:
        if connection.source in stateless and connection.target in stateless:
            successors[connection.source].append(connection.target)
    state: dict[Path, int] = {}  # 1: on the current search path, 2: finished
    for start in sorted(stateless):
        if state.get(start):
            continue
        trail = [start]
        stack = [iter(successors[start])]
        state[start] = 1
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(following) == 1:
                loop = [*trail[trail.index(following) :], following]
                raise NIRGraphError(
                    f"cycle {' -> '.join(dotted(p) for p in loop)} passes through no neuron node; a loop "
                    "must go through a neuron (LIF, CubaLIF, IF, LI, CubaLI, I), whose state delays it by "
                    "one step: add a neuron to the loop or remove one of its edges"
                )
            elif not state.get(following):
                state[following] = 1
                trail.append(following)
                stack.append(iter(successors[following]))
