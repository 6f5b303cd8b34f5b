r"""``training_model`` / ``inference_model``: snnx networks compiled by poptorch, time loop inside.

poptorch compiles one call of a module into one IPU program. For a spiking network
that call must hold the whole simulation, so the wrappers here run the step loop

.. math::

    y_t = \mathrm{net}(x_t), \quad t = 0, \dots, T - 1,

inside ``forward`` and return the recordings :math:`(y_0, \dots, y_{T-1})` stacked
over time, as :func:`snnx.run` does. The hidden state is reset
(:func:`snnx.utils.reset`) at the start of every call, so each batch starts from rest
and the compiled program holds no state between host calls. The training wrapper
also returns :math:`L = \mathrm{loss\_fn}(y, \mathrm{target})` marked with
``poptorch.identity_loss`` so that PopART differentiates from it.

Before compiling, the network is checked (:func:`prepare_net`) and anything that
cannot be traced and differentiated on an IPU is refused up front with the module's
name, the reason and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any

import torch
from torch import nn

from snnx import utils
from snnx.errors import SnnxError
from snnx.specs.surrogate import Surrogate
from snnx_ipu.availability import require_poptorch
from snnx_ipu.options import options as default_options
from snnx_ipu.options import samples_per_call
from snnx_ipu.spike import UnsupportedSurrogateError, is_plain_spike, spike_fn
from snnx_torch.neurons import SequenceNeuron, SpikingNeuron


class IPUModelError(SnnxError, ValueError):
    """A network or wrapper argument that cannot be compiled for the IPU (names which, why, and the fix)."""


def _is_autograd_function(obj: object) -> bool:
    """Whether ``obj`` is a ``torch.autograd.Function`` class or its bound ``apply``."""
    owner = getattr(obj, "__self__", obj)
    return isinstance(owner, type) and issubclass(owner, torch.autograd.Function)


def _spike_for_ipu(name: str, neuron: SpikingNeuron) -> Callable | None:
    """The plain-operation spike ``neuron`` needs, ``None`` if it has one; raises if it cannot have one."""
    if is_plain_spike(neuron._spike):
        return None
    spike_grad = getattr(neuron, "spike_grad", None)
    disabled = bool(getattr(neuron, "surrogate_disable", False))
    if not disabled and spike_grad is not None and not isinstance(spike_grad, Surrogate):
        raise IPUModelError(
            f"{name} ({type(neuron).__name__}): spike_grad={spike_grad!r} is a function of your own; the IPU "
            "compiler differentiates traced operations only, so its backward pass would be lost. Pass a "
            "surrogate from snnx.surrogate (e.g. surrogate.atan()) as spike_grad."
        )
    try:
        return spike_fn(spike_grad, disabled)
    except UnsupportedSurrogateError as error:
        raise UnsupportedSurrogateError(f"{name} ({type(neuron).__name__}): {error}") from error


def _check_neuron(name: str, neuron: nn.Module, is_root: bool) -> Callable | None:
    """Refuse what ``neuron`` cannot do on an IPU; return the spike function to switch to, if any."""
    label = f"{name} ({type(neuron).__name__})"
    if isinstance(neuron, SequenceNeuron):
        raise IPUModelError(
            f"{label} takes a whole sequence per call, but the IPU wrappers call the network once per time "
            "step. Use a step neuron (snnx.Leaky, snnx.Synaptic...) or compile a network of sequence neurons "
            "with poptorch.trainingModel directly."
        )
    if not isinstance(neuron, SpikingNeuron):
        return None
    if not is_root and not getattr(neuron, "init_hidden", True):
        raise IPUModelError(
            f"{label} has init_hidden=False: inside a network its state would be passed between steps by "
            "your own code, which the wrappers' time loop cannot carry and reset. Build it with "
            "init_hidden=True (the network then keeps the state, and each call starts from rest)."
        )
    quantiser = getattr(neuron, "state_quant", False)
    if quantiser and _is_autograd_function(quantiser):
        raise IPUModelError(
            f"{label}: state_quant is a torch.autograd.Function, whose hand-written backward the IPU "
            "compiler cannot use. Use snnx.functional.quant.state_quant(...), made of plain operations."
        )
    return _spike_for_ipu(name or "net", neuron)


def prepare_net(net: nn.Module) -> nn.Module:
    """Check that ``net`` can run on an IPU and give its neurons IPU spike functions; returns ``net``.

    Refused, before anything changes: sequence neurons (``StateLeaky``, ``LeakyParallel``...),
    ``init_hidden=False`` neurons inside a network, a ``spike_grad`` that is a function of
    the user's own, ``custom_surrogate`` and ``SSO`` surrogates, and ``state_quant``
    autograd functions. Neurons of the torch backend then get
    :func:`snnx_ipu.spike_fn`'s spike for their surrogate, in place (same spikes and the
    same gradients, from operations the IPU compiler can differentiate).
    """
    if not isinstance(net, nn.Module):
        raise TypeError(
            "the IPU wrappers compile a torch.nn.Module of snnx neurons and layers, got "
            f"{type(net).__name__}."
        )
    switches = []
    for name, module in net.named_modules():
        spike = _check_neuron(name, module, module is net)
        if spike is not None:
            switches.append((module, spike))
    for neuron, spike in switches:
        neuron._spike = spike
    return net


class SequenceModel(nn.Module):
    """``net`` over a whole input per call, from rest: the module poptorch compiles for inference.

    ``forward(x)`` takes ``x [T, B, ...]`` (``[B, T, ...]`` with ``batch_first=True``), or
    with ``num_steps`` a static input ``x [B, ...]`` presented at each of ``num_steps`` steps,
    and returns what one step of ``net`` returns stacked over time in the same layout.
    """

    def __init__(self, net: nn.Module, *, num_steps: int | None = None, batch_first: bool = False) -> None:
        super().__init__()
        self.net = net
        self.num_steps = num_steps
        self.batch_first = batch_first

    def record(self, x: torch.Tensor) -> Any:
        """Reset ``net`` and run the step loop; recordings time first (``[T, B, ...]``)."""
        if self.num_steps is not None:
            steps = [x] * self.num_steps
        else:
            if x.dim() < 2:
                layout = "[batch, time, ...]" if self.batch_first else "[time, batch, ...]"
                raise ValueError(
                    f"expected an input sequence {layout}, got shape {tuple(x.shape)}; "
                    "pass num_steps=... for a static input [batch, ...]."
                )
            steps = x.unbind(1 if self.batch_first else 0)
        utils.reset(self.net)
        outputs = [self.net(step) for step in steps]
        if isinstance(outputs[0], tuple):
            return tuple(torch.stack(list(sequence)) for sequence in zip(*outputs))
        return torch.stack(outputs)

    def layout(self, recorded: Any) -> Any:
        """Time-first recordings in this model's layout (batch first when ``batch_first``)."""
        if not self.batch_first:
            return recorded
        if isinstance(recorded, tuple):
            return tuple(sequence.transpose(0, 1) for sequence in recorded)
        return recorded.transpose(0, 1)

    def forward(self, x: torch.Tensor) -> Any:
        return self.layout(self.record(x))


