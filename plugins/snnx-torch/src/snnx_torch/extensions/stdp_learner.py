r"""Trace-based spike-timing-dependent plasticity for torch linear and convolutional layers.

Every rule keeps a presynaptic trace :math:`x` (over the synapse's inputs
:math:`s_{in}`) and a postsynaptic trace :math:`y` (over its outputs
:math:`s_{out}`). The STDP rules decay them by :math:`1 - 1/\tau` per step,

.. math::

    x \leftarrow x - x/\tau_{pre} + s_{in}, \qquad y \leftarrow y - y/\tau_{post} + s_{out},

and change a weight :math:`w_{ij}` (input :math:`j` to output :math:`i`) by

.. math::

    \Delta w_{ij} = f_{post}(w_{ij}) \sum x_j\, s_{out,i} - f_{pre}(w_{ij}) \sum y_i\, s_{in,j},

summed over the batch (and, for convolutions, over every output position, with
:math:`j` the input position the kernel tap reaches): potentiation when the input
fired before the output, depression when after. The reward-modulated rules
(``mstdp``, ``mstdpet``) decay the traces by :math:`e^{-1/\tau}` and return the
per-sample eligibility :math:`f_{post}(w_{ij})\, x_j s_{out,i} - f_{pre}(w_{ij})\, y_i s_{in,j}`
instead of summing it. ``f_pre`` and ``f_post`` map the weight to the size of a
change (identity by default; e.g. ``lambda w: torch.clamp(w, -1, 1)``).

Traces of convolutions cover the padded input. Spikes may be bool or float.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from numbers import Real
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from snnx.errors import ParameterRangeError, StateShapeError
from snnx_torch.extensions.probe import InputMonitor, OutputMonitor, identity

__all__ = [
    "STDPLearner",
    "mstdp_linear_single_step",
    "mstdpet_linear_single_step",
    "stdp_conv1d_single_step",
    "stdp_conv2d_single_step",
    "stdp_linear_single_step",
]

Trace = float | torch.Tensor | None


def stdp_linear_single_step(
    fc: nn.Linear,
    in_spike: torch.Tensor,
    out_spike: torch.Tensor,
    trace_pre: Trace,
    trace_post: Trace,
    tau_pre: float,
    tau_post: float,
    f_pre: Callable = identity,
    f_post: Callable = identity,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One STDP step of a linear layer: ``(trace_pre, trace_post, delta_w)``.

    ``in_spike`` is ``[batch, in_features]``, ``out_spike`` ``[batch, out_features]``
    (or both without the batch dimension); traces start from 0 when ``None``.
    ``delta_w`` has the weight's shape and sums the batch.
    """
    weight, in_spike, out_spike = _linear_operands("stdp_linear_single_step", fc, in_spike, out_spike)
    trace_pre = _decay_linear("stdp_linear_single_step", trace_pre, tau_pre, "tau_pre", in_spike)
    trace_post = _decay_linear("stdp_linear_single_step", trace_post, tau_post, "tau_post", out_spike)
    potentiation = torch.einsum("...o,...i->oi", out_spike, trace_pre)
    depression = torch.einsum("...o,...i->oi", trace_post, in_spike)
    return trace_pre, trace_post, f_post(weight) * potentiation - f_pre(weight) * depression


