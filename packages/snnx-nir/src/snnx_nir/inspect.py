"""A text report of a NIR graph: nodes with shapes and parameter summaries, edges, metadata."""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snnx_nir.validation import declared_shape

_NOT_PARAMETERS = frozenset({"input_type", "output_type", "metadata", "nodes", "edges"})
INDENT = "  "


def describe_graph(graph: nir.NIRGraph) -> list[str]:
    """Lines describing ``graph``, recursing into subgraphs (indented under their node)."""
    lines = [f"NIR graph: {len(graph.nodes)} nodes, {len(graph.edges)} edges"]
    lines.extend(_describe(graph, depth=0))
    return lines


def _describe(graph: nir.NIRGraph, depth: int) -> list[str]:
    pad = INDENT * depth
    lines = [f"{pad}metadata: {_metadata(graph.metadata)}", f"{pad}nodes:"]
    for name, node in graph.nodes.items():
        lines.append(f"{pad}{INDENT}{name}: {type(node).__name__}{_shapes(node)}")
        if isinstance(node, nir.NIRGraph):
            lines.extend(_describe(node, depth + 2))
            continue
        for field, value in vars(node).items():
            if field not in _NOT_PARAMETERS:
                lines.append(f"{pad}{INDENT * 2}{field}: {summarize(value)}")
        if getattr(node, "metadata", None):
            lines.append(f"{pad}{INDENT * 2}metadata: {_metadata(node.metadata)}")
    lines.append(f"{pad}edges:")
    lines.extend(f"{pad}{INDENT}{source} -> {target}" for source, target in graph.edges)
    if not graph.edges:
        lines.append(f"{pad}{INDENT}(none)")
    return lines


def _shapes(node: nir.NIRNode) -> str:
    if isinstance(node, nir.NIRGraph):
        return f" (subgraph: {len(node.nodes)} nodes, {len(node.edges)} edges)"
    shapes = []
    for label, types, key in (("in", node.input_type, "input"), ("out", node.output_type, "output")):
        shape = declared_shape(types, key)
        shapes.append(f"{label} {shape if shape is not None else '?'}")
    return f"  [{', '.join(shapes)}]"


def summarize(value: Any) -> str:
    """Shape and a short value summary: the value of a scalar, else ``all = v`` or ``min .. max``."""
    if value is None or isinstance(value, str):
        return repr(value)
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        return repr(value)
    if array.size == 0:
        return f"shape {array.shape}, empty"
    if array.size == 1:
        text = f"{array.reshape(-1)[0]:.6g}"
        return text if array.ndim == 0 else f"shape {array.shape}, {text}"
    low, high = array.min(), array.max()
    if low == high:
        return f"shape {array.shape}, all {low:.6g}"
    return f"shape {array.shape}, min {low:.6g}, max {high:.6g}"


def _metadata(metadata: Any) -> str:
    if not metadata:
        return "(none)"
    return ", ".join(f"{key} = {_plain(value)}" for key, value in metadata.items())


def _plain(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf8", errors="replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return f"{value.reshape(-1)[0]}"
    return f"{value}"