class TrainingSequenceModel(nn.Module):
    """:class:`SequenceModel` plus the loss: ``forward(x, target) -> (outputs, loss)``.

    ``loss_fn`` receives the recordings time first (``[T, B, ...]``, snnTorch's loss
    convention, so ``snnx.functional`` losses work unchanged) whatever the input layout;
    the returned outputs follow the input layout.
    """

    def __init__(self, sequence: SequenceModel, loss_fn: Callable, identity_loss: Callable) -> None:
        super().__init__()
        self.sequence = sequence
        self.loss_fn = loss_fn
        self._identity_loss = identity_loss

    def forward(self, x: torch.Tensor, target: torch.Tensor) -> tuple[Any, torch.Tensor]:
        recorded = self.sequence.record(x)
        loss = self._identity_loss(self.loss_fn(recorded, target), reduction="none")
        return self.sequence.layout(recorded), loss


def _check_num_steps(num_steps: int | None) -> None:
    if num_steps is not None and (
        isinstance(num_steps, bool) or not isinstance(num_steps, Integral) or num_steps < 1
    ):
        raise IPUModelError(
            "num_steps must be None (the input carries its time axis) or a whole number >= 1, got "
            f"{num_steps!r}."
        )


def _resolve_options(opts: Any, num_steps: int | None, batch_first: bool) -> Any:
    """``opts`` (default :func:`snnx_ipu.options`), refused when poptorch would split the time axis."""
    opts = default_options() if opts is None else opts
    calls = samples_per_call(opts)
    if calls > 1 and num_steps is None and not batch_first:
        raise IPUModelError(
            f"these options run {calls} micro-batches per host call (device iterations x replicas x "
            "gradient accumulation), and poptorch splits every input along its first dimension, which for "
            "x [T, B, ...] is time. Feed batch-first inputs x [B, T, ...] and pass batch_first=True."
        )
    return opts


