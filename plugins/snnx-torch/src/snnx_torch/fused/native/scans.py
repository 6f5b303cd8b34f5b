r"""The membrane and decay scans of :mod:`snnx_torch.fused.scan` run by the compiled CPU loops.

Same equations, same forward numbers (bit for bit) and the same gradients; only the
execution differs: one call into ``scan.cpp`` per pass instead of a few tensor
operations per time step. :func:`membrane_usable` / :func:`decay_usable` say when
that applies: a CPU input in float32 or float64 with every state and parameter in
the same dtype, an input step as large as the state (parameters and initial states
may broadcast), a surrogate the C++ code implements (:data:`SURROGATE_KINDS`), not
under ``torch.compile``, and the library built (:mod:`snnx_torch.fused.native`).

Saved for backward: the membrane sequence (an output anyway) and with
``reset_delay=False`` the pre-reset one; or, when only the last step's potential is
asked for (``record=False``), the input sequence instead, from which backward
recomputes the membrane block by block in cache. Also the initial state and the
parameters as given (broadcast again in backward, not stored expanded); an all-zero
initial state is not saved at all.
"""

from __future__ import annotations

import ctypes
import functools
import math

import torch
from torch.autograd.function import once_differentiable

from snnx_torch.compat import is_compiling
from snnx_torch.fused import native
from snnx_torch.fused.buffers import POOL
from snnx_torch.fused.common import DerivativeFn, SurrogateDerivative, reduce_to, zero_derivative
from snnx_torch.fused.scan import MembraneRule, factor_only_gradient
from snnx_torch.spike_op import op_arguments

MECHANISMS = {"subtract": 0, "zero": 1, "none": 2}
SURROGATE_KINDS = {
    "atan": 1,
    "fast_sigmoid": 2,
    "sigmoid": 3,
    "straight_through_estimator": 4,
    "triangular": 5,
    "heaviside": 6,
    "spike_rate_escape": 7,
    "SFS": 8,
    "LSO": 9,
}
"""The surrogates ``scan.cpp`` evaluates (``slope_of``), by built-in spec name; 0 is no gradient."""

_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}


def surrogate_code(derivative: DerivativeFn) -> tuple[int, tuple[float, ...]] | None:
    """``(kind, parameters)`` of ``derivative`` for ``scan.cpp``, or ``None`` when it has no C++ twin."""
    if derivative is zero_derivative:
        return 0, ()
    if not isinstance(derivative, SurrogateDerivative):
        return None
    if not hasattr(derivative, "scan_code"):  # worked out once per spike function
        arguments = op_arguments(derivative.surrogate)
        known = arguments is not None and arguments[0] in SURROGATE_KINDS
        derivative.scan_code = (SURROGATE_KINDS[arguments[0]], tuple(arguments[1])) if known else None
    return derivative.scan_code


def _usable(x_seq: torch.Tensor, tensors: tuple[torch.Tensor, ...]) -> bool:
    dtype = x_seq.dtype
    if not x_seq.is_cpu or dtype not in _SUFFIX or is_compiling():
        return False
    step = x_seq.shape[1:]
    for tensor in tensors:
        if tensor.dtype != dtype or not tensor.is_cpu:
            return False
        if tensor.numel() != 1 and not broadcasts_to(tensor.shape, step):
            return False
    return native.library() is not None


def broadcasts_to(shape: torch.Size, target: torch.Size) -> bool:
    """Whether ``shape`` broadcasts to ``target`` without growing it (trailing dimensions 1 or equal)."""
    if len(shape) > len(target):
        return False
    return all(size in (1, wanted) for size, wanted in zip(reversed(shape), reversed(target)))


def membrane_usable(x_seq: torch.Tensor, tensors: tuple[torch.Tensor, ...], derivative: DerivativeFn) -> bool:
    """Whether :class:`NativeMembraneScan` can run (``tensors``: initial state and parameters)."""
    return surrogate_code(derivative) is not None and _usable(x_seq, tensors)


def decay_usable(x_seq: torch.Tensor, tensors: tuple[torch.Tensor, ...]) -> bool:
    """Whether :class:`NativeDecayScan` can run (``tensors``: initial state and decay)."""
    return _usable(x_seq, tensors)


