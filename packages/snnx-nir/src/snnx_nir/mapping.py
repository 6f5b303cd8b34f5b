r"""How snnx neurons and layers correspond to NIR nodes, both ways (NumPy only, no torch).

NIR describes neurons in continuous time; snnx steps them with forward Euler at a step
:math:`\Delta t` (``dt``, seconds). For NIR's LIF node
:math:`\tau \dot v = (v_\text{leak} - v) + r I` one Euler step is

.. math::

    v[t] = \Bigl(1 - \frac{\Delta t}{\tau}\Bigr) v[t-1] + \frac{r \Delta t}{\tau} I[t]
           + \frac{\Delta t}{\tau} v_\text{leak}

so the decay is :math:`\beta = 1 - \Delta t/\tau` and the input scale :math:`k = r\Delta t/\tau`.

Export (snnx -> NIR):

* ``Leaky(beta, threshold)`` -> ``LIF(tau = dt/(1-beta), r = tau/dt, v_leak = 0, v_threshold, v_reset = 0)``
  (so :math:`k = 1`); ``beta == 1`` -> ``IF(r = 1, v_threshold, v_reset = 0)``; a non-resetting
  ``output=True`` neuron -> ``LI(tau, r, v_leak = 0)`` (the node's output is its membrane);
* ``Lapicque(R, C, time_step)`` -> ``LIF(tau = R C, r = R)`` stepped at ``dt = time_step``:
  :math:`\beta = 1 - \Delta t/RC`, input scale :math:`\Delta t / C`;
* ``Synaptic(alpha, beta)`` -> ``CubaLIF(tau_syn = dt/(1-alpha), tau_mem = dt/(1-beta),
  r = tau_mem/dt, w_in = tau_syn/dt)``, or ``CubaLI`` when it does not reset and has ``output=True``;
* ``RLeaky`` / ``RSynaptic`` -> a subgraph ``input -> lif -> output`` with ``lif -> w_rec -> lif``.

Import (NIR -> snnx) inverts these: a ``LIF`` becomes ``Leaky(beta = 1 - dt/tau)`` with its input
multiplied by :math:`k` when :math:`k \ne 1` (relative tolerance :data:`UNIT_TOLERANCE`), or the
``Lapicque`` it was written from (node metadata ``snnx_neuron``); a ``CubaLIF`` becomes ``Synaptic`` with
:math:`\alpha = 1 - \Delta t/\tau_\text{syn}`, :math:`\beta = 1 - \Delta t/\tau_\text{mem}` and the
input multiplied by :math:`k = (w_\text{in} \Delta t/\tau_\text{syn})(r \Delta t/\tau_\text{mem})`.
A constant drive :math:`v_\text{leak} \ne 0` of a LIF/LI becomes a bias
:math:`(\Delta t/\tau) v_\text{leak}` added to the neuron's (scaled) input every step.

Values are written as float64 arrays with one entry per neuron, so ``beta -> tau -> beta`` gives
back the same float32 number; uniform arrays are imported as scalars.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nir
import numpy as np

from snnx_nir.errors import NIRMappingError

DEFAULT_DT = 1e-4
"""The step (seconds) used when neither the caller nor the graph's metadata gives one."""
UNIT_TOLERANCE = 1e-6
"""Relative tolerance under which an input scale counts as exactly one."""
META_RESET = "snnx_reset_mechanism"
META_RESET_DELAY = "snnx_reset_delay"
META_DT = "snnx_dt"
META_NEURON = "snnx_neuron"
RESET_MECHANISMS = ("subtract", "zero", "none")

