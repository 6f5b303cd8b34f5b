"""Reading NIR files safely: every failure becomes a :class:`~snnx_nir.errors.NIRError` naming the file.

A NIR file is HDF5 holding arrays and strings only. Node types are checked against NIR's list before
nir builds any node, and nothing stored in the file is executed or unpickled.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import nir

from snnx_nir.errors import NIRError, NIRFileError, NIRGraphError
from snnx_nir.validation import NODE_TYPE_NAMES, validate_graph

__all__ = ["read_graph", "validate_graph"]


def read_graph(source: str | os.PathLike[str] | nir.NIRGraph, *, type_check: bool = False) -> nir.NIRGraph:
    """Read a NIR file (or take a ``nir.NIRGraph``), validate it and return the graph.

    ``type_check=True`` also runs nir's own type inference and check (which may add Input/Output
    nodes); it is off by default because files from some tools (Rockpool) do not pass it.

    Raises ``NIRFileError`` when the file cannot be read as NIR and ``NIRGraphError`` when the graph
    in it is inconsistent (see :func:`validate_graph`).
    """
    if isinstance(source, nir.NIRGraph):
        validate_graph(source)
        return source
    if isinstance(source, nir.NIRNode):
        raise NIRGraphError(
            f"got a single nir.{type(source).__name__} node, not a graph; wrap it with nir.NIRGraph.from_list"
        )
    path = Path(os.fspath(source))
    _check_stored_structure(path)
    graph = _read(path)
    try:
        if type_check:
            _type_check(graph)
        validate_graph(graph)
    except NIRGraphError as error:
        raise NIRGraphError(f"{path}: {error}") from error
    return graph


def _check_stored_structure(path: Path) -> None:
    """Open the HDF5 file and check its node tree (types known) without building any node."""
    if not path.exists():
        raise NIRFileError(f"{path}: no such file")
    if path.is_dir():
        raise NIRFileError(f"{path} is a directory; give the path of a .nir file")
    try:
        with h5py.File(path, "r") as store:
            if not isinstance(store.get("node"), h5py.Group):
                raise NIRFileError(
                    f"{path} is an HDF5 file but not a NIR file: it has no 'node' group "
                    f"(top-level entries: {', '.join(sorted(store.keys())) or 'none'})"
                )
            _check_stored_node(store["node"], path, ())
    except OSError as error:
        raise NIRFileError(
            f"cannot read {path} as a NIR file: it is not an HDF5 file, or it is truncated or corrupted "
            f"({error}); write it again with nir.write"
        ) from error


def _check_stored_node(group: h5py.Group, path: Path, names: tuple[str, ...]) -> None:
    where = f"node {'.'.join(names)!r}" if names else "the top-level node"
    stored = group.get("type")
    if not isinstance(stored, h5py.Dataset):
        raise NIRFileError(f"{path}: {where} has no 'type' entry; the file is not a valid NIR file")
    kind = stored[()]
    kind = kind.decode("utf8", errors="replace") if isinstance(kind, bytes) else str(kind)
    if kind not in NODE_TYPE_NAMES:
        raise NIRGraphError(
            f"{path}: {where} has unknown NIR type {kind!r}; NIR node types are {', '.join(NODE_TYPE_NAMES)}"
        )
    if kind == "NIRGraph":
        nodes = group.get("nodes")
        if not isinstance(nodes, h5py.Group) or not isinstance(group.get("edges"), h5py.Dataset):
            raise NIRFileError(f"{path}: graph {where} lacks its 'nodes' or 'edges' entry")
        for name, child in nodes.items():
            if not isinstance(child, h5py.Group):
                raise NIRFileError(f"{path}: node {'.'.join((*names, name))!r} is not an HDF5 group")
            _check_stored_node(child, path, (*names, name))


def _read(path: Path) -> nir.NIRGraph:
    try:
        graph = nir.read(path, type_check=False)
    except NIRError:
        raise
    except ValueError as error:  # nir's own consistency checks (of subgraphs) raise ValueError
        raise NIRGraphError(f"{path}: {error}") from error
    except Exception as error:  # any other failure means fields are missing or malformed
        raise NIRFileError(
            f"{path}: malformed NIR file ({type(error).__name__}: {error}); write it again with nir.write"
        ) from error
    if not isinstance(graph, nir.NIRGraph):
        raise NIRFileError(f"{path} holds a single nir.{type(graph).__name__} node, not a graph")
    return graph


def _type_check(graph: nir.NIRGraph) -> None:
    try:
        graph.infer_types()
        graph.check_types()
    except (ValueError, NotImplementedError, AssertionError) as error:
        raise NIRGraphError(
            f"nir's type check failed: {error}; read with type_check=False to rely on snnx's checks only"
        ) from error