def _per_neuron(tensors: tuple[torch.Tensor, ...], shape: torch.Size) -> tuple[list[torch.Tensor], int]:
    """Per-neuron inputs as ``scan.cpp`` reads them, and its ``broadcast`` bits.

    A single value is passed as it is, with bit ``i`` set for ``tensors[i]``; anything
    else as a contiguous array broadcast to ``shape`` (a view when it already is one).
    """
    arrays, bits = [], 0
    for index, tensor in enumerate(tensors):
        if tensor.numel() == 1:
            arrays.append(tensor)
            bits |= 1 << index
        else:
            arrays.append(tensor.expand(shape).contiguous())
    return arrays, bits


def _bias_argument(bias: torch.Tensor | None, shape: torch.Size) -> tuple[torch.Tensor | None, int]:
    """``(values, period)`` of an input bias for ``scan.cpp``: neuron ``i`` adds ``values[i % period]``.

    A contiguous bias whose shape (leading ones aside) is the step's trailing shape,
    such as a layer's ``[N]`` bias for ``[B, N]`` steps, is passed as it is, repeating
    every ``numel`` neurons; any other is broadcast to ``shape`` first.
    """
    if bias is None:
        return None, 1
    sizes = tuple(bias.shape)
    while sizes and sizes[0] == 1:
        sizes = sizes[1:]
    if bias.is_contiguous() and len(sizes) <= len(shape) and sizes == tuple(shape)[len(shape) - len(sizes) :]:
        return bias, max(1, bias.numel())
    return bias.expand(shape).contiguous(), math.prod(shape)


def unless_zero(state: torch.Tensor) -> torch.Tensor | None:
    """``state``, or ``None`` when it is all zeros (a fresh neuron; backward rebuilds it, saving memory).

    The same test as :func:`snnx_torch.fused.scan.unless_zero`, in a compiled loop: ``Tensor.any``
    costs tens of microseconds even on a small state, which one-step calls would pay every step.
    """
    if state is _ZEROS.get(state.dtype):
        return None
    if not state.is_contiguous():
        return state if bool(state.any()) else None
    all_zero = _function("snnx_all_zero", state.dtype)(state.data_ptr(), state.numel())
    return None if all_zero else state


_ZEROS: dict[torch.dtype, torch.Tensor] = {}


def zero_scalar(dtype: torch.dtype) -> torch.Tensor:
    """One CPU zero of ``dtype``, made once and shared: a fresh state the loops broadcast (never written)."""
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = torch.zeros((), dtype=dtype)
    return zero


def _pointer(tensor: torch.Tensor | None) -> int | None:
    return None if tensor is None else tensor.data_ptr()


def _gradient_input(grad: torch.Tensor | None, steps: int) -> tuple[torch.Tensor | None, int, int]:
    """``(values, time stride, element stride)`` of an incoming gradient of ``steps`` steps for ``scan.cpp``.

    A single value broadcast everywhere (the gradient of ``sum()``) is passed as it is;
    anything else as a contiguous ``[T, M]`` array.
    """
    if grad is None:
        return None, 0, 0
    if all(stride == 0 for stride in grad.stride()):
        return grad, 0, 0
    grad = grad.contiguous()
    return grad, grad.numel() // steps, 1


@functools.cache
def surrogate_parameters(params: tuple[float, ...]) -> ctypes.Array:
    """A C ``double`` array holding ``params`` (at least two), made once per tuple (the cache keeps it)."""
    return (ctypes.c_double * max(2, len(params)))(*params)


def _function(name: str, dtype: torch.dtype):
    """The compiled entry point ``name`` for ``dtype`` (callers have checked that the library is usable)."""
    return _entry_point(native.loaded(), name, _SUFFIX[dtype])


@functools.cache
def _entry_point(library: ctypes.CDLL, name: str, suffix: str):
    return getattr(library, f"{name}_{suffix}")


def _threads() -> int:
    return max(1, torch.get_num_threads())


def _loop_arguments(
    steps: int, shape: torch.Size, rule: MembraneRule, record: bool, broadcast: int, bias_period: int
) -> tuple:
    """What both membrane loops take last: sizes, the reset rule, ``record``, threads, broadcasting."""
    return (
        steps,
        math.prod(shape),
        MECHANISMS[rule.mechanism],
        int(rule.corrects),
        int(rule.zero_input),
        int(record),
        _threads(),
        broadcast,
        bias_period,
    )