UNMAPPABLE = {
    "SLSTM": "an LSTM cell has no NIR node",
    "SConv2dLSTM": "a convolutional LSTM cell has no NIR node",
    "StateLeaky": "its whole-sequence (parallel) state has no NIR node; export an equivalent Leaky",
    "LinearLeaky": "its whole-sequence (parallel) state has no NIR node; export Linear + Leaky",
    "LeakyParallel": "it is an RNN over the whole sequence, which NIR cannot describe",
    "AssociativeLeaky": "its associative memory state has no NIR node",
    "Alpha": "NIR has no alpha-kernel (two-current) neuron",
    "DeltaLeaky": "NIR has no delta-modulated neuron",
    "BatchNormTT1d": "a per-time-step batch norm has no NIR node; fold it into the weights first",
    "BatchNormTT2d": "a per-time-step batch norm has no NIR node; fold it into the weights first",
    "GradedSpikes": "learnable per-neuron spike scales have no NIR node",
}
"""snnx neurons with no NIR equivalent, and why."""


def as_array(value: Any) -> np.ndarray:
    """A parameter (number, array or tensor already converted by the caller) as a float64 array."""
    return np.asarray(value, dtype=np.float64)


def per_neuron(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` broadcast to one float64 entry per neuron of a layer shaped ``shape``."""
    return np.broadcast_to(as_array(value), shape).astype(np.float64)


def collapse(value: np.ndarray) -> float | np.ndarray:
    """A uniform array as one Python float (how snnx stores scalar parameters), else a float32 array."""
    array = np.asarray(value, dtype=np.float64)
    flat = array.reshape(-1)
    if flat.size and np.all(flat == flat[0]):
        return float(flat[0])
    return array.astype(np.float32)


def is_one(value: np.ndarray) -> bool:
    """Whether every entry is 1 within :data:`UNIT_TOLERANCE` (relative)."""
    return bool(np.allclose(value, 1.0, rtol=UNIT_TOLERANCE, atol=0.0))


# --------------------------------------------------------------------------- configuration


def snnx_metadata(reset_mechanism: str, reset_delay: bool | None, dt: float) -> dict[str, Any]:
    """The node metadata snnx writes so a round trip keeps what NIR cannot say."""
    meta: dict[str, Any] = {META_RESET: reset_mechanism, META_DT: float(dt)}
    if reset_delay is not None:
        meta[META_RESET_DELAY] = bool(reset_delay)
    return meta


def resolve_dt(dt: float | None, node: nir.NIRNode | None, graph_metadata: Mapping[str, Any]) -> float:
    """The step for a node: the caller's ``dt``, else node then graph metadata ``snnx_dt``, else 1e-4."""
    if dt is not None:
        value = float(dt)
    elif node is not None and META_DT in (node.metadata or {}):
        value = float(node.metadata[META_DT])
    elif META_DT in (graph_metadata or {}):
        value = float(graph_metadata[META_DT])
    else:
        value = DEFAULT_DT
    if not np.isfinite(value) or value <= 0:
        raise NIRMappingError(
            f"dt must be a positive number of seconds, got {value!r}; pass dt=1e-4 or similar."
        )
    return value


def resolve_reset(reset_mechanism: str | None, node: nir.NIRNode, name: str) -> tuple[str, bool]:
    """``(reset_mechanism, reset_delay)``: the caller's choice, else node metadata, else ``'zero'``.

    NIR neurons reset to ``v_reset`` in the step they fire, hence ``reset_delay=False`` unless
    the node's metadata says otherwise.
    """
    meta = node.metadata or {}
    mechanism = reset_mechanism or meta.get(META_RESET) or "zero"
    if isinstance(mechanism, bytes):
        mechanism = mechanism.decode()
    if mechanism not in RESET_MECHANISMS:
        raise NIRMappingError(
            f"node {name!r}: reset_mechanism {mechanism!r} is not one of {RESET_MECHANISMS}; "
            "pass reset_mechanism='zero', 'subtract' or 'none'."
        )
    return str(mechanism), bool(meta.get(META_RESET_DELAY, False))


def check_exportable(name: str, kind: str, config: Mapping[str, Any], graded_spikes_factor: Any) -> None:
    """Refuse neuron options that NIR cannot express, naming the module and what to do."""
    if kind in UNMAPPABLE:
        raise NIRMappingError(f"module {name!r} ({kind}) cannot be exported to NIR: {UNMAPPABLE[kind]}.")
    if config.get("inhibition"):
        raise NIRMappingError(
            f"module {name!r} ({kind}) uses inhibition=True (winner-take-all), which NIR cannot describe; "
            "export it without inhibition."
        )
    if config.get("state_quant"):
        raise NIRMappingError(
            f"module {name!r} ({kind}) quantises its state (state_quant), which NIR cannot describe; "
            "export it with state_quant=False."
        )
    if graded_spikes_factor is not None and not np.all(as_array(graded_spikes_factor) == 1.0):
        raise NIRMappingError(
            f"module {name!r} ({kind}) has graded_spikes_factor != 1, which NIR neurons do not have; "
            "fold the factor into the next layer's weights and set it to 1 before exporting."
        )


# --------------------------------------------------------------------------- neurons: snnx -> NIR


def leaky_to_nir(
    beta: Any,
    threshold: Any,
    shape: tuple[int, ...],
    dt: float,
    reset_mechanism: str = "subtract",
    reset_delay: bool = True,
    output: bool = False,
) -> nir.NIRNode:
    r"""``Leaky`` -> ``LIF(tau = dt/(1-beta), r = tau/dt)``, ``IF`` when :math:`\beta = 1`, ``LI``
    for a non-resetting ``output=True`` neuron (whose output is the membrane)."""
    beta = per_neuron(beta, shape)
    meta = snnx_metadata(reset_mechanism, reset_delay, dt)
    if reset_mechanism == "none" and output:
        tau = dt / (1.0 - beta)
        return nir.LI(tau=tau, r=tau / dt, v_leak=np.zeros(shape), metadata=meta)
    threshold = per_neuron(threshold, shape)
    if np.all(beta == 1.0):
        return nir.IF(r=np.ones(shape), v_threshold=threshold, v_reset=np.zeros(shape), metadata=meta)
    if np.any(beta == 1.0):
        raise NIRMappingError(
            "a Leaky layer with beta == 1 for some neurons but not all has no single NIR node "
            "(IF for beta == 1, LIF otherwise); use beta slightly below 1 or split the layer."
        )
    tau = dt / (1.0 - beta)
    return _lif(tau, tau / dt, threshold, meta)


def lapicque_to_nir(
    R: Any,  # noqa: N803 - snnTorch's names
    C: Any,  # noqa: N803
    time_step: float,
    threshold: Any,
    shape: tuple[int, ...],
    reset_mechanism: str = "subtract",
) -> nir.LIF:
    r"""``Lapicque(R, C, time_step)`` -> ``LIF(tau = R C, r = R)``; its own ``time_step`` is the node's dt.

    Lapicque's update :math:`U[t] = (\Delta t/C) X[t] + (1 - \Delta t/RC) U[t-1]` is NIR's LIF
    stepped at :math:`\Delta t` = ``time_step``, which is written as the node's ``snnx_dt``.
    """
    r = per_neuron(R, shape)
    meta = {**snnx_metadata(reset_mechanism, None, float(time_step)), META_NEURON: "Lapicque"}
    return _lif(r * per_neuron(C, shape), r, per_neuron(threshold, shape), meta)


def _lif(tau: np.ndarray, r: np.ndarray, threshold: np.ndarray, metadata: dict[str, Any]) -> nir.LIF:
    """A ``LIF`` node without leak potential that resets to zero (all snnx writes)."""
    zeros = np.zeros(tau.shape)
    return nir.LIF(tau=tau, r=r, v_leak=zeros, v_threshold=threshold, v_reset=zeros, metadata=metadata)


def synaptic_to_nir(
    alpha: Any,
    beta: Any,
    threshold: Any,
    shape: tuple[int, ...],
    dt: float,
    reset_mechanism: str = "subtract",
    reset_delay: bool = True,
    output: bool = False,
) -> nir.NIRNode:
    r"""``Synaptic(alpha, beta)`` -> ``CubaLIF(tau_syn = dt/(1-alpha), tau_mem = dt/(1-beta),
    r = tau_mem/dt, w_in = tau_syn/dt)``, ``CubaLI`` for a non-resetting ``output=True`` neuron.

    With these values both Euler input scales :math:`w_\text{in}\Delta t/\tau_\text{syn}` and
    :math:`r\Delta t/\tau_\text{mem}` are one: :math:`I[t] = \alpha I[t-1] + X[t]`,
    :math:`U[t] = \beta U[t-1] + I[t]`.
    """
    alpha, beta = per_neuron(alpha, shape), per_neuron(beta, shape)
    if np.any(alpha == 1.0) or np.any(beta == 1.0):
        raise NIRMappingError(
            "a Synaptic neuron with alpha == 1 or beta == 1 has an infinite NIR time constant; "
            "use values below 1 before exporting."
        )
    tau_syn, tau_mem = dt / (1.0 - alpha), dt / (1.0 - beta)
    common = {
        "tau_syn": tau_syn,
        "tau_mem": tau_mem,
        "r": tau_mem / dt,
        "w_in": tau_syn / dt,
        "v_leak": np.zeros(shape),
        "metadata": snnx_metadata(reset_mechanism, reset_delay, dt),
    }
    if reset_mechanism == "none" and output:
        return nir.CubaLI(**common)
    return nir.CubaLIF(**common, v_threshold=per_neuron(threshold, shape), v_reset=np.zeros(shape))


def recurrent_to_nir(
    neuron: nir.NIRNode,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    V: Any,  # noqa: N803 - snnTorch's name for the one-to-one weight
    size: int,
) -> nir.NIRGraph:
    """An ``RLeaky``/``RSynaptic`` as the subgraph ``input -> lif -> output``, ``lif -> w_rec -> lif``.

    ``w_rec`` is ``Affine(weight, bias)`` for an all-to-all layer with a bias, ``Linear(weight)``
    without one, and ``Linear(diag(V))`` for one-to-one recurrence.
    """
    if weight is None:
        w_rec: nir.NIRNode = nir.Linear(weight=np.diag(per_neuron(V, (size,))))
    elif bias is None:
        w_rec = nir.Linear(weight=as_array(weight))
    else:
        w_rec = nir.Affine(weight=as_array(weight), bias=as_array(bias))
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([size])}),
            "lif": neuron,
            "w_rec": w_rec,
            "output": nir.Output(output_type={"output": np.array([size])}),
        },
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
    )


# --------------------------------------------------------------------------- neurons: NIR -> snnx


@dataclass
class NeuronPlan:
    """An snnx neuron to build: class name, constructor arguments and what it passes on.

    ``readout`` is ``'spikes'`` (the usual) or ``'mem'`` (LI / CubaLI nodes, built with
    ``output=True``). ``input_scale`` multiplies and ``bias`` is added to the summed input first.
    ``recurrent`` holds ``weight``/``bias`` (all-to-all) or ``V`` (one-to-one) for RLeaky/RSynaptic.
    """

    kind: str
    args: dict[str, Any]
    readout: str = "spikes"
    input_scale: float | np.ndarray | None = None
    bias: float | np.ndarray | None = None
    recurrent: dict[str, Any] = field(default_factory=dict)


def _check_no_reset_offset(node: nir.NIRNode, name: str) -> None:
    v_reset = getattr(node, "v_reset", None)
    if v_reset is not None and np.any(as_array(v_reset) != 0.0):
        raise NIRMappingError(
            f"node {name!r} ({type(node).__name__}) resets to v_reset != 0; snnx neurons reset to zero or "
            "by subtraction. Shift v_threshold and v_leak by -v_reset and set v_reset = 0 before importing."
        )


def _optional(scale: np.ndarray) -> float | np.ndarray | None:
    return None if is_one(scale) else collapse(scale)


def _leak_drive(node: nir.NIRNode, dt: float) -> float | np.ndarray | None:
    r"""The per-step drive :math:`(\Delta t/\tau) v_\text{leak}` of a LIF/LI node (``None`` when zero)."""
    v_leak = as_array(node.v_leak)
    if np.all(v_leak == 0.0):
        return None
    return collapse(v_leak * dt / as_array(node.tau))


def lif_from_nir(node: nir.LIF, name: str, dt: float, reset: str, reset_delay: bool) -> NeuronPlan:
    r"""``LIF`` -> ``Leaky(beta = 1 - dt/tau)`` with its input multiplied by :math:`k = r\Delta t/\tau`
    (when not one) plus the drive :math:`(\Delta t/\tau) v_\text{leak}`.

    A node snnx wrote from a ``Lapicque`` (metadata ``snnx_neuron``) comes back as the same
    ``Lapicque(R = r, C = tau/r, time_step = dt)``. Other files get ``Leaky``, because NIR resets in
    the step a neuron fires and ``Lapicque`` always resets one step later.
    """
    _check_no_reset_offset(node, name)
    tau, r = as_array(node.tau), as_array(node.r)
    threshold = collapse(node.v_threshold)
    if node.metadata.get(META_NEURON) == "Lapicque":
        v_leak = as_array(node.v_leak)
        bias = None if np.all(v_leak == 0.0) else collapse(v_leak / r)  # Lapicque scales it by dt/C
        args = {"R": collapse(r), "C": collapse(tau / r), "time_step": float(dt), "threshold": threshold}
        return NeuronPlan("Lapicque", {**args, "reset_mechanism": reset}, bias=bias)
    args = {"beta": collapse(1.0 - dt / tau), "threshold": threshold, "reset_mechanism": reset}
    return NeuronPlan(
        "Leaky",
        {**args, "reset_delay": reset_delay},
        input_scale=_optional(r * dt / tau),
        bias=_leak_drive(node, dt),
    )


def if_from_nir(node: nir.IF, name: str, reset: str, reset_delay: bool) -> NeuronPlan:
    """``IF(r, v_threshold)`` -> ``Leaky(beta = 1)``, its input multiplied by ``r`` (one unit per step)."""
    _check_no_reset_offset(node, name)
    args = {"beta": 1.0, "threshold": collapse(node.v_threshold), "reset_mechanism": reset}
    return NeuronPlan("Leaky", {**args, "reset_delay": reset_delay}, input_scale=_optional(as_array(node.r)))


def li_from_nir(node: nir.LI, dt: float) -> NeuronPlan:
    r"""``LI(tau, r, v_leak)`` -> a non-resetting ``Leaky(beta = 1 - dt/tau, output=True)`` read out as its
    membrane, the input multiplied by :math:`r\Delta t/\tau` (when not one) plus
    :math:`(\Delta t/\tau) v_\text{leak}`."""
    tau, r = as_array(node.tau), as_array(node.r)
    args = {"beta": collapse(1.0 - dt / tau), "reset_mechanism": "none", "output": True}
    return NeuronPlan("Leaky", args, "mem", input_scale=_optional(r * dt / tau), bias=_leak_drive(node, dt))


def cuba_from_nir(
    node: nir.CubaLIF | nir.CubaLI, name: str, dt: float, reset: str, reset_delay: bool
) -> NeuronPlan:
    r"""``CubaLIF`` -> ``Synaptic(alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem)`` with the input
    multiplied by :math:`(w_\text{in}\Delta t/\tau_\text{syn})(r\Delta t/\tau_\text{mem})` when that is
    not one; ``CubaLI`` -> the same without reset, ``output=True``, read out as its membrane."""
    if np.any(as_array(node.v_leak) != 0.0):
        raise NIRMappingError(
            f"node {name!r} ({type(node).__name__}) has v_leak != 0: a constant drive of the membrane "
            "(not of the synaptic current) has no snnx Synaptic equivalent; set v_leak = 0."
        )
    _check_no_reset_offset(node, name)
    tau_syn, tau_mem = as_array(node.tau_syn), as_array(node.tau_mem)
    scale = (as_array(node.w_in) * dt / tau_syn) * (as_array(node.r) * dt / tau_mem)
    args: dict[str, Any] = {"alpha": collapse(1.0 - dt / tau_syn), "beta": collapse(1.0 - dt / tau_mem)}
    if isinstance(node, nir.CubaLI):
        return NeuronPlan(
            "Synaptic", {**args, "reset_mechanism": "none", "output": True}, "mem", _optional(scale)
        )
    args.update(threshold=collapse(node.v_threshold), reset_mechanism=reset, reset_delay=reset_delay)
    return NeuronPlan("Synaptic", args, input_scale=_optional(scale))


def neuron_from_nir(node: nir.NIRNode, name: str, dt: float, reset_mechanism: str | None) -> NeuronPlan:
    """The snnx neuron for a NIR neuron node (``LIF``, ``IF``, ``LI``, ``CubaLIF``, ``CubaLI``)."""
    reset, reset_delay = resolve_reset(reset_mechanism, node, name)
    if isinstance(node, nir.LIF):
        return lif_from_nir(node, name, dt, reset, reset_delay)
    if isinstance(node, nir.IF):
        return if_from_nir(node, name, reset, reset_delay)
    if isinstance(node, nir.LI):
        return li_from_nir(node, dt)
    if isinstance(node, (nir.CubaLIF, nir.CubaLI)):
        return cuba_from_nir(node, name, dt, reset, reset_delay)
    raise NIRMappingError(
        f"node {name!r} ({type(node).__name__}) is not a neuron snnx can import "
        "(supported: LIF, IF, LI, CubaLIF, CubaLI)."
    )


def recurrent_from_nir(plan: NeuronPlan, w_rec: nir.NIRNode, name: str) -> NeuronPlan:
    """Make ``plan`` (Leaky or Synaptic) the recurrent RLeaky/RSynaptic fed back through ``w_rec``.

    A bias-free diagonal ``Linear`` becomes one-to-one recurrence ``V = diag(W)``; any other
    ``Linear``/``Affine`` an all-to-all layer (a ``Linear`` with zero bias). A scaled input
    (``input_scale`` k) scales the fed-back current too, so the weights are multiplied by k.
    """
    if plan.kind not in ("Leaky", "Synaptic") or plan.readout != "spikes":
        raise NIRMappingError(
            f"node {name!r}: only a spiking LIF or CubaLIF can be recurrent in snnx (got {plan.kind} "
            f"read out as {plan.readout}); the loop through it has no RLeaky/RSynaptic equivalent."
        )
    weight = as_array(w_rec.weight)
    size = weight.shape[0]
    if weight.shape != (size, size):
        raise NIRMappingError(
            f"recurrent weights of {name!r} have shape {weight.shape}; they must be square."
        )
    scale = np.ones(size) if plan.input_scale is None else per_neuron(plan.input_scale, (size,))
    kind = "R" + plan.kind
    bias = None if isinstance(w_rec, nir.Linear) else as_array(w_rec.bias)
    common = {"input_scale": plan.input_scale, "bias": plan.bias}
    if bias is None and np.array_equal(weight, np.diag(np.diag(weight))):
        v = (np.diag(weight) * scale).astype(np.float32)
        return NeuronPlan(kind, {**plan.args, "all_to_all": False, "V": v}, recurrent={"V": v}, **common)
    recurrent = {
        "weight": (weight * scale[:, None]).astype(np.float32),
        "bias": (np.zeros(size) if bias is None else bias * scale).astype(np.float32),
    }
    args = {**plan.args, "all_to_all": True, "linear_features": int(size)}
    return NeuronPlan(kind, args, recurrent=recurrent, **common)