def mstdp_linear_single_step(
    fc: nn.Linear,
    in_spike: torch.Tensor,
    out_spike: torch.Tensor,
    trace_pre: Trace,
    trace_post: Trace,
    tau_pre: float,
    tau_post: float,
    f_pre: Callable = identity,
    f_post: Callable = identity,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One reward-modulated STDP step: ``(trace_pre, trace_post, eligibility)``.

    Traces decay by :math:`e^{-1/\\tau}`; the eligibility is per sample,
    ``[batch, out_features, in_features]`` (``[out, in]`` for unbatched spikes).
    """
    weight, in_spike, out_spike = _linear_operands("mstdp_linear_single_step", fc, in_spike, out_spike)
    trace_pre = _decay_exp("mstdp_linear_single_step", trace_pre, tau_pre, "tau_pre", in_spike)
    trace_post = _decay_exp("mstdp_linear_single_step", trace_post, tau_post, "tau_post", out_spike)
    return (
        trace_pre,
        trace_post,
        _eligibility(weight, in_spike, out_spike, trace_pre, trace_post, f_pre, f_post),
    )


def mstdpet_linear_single_step(
    fc: nn.Linear,
    in_spike: torch.Tensor,
    out_spike: torch.Tensor,
    trace_pre: Trace,
    trace_post: Trace,
    tau_pre: float,
    tau_post: float,
    tau_trace: float,
    f_pre: Callable = identity,
    f_post: Callable = identity,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The eligibility of reward-modulated STDP with an eligibility trace (MSTDPET).

    The same step as :func:`mstdp_linear_single_step`. ``tau_trace`` (positive) is
    the time constant with which the caller accumulates the returned eligibility,
    :math:`e \\leftarrow e\\, e^{-1/\\tau_{trace}} + \\text{eligibility}`; it is
    checked here and kept for snnTorch's signature.
    """
    _check_tau("mstdpet_linear_single_step", tau_trace, "tau_trace")
    weight, in_spike, out_spike = _linear_operands("mstdpet_linear_single_step", fc, in_spike, out_spike)
    trace_pre = _decay_exp("mstdpet_linear_single_step", trace_pre, tau_pre, "tau_pre", in_spike)
    trace_post = _decay_exp("mstdpet_linear_single_step", trace_post, tau_post, "tau_post", out_spike)
    return (
        trace_pre,
        trace_post,
        _eligibility(weight, in_spike, out_spike, trace_pre, trace_post, f_pre, f_post),
    )


def stdp_conv2d_single_step(
    conv: nn.Conv2d,
    in_spike: torch.Tensor,
    out_spike: torch.Tensor,
    trace_pre: torch.Tensor | None,
    trace_post: torch.Tensor | None,
    tau_pre: float,
    tau_post: float,
    f_pre: Callable = identity,
    f_post: Callable = identity,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One STDP step of a 2-D convolution: ``(trace_pre, trace_post, delta_w)``.

    ``in_spike`` is ``[batch, C_in, H, W]``, ``out_spike`` the convolution's output
    shape ``[batch, C_out, H_out, W_out]``; ``trace_pre`` covers the padded input.
    """
    return _stdp_conv(
        "stdp_conv2d_single_step",
        nn.Conv2d,
        conv,
        in_spike,
        out_spike,
        trace_pre,
        trace_post,
        tau_pre,
        tau_post,
        f_pre,
        f_post,
    )


def stdp_conv1d_single_step(
    conv: nn.Conv1d,
    in_spike: torch.Tensor,
    out_spike: torch.Tensor,
    trace_pre: torch.Tensor | None,
    trace_post: torch.Tensor | None,
    tau_pre: float,
    tau_post: float,
    f_pre: Callable = identity,
    f_post: Callable = identity,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One STDP step of a 1-D convolution: ``(trace_pre, trace_post, delta_w)``.

    ``in_spike`` is ``[batch, C_in, L]``, ``out_spike`` ``[batch, C_out, L_out]``;
    ``trace_pre`` covers the padded input.
    """
    return _stdp_conv(
        "stdp_conv1d_single_step",
        nn.Conv1d,
        conv,
        in_spike,
        out_spike,
        trace_pre,
        trace_post,
        tau_pre,
        tau_post,
        f_pre,
        f_post,
    )


RULES = (
    (nn.Linear, stdp_linear_single_step),
    (nn.Conv1d, stdp_conv1d_single_step),
    (nn.Conv2d, stdp_conv2d_single_step),
)
"""The synapse types :class:`STDPLearner` supports and the rule it applies to each."""


class STDPLearner(nn.Module):
    """Learns the weight of ``synapse`` by STDP from its inputs and the outputs of ``sn``.

    Two monitors record, at every forward call, the input of ``synapse`` (presynaptic
    spikes) and the output of ``sn`` (postsynaptic spikes; the spikes of a neuron that
    returns ``(spk, mem)``). :meth:`step` replays the recorded steps in order through
    the single-step rule of the synapse (``nn.Linear``, ``nn.Conv1d`` or ``nn.Conv2d``),
    carrying the traces across calls, and either adds :math:`-\\text{scale}\\,\\Delta w`
    to ``synapse.weight.grad`` (so an optimiser step *adds* the change) or returns
    :math:`\\text{scale}\\,\\Delta w`. :meth:`reset` forgets traces and records (call it
    between samples).
    """

    def __init__(
        self,
        synapse: nn.Linear | nn.Conv1d | nn.Conv2d,
        sn: nn.Module,
        tau_pre: float,
        tau_post: float,
        f_pre: Callable = identity,
        f_post: Callable = identity,
    ) -> None:
        super().__init__()
        if not isinstance(synapse, tuple(kind for kind, _ in RULES)):
            raise TypeError(
                f"STDPLearner: synapse must be one of {', '.join(kind.__name__ for kind, _ in RULES)}, "
                f"got {type(synapse).__name__}."
            )
        if not isinstance(sn, nn.Module):
            raise TypeError(f"STDPLearner: sn must be a neuron module, got {type(sn).__name__}.")
        if isinstance(synapse, (nn.Conv1d, nn.Conv2d)):
            _check_conv("STDPLearner", synapse)
        _check_tau("STDPLearner", tau_pre, "tau_pre")
        _check_tau("STDPLearner", tau_post, "tau_post")
        self.tau_pre = tau_pre
        self.tau_post = tau_post
        self.f_pre = f_pre
        self.f_post = f_post
        self.synapse = synapse
        self.in_spike_monitor = InputMonitor(synapse)
        self.out_spike_monitor = OutputMonitor(sn)
        self.trace_pre: torch.Tensor | None = None
        self.trace_post: torch.Tensor | None = None

    def reset(self) -> None:
        """Forget the traces and any recorded spikes (before a new sample)."""
        self.trace_pre = None
        self.trace_post = None
        self.in_spike_monitor.clear_recorded_data()
        self.out_spike_monitor.clear_recorded_data()

    def disable(self) -> None:
        """Stop recording spikes until :meth:`enable`."""
        self.in_spike_monitor.disable()
        self.out_spike_monitor.disable()

    def enable(self) -> None:
        """Record spikes again."""
        self.in_spike_monitor.enable()
        self.out_spike_monitor.enable()

    def step(self, on_grad: bool = True, scale: float = 1.0) -> torch.Tensor | None:
        """Apply the rule to every recorded step and consume the records.

        With ``on_grad`` the summed change times ``scale`` is subtracted from
        ``synapse.weight.grad`` (left alone when nothing was recorded) and ``None``
        returned; otherwise the change is returned (zeros when nothing was recorded).
        """
        inputs, outputs = self.in_spike_monitor.records, self.out_spike_monitor.records
        if len(inputs) != len(outputs):
            raise RuntimeError(
                f"STDPLearner.step: recorded {len(inputs)} synapse input(s) but {len(outputs)} neuron "
                "output(s); call the synapse and the neuron once each per time step, or reset() the learner."
            )
        rule = next(rule for kind, rule in RULES if isinstance(self.synapse, kind))
        delta_w = None
        for in_spike, out_spike in zip(inputs, outputs):
            if isinstance(out_spike, tuple):
                out_spike = out_spike[0]
            self.trace_pre, self.trace_post, dw = rule(
                self.synapse,
                in_spike,
                out_spike,
                self.trace_pre,
                self.trace_post,
                self.tau_pre,
                self.tau_post,
                self.f_pre,
                self.f_post,
            )
            if scale != 1.0:
                dw = dw * scale
            delta_w = dw if delta_w is None else delta_w + dw
        self.in_spike_monitor.clear_recorded_data()
        self.out_spike_monitor.clear_recorded_data()
        weight = self.synapse.weight
        if not on_grad:
            return torch.zeros_like(weight.detach()) if delta_w is None else delta_w
        if delta_w is not None:
            weight.grad = -delta_w if weight.grad is None else weight.grad - delta_w
        return None


def _check_tau(owner: str, tau: Any, name: str) -> None:
    if isinstance(tau, bool) or not isinstance(tau, Real) or not (math.isfinite(tau) and tau > 0):
        raise ParameterRangeError(f"{owner}: {name} must be a positive number of steps, got {tau!r}.")


def _as_float(spikes: torch.Tensor, like: torch.Tensor, owner: str, name: str) -> torch.Tensor:
    if not isinstance(spikes, torch.Tensor):
        raise TypeError(f"{owner}: {name} must be a torch.Tensor, got {type(spikes).__name__}.")
    return spikes if spikes.is_floating_point() else spikes.to(like.dtype)


def _linear_operands(owner: str, fc: nn.Module, in_spike: torch.Tensor, out_spike: torch.Tensor):
    """``(weight, in_spike, out_spike)`` after checking their shapes against each other."""
    weight = getattr(fc, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        raise TypeError(f"{owner}: fc must be a linear layer (a 2-D weight), got {type(fc).__name__}.")
    weight = weight.detach()
    in_spike = _as_float(in_spike, weight, owner, "in_spike")
    out_spike = _as_float(out_spike, weight, owner, "out_spike")
    expected_in, expected_out = weight.shape[1], weight.shape[0]
    if (
        in_spike.dim() not in (1, 2)
        or in_spike.shape[-1] != expected_in
        or out_spike.shape[-1:] != (expected_out,)
        or in_spike.shape[:-1] != out_spike.shape[:-1]
    ):
        raise StateShapeError(
            f"{owner}: expected in_spike [batch, {expected_in}] and out_spike [batch, {expected_out}] "
            f"(or both without batch), got {tuple(in_spike.shape)} and {tuple(out_spike.shape)}."
        )
    return weight, in_spike, out_spike


def _check_trace(owner: str, trace: Trace, name: str, spikes: torch.Tensor) -> Trace:
    if trace is None:
        return 0.0
    if isinstance(trace, torch.Tensor) and trace.shape != spikes.shape:
        raise StateShapeError(
            f"{owner}: {name} has shape {tuple(trace.shape)} but the spikes it traces have "
            f"{tuple(spikes.shape)}; pass the trace the previous step returned, or None to start from 0."
        )
    return trace


def _decay_linear(owner: str, trace: Trace, tau: float, name: str, spikes: torch.Tensor) -> torch.Tensor:
    """:math:`x - x/\\tau + s`."""
    _check_tau(owner, tau, name)
    trace = _check_trace(owner, trace, name.replace("tau", "trace"), spikes)
    return trace - trace / tau + spikes


def _decay_exp(owner: str, trace: Trace, tau: float, name: str, spikes: torch.Tensor) -> torch.Tensor:
    """:math:`x e^{-1/\\tau} + s`."""
    _check_tau(owner, tau, name)
    trace = _check_trace(owner, trace, name.replace("tau", "trace"), spikes)
    return trace * math.exp(-1 / tau) + spikes


def _eligibility(weight, in_spike, out_spike, trace_pre, trace_post, f_pre, f_post) -> torch.Tensor:
    """Per-sample :math:`f_{post}(w) x_j s_{out,i} - f_{pre}(w) y_i s_{in,j}`, ``[..., out, in]``."""
    potentiation = out_spike.unsqueeze(-1) * trace_pre.unsqueeze(-2)
    depression = trace_post.unsqueeze(-1) * in_spike.unsqueeze(-2)
    return f_post(weight) * potentiation - f_pre(weight) * depression


def _check_conv(owner: str, conv: nn.Module) -> None:
    if any(d != 1 for d in conv.dilation):
        raise NotImplementedError(f"{owner}: STDP for convolutions with dilation != 1 is not implemented.")
    if conv.groups != 1:
        raise NotImplementedError(f"{owner}: STDP for convolutions with groups != 1 is not implemented.")


def _padded(conv: nn.Module, spikes: torch.Tensor) -> torch.Tensor:
    """``spikes`` padded as ``conv`` pads its input (any padding mode, ``'same'``/``'valid'`` too)."""
    kernel = conv.weight.shape[2:]
    if conv.padding == "valid":
        pads = [(0, 0)] * len(kernel)
    elif conv.padding == "same":  # torch puts the odd extra element after
        pads = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel]
    else:
        pads = [(p, p) for p in conv.padding]
    flat = [side for pair in reversed(pads) for side in pair]  # F.pad wants the last dimension first
    if not any(flat):
        return spikes
    mode = "constant" if conv.padding_mode == "zeros" else conv.padding_mode
    return functional.pad(spikes, flat, mode=mode)


def _stdp_conv(
    owner, kind, conv, in_spike, out_spike, trace_pre, trace_post, tau_pre, tau_post, f_pre, f_post
):
    """STDP of a convolution, one kernel tap at a time (see the module docstring)."""
    if not isinstance(conv, kind):
        raise TypeError(f"{owner}: conv must be an nn.{kind.__name__}, got {type(conv).__name__}.")
    _check_conv(owner, conv)
    weight = conv.weight.detach()
    in_spike = _as_float(in_spike, weight, owner, "in_spike")
    out_spike = _as_float(out_spike, weight, owner, "out_spike")
    dims = weight.dim() - 2
    if in_spike.dim() != dims + 2 or in_spike.shape[1] != weight.shape[1]:
        raise StateShapeError(
            f"{owner}: in_spike must be [batch, {weight.shape[1]}, {', '.join('*' * dims)}], "
            f"got {tuple(in_spike.shape)}."
        )
    in_spike = _padded(conv, in_spike)
    stride = conv.stride
    kernel = weight.shape[2:]
    out_size = tuple((n - k) // s + 1 for n, k, s in zip(in_spike.shape[2:], kernel, stride))
    expected = (in_spike.shape[0], weight.shape[0], *out_size)
    if tuple(out_spike.shape) != expected:
        raise StateShapeError(
            f"{owner}: out_spike must have the convolution's output shape {expected} for in_spike "
            f"{tuple(in_spike.shape)} (padded), got {tuple(out_spike.shape)}."
        )
    if trace_pre is None:
        trace_pre = torch.zeros_like(in_spike)
    if trace_post is None:
        trace_post = torch.zeros_like(out_spike, dtype=in_spike.dtype)
    trace_pre = _decay_linear(owner, trace_pre, tau_pre, "tau_pre", in_spike)
    trace_post = _decay_linear(owner, trace_post, tau_post, "tau_post", out_spike)
    delta_w = torch.zeros_like(weight)
    for tap in itertools.product(*(range(k) for k in kernel)):
        steps = (slice(t, t + s * (n - 1) + 1, s) for t, s, n in zip(tap, stride, out_size))
        window = (slice(None), slice(None), *steps)
        w = weight[(slice(None), slice(None), *tap)]
        potentiation = torch.einsum("bo...,bi...->oi", out_spike, trace_pre[window])
        depression = torch.einsum("bo...,bi...->oi", trace_post, in_spike[window])
        delta_w[(slice(None), slice(None), *tap)] = f_post(w) * potentiation - f_pre(w) * depression
    return trace_pre, trace_post, delta_w