class NativeMembraneScan(torch.autograd.Function):
    """:class:`~snnx_torch.fused.scan.MembraneScan` through ``scan.cpp``.

    With ``record=False`` the second output is the last step's potential alone
    (``[...]``, no time axis), and backward recomputes the sequence from ``x_seq``.
    ``bias`` (``None``: none) is added to every step's input before the recurrence:
    the scan runs on ``x_seq + bias`` without that sum being made, and the bias's
    gradient is the input's summed over time (reduced to its shape).
    """

    @staticmethod
    def forward(
        ctx, x_seq, mem0, decay, threshold, factor, bias, rule: MembraneRule, derivative, record: bool
    ):
        shape = x_seq.shape[1:]
        x_seq = x_seq.contiguous()
        spk_seq = POOL.empty(x_seq.shape, x_seq)
        mem_out = POOL.empty(x_seq.shape, x_seq) if record else x_seq.new_empty(shape)
        # pre (the same-step correction only): V of every step, or without `record` a scratch [...]
        if not rule.corrects:
            pre = None  # the loop writes V only for the same-step correction
        else:
            pre = POOL.empty(mem_out.shape, x_seq) if record else x_seq.new_empty(shape)
        _membrane_forward(x_seq, (mem0, decay, threshold, factor, bias), spk_seq, mem_out, pre, rule, record)
        saved = (mem_out, pre) if record else (x_seq, None)
        ctx.save_for_backward(unless_zero(mem0), *saved, decay, threshold, factor, bias)
        ctx.rule, ctx.derivative, ctx.record, ctx.mem0_shape = rule, derivative, record, mem0.shape
        ctx.set_materialize_grads(False)
        if derivative is zero_derivative and not ctx.needs_input_grad[4]:
            ctx.mark_non_differentiable(spk_seq)  # as in the step loop: H(u) * g has no graph
        return spk_seq, mem_out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_spk, grad_mem):
        mem0, first, second, decay, threshold, factor, bias = ctx.saved_tensors
        rule: MembraneRule = ctx.rule
        needs = ctx.needs_input_grad
        mem0 = zero_scalar(first.dtype) if mem0 is None else mem0
        surrogate = ctx.derivative is not zero_derivative
        if grad_mem is None and not (surrogate and grad_spk is not None):
            if ctx.record:
                pre = first if second is None else second
            else:  # rebuild the pre-reset sequence the spikes came from (rare: spikes without a surrogate)
                pre = first.new_empty(first.shape)
                mem_seq = first.new_empty(first.shape) if rule.corrects else pre  # U = V without a correction
                spikes = first.new_empty(first.shape)
                params = (mem0, decay, threshold, factor, bias)
                _membrane_forward(first, params, spikes, mem_seq, pre, rule, True)
            factor_grad = factor_only_gradient(grad_spk, pre, threshold, factor, needs[4])
            return (None, None, None, None, factor_grad[0], None, *factor_grad[1:], None)
        shape = first.shape[1:]
        steps = first.shape[0]
        theta_grad = needs[3] and (
            rule.mechanism == "subtract" or (surrogate and (grad_spk is not None or rule.corrects))
        )
        wanted = (needs[0], needs[1], needs[2], theta_grad, needs[4] and grad_spk is not None, needs[5])
        grad_x = POOL.empty(first.shape, first) if wanted[0] else None
        per_element = [first.new_empty(shape) if want else None for want in wanted[1:]]
        if ctx.record:
            x_seq, mem_seq, pre_seq = None, first, first if second is None else second
        else:
            x_seq, mem_seq, pre_seq = first, None, None
        membrane_backward(
            (grad_spk, grad_mem),
            (x_seq, mem_seq, pre_seq),
            (mem0, decay, threshold, factor, bias),
            rule,
            surrogate_code(ctx.derivative),
            (grad_x, *per_element),
            steps,
            shape,
            ctx.record,
        )
        targets = (
            ctx.mem0_shape,
            decay.shape,
            threshold.shape,
            factor.shape,
            None if bias is None else bias.shape,
        )
        grad_mem0, grad_decay, grad_theta, grad_factor, grad_bias = (
            reduce_to(tensor, target) for tensor, target in zip(per_element, targets)
        )
        return grad_x, grad_mem0, grad_decay, grad_theta, grad_factor, grad_bias, None, None, None


