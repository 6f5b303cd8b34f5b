"""Run a NIR graph on snnx's NumPy reference backend (no torch): the same plan as the torch import.

Neurons are the reference backend's realisations of the core specs; layers are written here in
NumPy: ``linear`` :math:`y = x W^T + b`, ``conv1d``/``conv2d`` (cross-correlation with stride,
padding, dilation and groups), ``avgpool2d`` (mean over each window, zero padding counted),
``flatten``, ``scale`` :math:`y = s x` and ``threshold`` :math:`y = H(x - \\theta)`.
"""

from __future__ import annotations

import os
from typing import Any

import nir
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from snnx.numpy_backend.realise import realise
from snnx.specs.lapicque import LapicqueSpec
from snnx.specs.leaky import LeakySpec
from snnx.specs.recurrent import RLeakySpec, RSynapticSpec
from snnx.specs.synaptic import SynapticSpec
from snnx_nir.mapping import NeuronPlan
from snnx_nir.plan import Step, plan_graph
from snnx_nir.reading import read_graph

SPECS = {
    "Leaky": LeakySpec,
    "Lapicque": LapicqueSpec,
    "Synaptic": SynapticSpec,
    "RLeaky": RLeakySpec,
    "RSynaptic": RSynapticSpec,
}


class NumpyNeuronStep:
    """A reference-backend neuron with the node's input scale and bias, read out as spikes or membrane."""

    def __init__(self, plan: NeuronPlan) -> None:
        args = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) else v) for k, v in plan.args.items()}
        self.neuron = realise(SPECS[plan.kind])(**args, init_hidden=True)
        for name, value in plan.recurrent.items():
            if name != "V":
                self.neuron.params[f"recurrent.{name}"] = np.asarray(value, dtype=np.float32)
        self.plan = plan

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.plan.input_scale is not None:
            x = x * np.asarray(self.plan.input_scale, dtype=np.float32)
        if self.plan.bias is not None:
            x = x + np.asarray(self.plan.bias, dtype=np.float32)
        out = self.neuron(x)
        if self.plan.readout == "mem":
            return out[1]
        return out[0] if isinstance(out, tuple) else out


def _windows(
    x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> np.ndarray:
    """``x [B, C, *spatial]`` as windows ``[B, C, *out, *kernel]`` (dilated, strided)."""
    dims = len(kernel)
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    view = sliding_window_view(x, span, axis=tuple(range(2, 2 + dims)))
    view = view[(slice(None), slice(None), *(slice(None, None, s) for s in stride))]
    return view[(Ellipsis, *(slice(None, None, d) for d in dilation))]


def _pad(x: np.ndarray, padding: tuple[int, ...]) -> np.ndarray:
    return np.pad(x, [(0, 0), (0, 0), *((p, p) for p in padding)])


def conv(x: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """Cross-correlation as torch's ``conv1d``/``conv2d`` compute it."""
    weight, groups = attrs["weight"].astype(np.float32), attrs["groups"]
    kernel = weight.shape[2:]
    padding = attrs["padding"]
    if isinstance(padding, str):
        padding = (
            tuple(((k - 1) * d) // 2 for k, d in zip(kernel, attrs["dilation"]))
            if padding == "same"
            else (0,) * len(kernel)
        )
    windows = _windows(_pad(x, padding), kernel, attrs["stride"], attrs["dilation"])
    per_group_in, per_group_out = weight.shape[1], weight.shape[0] // groups
    outs = []
    letters = "xyz"[: len(kernel)]
    for g in range(groups):
        w = weight[g * per_group_out : (g + 1) * per_group_out]
        win = windows[:, g * per_group_in : (g + 1) * per_group_in]
        outs.append(np.einsum(f"bc{letters}{letters.upper()},oc{letters.upper()}->bo{letters}", win, w))
    out = np.concatenate(outs, axis=1)
    bias = attrs["bias"].astype(np.float32).reshape(1, -1, *([1] * len(kernel)))
    return (out + bias).astype(np.float32)


def avgpool2d(x: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """Mean over each ``kernel_size`` window (zero padding counted, as torch's default)."""
    windows = _windows(_pad(x, attrs["padding"]), attrs["kernel_size"], attrs["stride"], (1, 1))
    out = windows.mean(axis=(-2, -1), dtype=np.float32)
    return out * np.float32(attrs["scale"]) if attrs["scale"] is not None else out


def layer_for(step: Step):
    """A NumPy function (or neuron) computing one plan step."""
    attrs = step.attrs
    if step.op == "neuron":
        return NumpyNeuronStep(attrs["neuron"])
    if step.op == "linear":
        weight = attrs["weight"].astype(np.float32)
        bias = None if attrs["bias"] is None else attrs["bias"].astype(np.float32)
        return lambda x: x @ weight.T + bias if bias is not None else x @ weight.T
    if step.op in ("conv1d", "conv2d"):
        return lambda x: conv(x, attrs)
    if step.op == "avgpool2d":
        return lambda x: avgpool2d(x, attrs)
    if step.op == "flatten":
        start, end = attrs["start_dim"], attrs["end_dim"]
        return lambda x: x.reshape(*x.shape[:start], -1, *x.shape[end % x.ndim + 1 :])
    if step.op == "scale":
        return lambda x: x * attrs["scale"].astype(np.float32)
    if step.op == "threshold":
        return lambda x: (x > attrs["threshold"]).astype(x.dtype)
    raise AssertionError(step.op)  # pragma: no cover - plan_graph only makes the ops above


def _summed(values: dict[str, np.ndarray], sources: tuple[str, ...]) -> np.ndarray:
    """The inputs arriving over several edges, added in edge order (as the torch import does)."""
    total = values[sources[0]]
    for source in sources[1:]:
        total = total + values[source]
    return total


def run_graph(
    graph: nir.NIRGraph | str | os.PathLike[str],
    x: np.ndarray,
    dt: float | None = None,
    reset_mechanism: str | None = None,
) -> dict[str, np.ndarray]:
    """Simulate ``graph`` over ``x [T, batch, ...]`` on the NumPy reference backend.

    Returns every node's output over time ``[T, batch, ...]`` by node name (the plan's names:
    a recurrent neuron ``s.lif`` is ``s``), the graph input under the Input node's name and the
    graph output under the Output node's name. ``dt`` and ``reset_mechanism`` as for
    :func:`snnx_nir.torch_import.import_from_nir`.
    """
    plan = plan_graph(read_graph(graph), dt=dt, reset_mechanism=reset_mechanism)
    layers = {step.name: layer_for(step) for step in plan.steps}
    x = np.asarray(x, dtype=np.float32)
    records: dict[str, list[np.ndarray]] = {name: [] for name in [plan.input_name, *layers, plan.output_name]}
    for x_t in x:
        values = {plan.input_name: x_t}
        for step in plan.steps:
            values[step.name] = layers[step.name](_summed(values, step.sources))
        values[plan.output_name] = _summed(values, plan.outputs)
        for name, value in values.items():
            records[name].append(np.asarray(value))
    return {name: np.stack(seq) for name, seq in records.items()}