def _sequence_model(net: nn.Module, num_steps: int | None, batch_first: bool) -> SequenceModel:
    _check_num_steps(num_steps)
    return SequenceModel(
        prepare_net(net),
        num_steps=None if num_steps is None else int(num_steps),
        batch_first=bool(batch_first),
    )


def training_model(
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor],
    options: Any = None,
    *,
    num_steps: int | None = None,
    batch_first: bool = False,
) -> Any:
    """``poptorch.trainingModel`` of ``net`` with the time loop and the loss inside.

    The compiled model is called as ``outputs, loss = model(x, target)``: each call
    resets the state, runs every step of ``x`` (see :class:`SequenceModel` for the
    layouts and ``num_steps``), computes ``loss_fn(recordings [T, B, ...], target)``
    marked by ``poptorch.identity_loss(..., reduction="none")`` (reduce inside
    ``loss_fn``), and takes one ``optimizer`` step on the IPU. ``options`` defaults to
    :func:`snnx_ipu.options`. With more than one micro-batch per call, inputs must be
    batch first (``batch_first=True``), as poptorch splits inputs along dimension 0.

    Raises :class:`~snnx.errors.BackendUnavailableError` without poptorch,
    :class:`IPUModelError` / :class:`~snnx_ipu.spike.UnsupportedSurrogateError` for what
    cannot run on an IPU (see :func:`prepare_net`).
    """
    poptorch = require_poptorch()
    if not callable(loss_fn):
        raise TypeError(
            f"loss_fn must be callable as loss_fn(outputs, target), got {type(loss_fn).__name__}."
        )
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim (or poptorch.optim) optimizer, got {type(optimizer).__name__}."
        )
    sequence = _sequence_model(net, num_steps, batch_first)
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not any(id(p) in held for p in net.parameters()):
        raise IPUModelError(
            "the optimizer holds none of the network's parameters, so training would change nothing; "
            "build it from net.parameters()."
        )
    opts = _resolve_options(options, num_steps, batch_first)
    wrapped = TrainingSequenceModel(sequence, loss_fn, poptorch.identity_loss)
    return poptorch.trainingModel(wrapped, options=opts, optimizer=optimizer)


def inference_model(
    net: nn.Module, options: Any = None, *, num_steps: int | None = None, batch_first: bool = False
) -> Any:
    """``poptorch.inferenceModel`` of ``net`` with the time loop inside: ``outputs = model(x)``.

    Each call resets the state and returns the recordings (see :class:`SequenceModel`).
    Options, layout and refusals as for :func:`training_model`.
    """
    poptorch = require_poptorch()
    sequence = _sequence_model(net, num_steps, batch_first)
    opts = _resolve_options(options, num_steps, batch_first)
    return poptorch.inferenceModel(sequence, options=opts)