def _membrane_forward(
    x_seq: torch.Tensor,
    params: tuple[torch.Tensor, ...],
    spk_seq: torch.Tensor,
    mem_out: torch.Tensor,
    pre: torch.Tensor | None,
    rule: MembraneRule,
    record: bool,
) -> None:
    """Run ``scan.cpp``'s forward loop into the given outputs.

    ``params``: mem0, decay, threshold, factor and the input's bias (``None``: none).
    """
    shape = x_seq.shape[1:]
    flat, broadcast = _per_neuron(params[:4], shape)
    bias, period = _bias_argument(params[4], shape)
    _function("snnx_membrane_forward", x_seq.dtype)(
        x_seq.data_ptr(),
        *(tensor.data_ptr() for tensor in flat),
        _pointer(bias),
        spk_seq.data_ptr(),
        mem_out.data_ptr(),
        _pointer(pre),
        *_loop_arguments(x_seq.shape[0], shape, rule, record, broadcast, period),
    )


def membrane_backward(
    grads: tuple[torch.Tensor | None, torch.Tensor | None],
    saved: tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None],
    params: tuple[torch.Tensor, ...],
    rule: MembraneRule,
    surrogate: tuple[int, tuple[float, ...]],
    outputs: tuple[torch.Tensor | None, ...],
    steps: int,
    shape: torch.Size,
    record: bool,
) -> None:
    """Run ``scan.cpp``'s backward loop over ``steps`` steps of ``shape`` neurons into ``outputs``.

    ``grads``: the incoming gradients of the spikes and the membrane (``None``: none);
    ``saved``: the input, membrane and pre-reset sequences (the input alone without
    ``record``, the two sequences with it); ``params``: mem0, decay, threshold, factor
    and the input's bias (``None``: none); ``outputs``: per-element gradients of the
    input, mem0, decay, threshold, factor and bias (``None``: not wanted).
    """
    dtype = next(tensor for tensor in saved if tensor is not None).dtype
    spk_values, spk_time, spk_element = _gradient_input(grads[0], steps)
    mem_values, mem_time, mem_element = _gradient_input(grads[1], steps)
    flat, broadcast = _per_neuron(params[:4], shape)
    bias, period = _bias_argument(params[4], shape)
    kind, parameters = surrogate
    _function("snnx_membrane_backward", dtype)(
        _pointer(spk_values),
        spk_time,
        spk_element,
        _pointer(mem_values),
        mem_time,
        mem_element,
        *(_pointer(tensor) for tensor in saved),
        *(tensor.data_ptr() for tensor in flat),
        _pointer(bias),
        kind,
        ctypes.addressof(surrogate_parameters(parameters)),
        *(_pointer(tensor) for tensor in outputs),
        *_loop_arguments(steps, shape, rule, record, broadcast, period),
    )


class NativeDecayScan(torch.autograd.Function):
    """:class:`~snnx_torch.fused.scan.DecayScan` through ``scan.cpp``."""

    @staticmethod
    def forward(ctx, x_seq, state0, decay):
        shape = x_seq.shape[1:]
        steps, m = x_seq.shape[0], math.prod(shape)
        x_seq = x_seq.contiguous()
        out = POOL.empty(x_seq.shape, x_seq)
        flat, broadcast = _per_neuron((state0, decay), shape)
        _function("snnx_decay_forward", x_seq.dtype)(
            x_seq.data_ptr(),
            *(tensor.data_ptr() for tensor in flat),
            out.data_ptr(),
            steps,
            m,
            _threads(),
            broadcast,
        )
        ctx.save_for_backward(unless_zero(state0), out, decay)
        ctx.state0_shape = state0.shape
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        state0, out, decay = ctx.saved_tensors
        needs = ctx.needs_input_grad
        shape = out.shape[1:]
        steps, m = out.shape[0], math.prod(shape)
        state0 = out.new_zeros(()) if state0 is None else state0
        grad_x = POOL.empty(out.shape, out) if needs[0] else None
        grad_state0 = out.new_empty(shape) if needs[1] else None
        grad_decay = out.new_empty(shape) if needs[2] else None
        values, time_stride, element_stride = _gradient_input(grad_out, steps)
        flat, broadcast = _per_neuron((state0, decay), shape)
        _function("snnx_decay_backward", out.dtype)(
            values.data_ptr(),
            time_stride,
            element_stride,
            out.data_ptr(),
            *(tensor.data_ptr() for tensor in flat),
            _pointer(grad_x),
            _pointer(grad_state0),
            _pointer(grad_decay),
            steps,
            m,
            _threads(),
            broadcast,
        )
        return (
            grad_x,
            reduce_to(grad_state0, ctx.state0_shape),
            reduce_to(grad_decay, decay.shape),
        )
