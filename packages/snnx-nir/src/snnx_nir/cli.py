"""``snnx nir``: inspect a NIR file, or run it on the NumPy reference backend.

``snnx nir inspect FILE`` prints the graph (see :mod:`snnx_nir.inspect`).
``snnx nir run FILE --input x.npy`` feeds ``x`` (``[T, *shape]`` or ``[T, B, *shape]``, ``shape`` the
graph Input's) through the graph for ``T`` steps of ``dt`` seconds and reports each output.
Both exit with status 2 and a one-line message, no traceback, when the file or the input is bad.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nir
import numpy as np

from snnx.cli.commands import Command
from snnx_nir.errors import NIRError
from snnx_nir.inspect import describe_graph
from snnx_nir.reading import read_graph
from snnx_nir.validation import declared_shape

DEFAULT_DT = 1e-4
RESET_MECHANISMS = ("subtract", "zero", "none")


class CommandError(Exception):
    """A bad argument or input; printed as one line and exit status 2."""


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="nir_action", metavar="ACTION")
    inspect = actions.add_parser(
        "inspect", help="print the nodes, shapes, parameters and edges of a NIR file"
    )
    inspect.add_argument("file", help="a .nir file")
    inspect.add_argument(
        "--type-check", action="store_true", help="also run nir's own type inference and check"
    )
    run = actions.add_parser("run", help="simulate a NIR file on the NumPy reference backend")
    run.add_argument("file", help="a .nir file")
    run.add_argument("--input", required=True, help="a .npy array shaped [T, *input] or [T, B, *input]")
    run.add_argument(
        "--dt",
        type=_positive_float,
        default=None,
        help=f"time step in seconds (default: the graph's snnx_dt metadata, else {DEFAULT_DT})",
    )
    run.add_argument(
        "--output", help="save the outputs: .npy for one output node, .npz (by name) for several"
    )
    run.add_argument(
        "--reset-mechanism",
        choices=RESET_MECHANISMS,
        default=None,
        help="override the reset of every spiking neuron (default: node metadata, else 'zero')",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    actions = {"inspect": _inspect, "run": _run}
    action = actions.get(getattr(args, "nir_action", None) or "")
    if action is None:
        print("snnx nir: give an action: inspect FILE or run FILE --input x.npy", file=sys.stderr)
        return 2
    try:
        action(args)
    except (NIRError, CommandError) as error:
        print(f"snnx nir {args.nir_action}: error: {error}", file=sys.stderr)
        return 2
    return 0


def _inspect(args: argparse.Namespace) -> None:
    graph = read_graph(args.file, type_check=args.type_check)
    print(f"file: {args.file}")
    print("\n".join(describe_graph(graph)))


def _run(args: argparse.Namespace) -> None:
    graph = read_graph(args.file)
    x = _load_input(Path(args.input), graph)
    dt, dt_source = _time_step(args.dt, graph)
    output_path = _output_path(args.output, graph)
    from snnx_nir.numpy_run import run_graph

    batched = x.ndim > 1 + len(_input_shape(graph)[1])
    records = run_graph(graph, x if batched else x[:, None], dt, args.reset_mechanism)
    outputs = {
        name: records[name] if batched else records[name][:, 0]
        for name, node in graph.nodes.items()
        if isinstance(node, nir.Output)
    }
    print(f"file: {args.file}")
    print(f"input: {args.input} {tuple(x.shape)}")
    print(f"steps: {x.shape[0]}, dt: {dt:g} s ({dt_source})")
    for name, values in outputs.items():
        print(f"output {name!r}: shape {tuple(values.shape)}, {_activity(values)}")
    if output_path is not None:
        _save(output_path, outputs)
        print(f"saved: {output_path}")


def _load_input(path: Path, graph: nir.NIRGraph) -> np.ndarray:
    """Load ``--input`` and check it is ``[T, *shape]`` or ``[T, B, *shape]`` for the graph's one Input."""
    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise CommandError(f"--input {path}: no such file") from None
    except (OSError, ValueError, EOFError) as error:
        raise CommandError(f"--input {path} is not a .npy array of numbers ({error})") from None
    if not isinstance(x, np.ndarray):
        raise CommandError(f"--input {path} holds several arrays (.npz); give one array saved with np.save")
    if x.dtype.kind not in "biuf":
        raise CommandError(f"--input {path} has dtype {x.dtype}; give numbers (float, int or bool)")
    name, shape = _input_shape(graph)
    if x.ndim < 1 or x.shape[0] < 1 or (tuple(x.shape[1:]) != shape and tuple(x.shape[2:]) != shape):
        dims = ", ".join(map(str, shape))
        raise CommandError(
            f"--input {path} has shape {tuple(x.shape)} but Input node {name!r} takes {shape}: give "
            f"[T, {dims}] or [T, B, {dims}] with T >= 1 time steps"
        )
    return x.astype(np.float64) if x.dtype.kind in "biu" else x


def _input_shape(graph: nir.NIRGraph) -> tuple[str, tuple[int, ...]]:
    """Name and declared shape of the graph's one Input node."""
    inputs = {name: node for name, node in graph.nodes.items() if isinstance(node, nir.Input)}
    if len(inputs) != 1:
        raise CommandError(
            f"the graph has {len(inputs)} Input nodes ({', '.join(inputs)}); snnx nir run feeds exactly one"
        )
    (name, node), *_ = inputs.items()
    shape = declared_shape(node.input_type, "input")
    if shape is None:
        raise CommandError(f"Input node {name!r} declares no shape; cannot check --input against it")
    return name, shape


def _time_step(given: float | None, graph: nir.NIRGraph) -> tuple[float, str]:
    if given is not None:
        return given, "--dt"
    stored = graph.metadata.get("snnx_dt") if isinstance(graph.metadata, dict) else None
    if stored is not None:
        return float(np.asarray(stored).reshape(-1)[0]), "graph metadata snnx_dt"
    return DEFAULT_DT, "default; set it with --dt"


def _output_path(given: str | None, graph: nir.NIRGraph) -> Path | None:
    """Check ``--output`` before running: a writable file path with the suffix the outputs need."""
    if given is None:
        return None
    path = Path(given)
    if path.is_dir():
        raise CommandError(f"--output {path} is a directory; give a file path")
    if not path.parent.is_dir():
        raise CommandError(f"--output {path}: folder {path.parent} does not exist")
    count = sum(isinstance(node, nir.Output) for node in graph.nodes.values())
    wanted = ".npy" if count == 1 else ".npz"
    if path.suffix != wanted:
        raise CommandError(
            f"--output {path}: the graph has {count} Output node{'s' if count != 1 else ''}; "
            f"give a {wanted} path"
        )
    return path


def _activity(values: np.ndarray) -> str:
    if values.size and np.isin(values, (0, 1)).all():
        per_unit = values.reshape(values.shape[0], -1).sum(axis=0)
        return f"spikes: {int(values.sum())} in total, at most {int(per_unit.max())} per unit"
    if values.size == 0:
        return "empty"
    return f"values (not spikes): min {values.min():.6g}, max {values.max():.6g}"


def _save(path: Path, outputs: dict[str, np.ndarray]) -> None:
    if path.suffix == ".npy":
        (values,) = outputs.values()
        np.save(path, values)
    else:
        np.savez(path, **outputs)


NIR_COMMAND = Command("nir", "inspect NIR graph files or run them on the NumPy backend", configure, run)
