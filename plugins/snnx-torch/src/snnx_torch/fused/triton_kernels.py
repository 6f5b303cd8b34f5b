r"""Leaky and Synaptic over a whole sequence with Triton kernels (CUDA, or triton's CPU interpreter).

:func:`leaky_triton` and :func:`synaptic_triton` take the input ``x_seq [T, ...]``,
the states before step 0, the neuron's parameters (broadcastable to one step's
shape), the surrogate derivative :math:`\partial S/\partial u` as a callable
(:func:`~snnx_torch.fused.common.derivative_fn` of the neuron's spike function), the
reset mechanism and ``reset_delay``; they return ``(spk_seq, state_seqs)`` with every
state after each step, exactly as the step loop of ``snnx.Leaky`` / ``snnx.Synaptic``
computes them. The forward kernel keeps each neuron's states in registers across
the ``T`` steps; the backward kernel runs the adjoint recurrence in reverse time
(equations in :mod:`snnx_torch.fused.triton_jit`), so the gradient equals what
autograd gives the step loop. Saved for backward: the state sequences (outputs
anyway), the states before step 0, the parameters and, with a same-step reset
(``reset_delay=False``), the pre-reset membrane :math:`A[t]`. :math:`\partial S/\partial u`
is evaluated by torch at :math:`u = A[t] - \theta` in the backward pass.

Triton is optional: nothing here imports it until a kernel runs, and
:func:`use_triton` says whether one can.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from types import ModuleType

import torch
from torch.autograd.function import once_differentiable

from snnx_torch.compat import is_compiling
from snnx_torch.fused.common import DerivativeFn, clamped, state_shape

MECHANISM_CODES = {"subtract": 0, "zero": 1, "none": 2}
MIN_BLOCK, MAX_BLOCK = 16, 1024
_TRUE = ("1", "true", "yes", "on")


def interpreting() -> bool:
    """Whether ``SNNX_TRITON_INTERPRET`` or ``TRITON_INTERPRET`` asks for triton's CPU interpreter."""
    return any(
        os.environ.get(name, "").lower() in _TRUE for name in ("SNNX_TRITON_INTERPRET", "TRITON_INTERPRET")
    )


@functools.cache
def triton_importable() -> bool:
    return importlib.util.find_spec("triton") is not None


def use_triton(x: torch.Tensor) -> bool:
    """Whether the Triton kernels can run on ``x``: triton is installed and ``x`` is on CUDA
    (or the interpreter is asked for, which runs them on any device)."""
    if is_compiling():  # under torch.compile the pure-torch kernels trace cleanly
        return False
    return triton_importable() and (x.is_cuda or interpreting())


@functools.cache
def _kernels() -> ModuleType:
    """The ``@triton.jit`` kernels, compiled for the interpreter when one is asked for."""
    if interpreting():
        os.environ["TRITON_INTERPRET"] = "1"  # triton reads it when the kernels are decorated
    from snnx_torch.fused import triton_jit

    return triton_jit


def _launch(kernel, m: int, *args, **constants) -> None:
    """Run ``kernel`` with one program per block of neurons (a power of two covering ``m``, within bounds)."""
    block = min(MAX_BLOCK, max(MIN_BLOCK, 1 << (m - 1).bit_length()))
    grid = ((m + block - 1) // block,)
    kernel[grid](*args, BLOCK=block, num_warps=4, enable_fp_fusion=False, **constants)


def _options(mechanism: str, reset_delay: bool) -> dict[str, object]:
    if mechanism not in MECHANISM_CODES:
        raise ValueError(f"reset mechanism must be one of {tuple(MECHANISM_CODES)}, got {mechanism!r}.")
    return {"MECHANISM": MECHANISM_CODES[mechanism], "SAME_STEP": not reset_delay and mechanism != "none"}


def _surrogate(derivative: DerivativeFn, pre: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """:math:`\\partial S/\\partial u` at :math:`u = A - \\theta`, contiguous like ``pre``."""
    return derivative(pre - threshold).to(pre.dtype).expand_as(pre).contiguous()


class LeakySequence(torch.autograd.Function):
    """Leaky over ``T`` steps on flat contiguous tensors: ``x_seq [T, M]``, the rest ``[M]``."""

    @staticmethod
    def forward(ctx, x_seq, mem, beta, threshold, factor, derivative, mechanism, reset_delay):
        kernels, options = _kernels(), _options(mechanism, reset_delay)
        steps, m = x_seq.shape
        spk_seq, mem_seq = torch.empty_like(x_seq), torch.empty_like(x_seq)
        pre = torch.empty_like(x_seq) if options["SAME_STEP"] else mem_seq
        _launch(
            kernels.leaky_forward,
            m,
            x_seq,
            mem,
            beta,
            threshold,
            factor,
            spk_seq,
            mem_seq,
            pre,
            steps,
            m,
            **options,
        )
        ctx.save_for_backward(mem_seq, mem, pre, beta, threshold, factor)
        ctx.derivative, ctx.options = derivative, options
        return spk_seq, mem_seq

    @staticmethod
    @once_differentiable
    def backward(ctx, g_spk, g_mem):
        mem_seq, mem, pre, beta, threshold, factor = ctx.saved_tensors
        steps, m = mem_seq.shape
        sg = _surrogate(ctx.derivative, pre, threshold)
        g_x = torch.empty_like(mem_seq)
        g_mem0, g_beta, g_thr, g_factor = (torch.empty_like(mem) for _ in range(4))
        _launch(
            _kernels().leaky_backward,
            m,
            g_spk.contiguous(),
            g_mem.contiguous(),
            mem_seq,
            mem,
            pre,
            sg,
            beta,
            threshold,
            factor,
            g_x,
            g_mem0,
            g_beta,
            g_thr,
            g_factor,
            steps,
            (steps - 1) * m,
            m,
            **ctx.options,
        )
        return g_x, g_mem0, g_beta, g_thr, g_factor, None, None, None


class SynapticSequence(torch.autograd.Function):
    """Synaptic over ``T`` steps on flat contiguous tensors: ``x_seq [T, M]``, the rest ``[M]``."""

    @staticmethod
    def forward(ctx, x_seq, syn, mem, alpha, beta, threshold, factor, derivative, mechanism, reset_delay):
        kernels, options = _kernels(), _options(mechanism, reset_delay)
        steps, m = x_seq.shape
        spk_seq, syn_seq, mem_seq = (torch.empty_like(x_seq) for _ in range(3))
        pre = torch.empty_like(x_seq) if options["SAME_STEP"] else mem_seq
        _launch(
            kernels.synaptic_forward,
            m,
            x_seq,
            syn,
            mem,
            alpha,
            beta,
            threshold,
            factor,
            spk_seq,
            syn_seq,
            mem_seq,
            pre,
            steps,
            m,
            **options,
        )
        ctx.save_for_backward(syn_seq, mem_seq, syn, mem, pre, alpha, beta, threshold, factor)
        ctx.derivative, ctx.options = derivative, options
        return spk_seq, syn_seq, mem_seq

    @staticmethod
    @once_differentiable
    def backward(ctx, g_spk, g_syn, g_mem):
        syn_seq, mem_seq, syn, mem, pre, alpha, beta, threshold, factor = ctx.saved_tensors
        steps, m = mem_seq.shape
        sg = _surrogate(ctx.derivative, pre, threshold)
        g_x = torch.empty_like(mem_seq)
        g_syn0, g_mem0, g_alpha, g_beta, g_thr, g_factor = (torch.empty_like(mem) for _ in range(6))
        _launch(
            _kernels().synaptic_backward,
            m,
            g_spk.contiguous(),
            g_syn.contiguous(),
            g_mem.contiguous(),
            syn_seq,
            mem_seq,
            syn,
            mem,
            pre,
            sg,
            alpha,
            beta,
            threshold,
            factor,
            g_x,
            g_syn0,
            g_mem0,
            g_alpha,
            g_beta,
            g_thr,
            g_factor,
            steps,
            (steps - 1) * m,
            m,
            **ctx.options,
        )
        return g_x, g_syn0, g_mem0, g_alpha, g_beta, g_thr, g_factor, None, None, None


def _flat(value: torch.Tensor, x_seq: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """``value`` broadcast to one step's ``shape``, flattened to ``[M]`` in the input's dtype."""
    return value.to(x_seq.dtype).expand(shape).reshape(-1).contiguous()


def _flat_seq(x_seq: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """``x_seq [T, ...]`` broadcast to ``[T, *shape]`` and flattened to ``[T, M]``."""
    if x_seq.dim() < 2 or x_seq.shape[0] == 0:
        raise ValueError(f"expected x_seq of shape [time >= 1, ...], got {tuple(x_seq.shape)}.")
    return x_seq.expand(x_seq.shape[0], *shape).reshape(x_seq.shape[0], -1).contiguous()


def leaky_triton(
    x_seq: torch.Tensor,
    mem: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    graded_spikes_factor: torch.Tensor,
    derivative: DerivativeFn,
    mechanism: str,
    reset_delay: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
    r"""``(spk_seq, (mem_seq,))`` of :class:`~snnx.specs.leaky.LeakySpec` over all steps of ``x_seq``.

    :math:`U[t] = \mathrm{clip}(\beta, 0, 1)\,U[t-1] + X[t] - R[t]\theta` (subtract; see the
    spec for zero/none), :math:`S[t] = g H(U[t] - \theta)`; ``mem`` is :math:`U[-1]`. Parameters
    are the neuron's own (``beta`` unclamped), broadcastable against one step of ``x_seq``.
    """
    shape = state_shape(x_seq, mem, beta, threshold, graded_spikes_factor)
    spk_seq, mem_seq = LeakySequence.apply(
        _flat_seq(x_seq, shape),
        _flat(mem, x_seq, shape),
        _flat(clamped(beta), x_seq, shape),
        _flat(threshold, x_seq, shape),
        _flat(graded_spikes_factor, x_seq, shape),
        derivative,
        mechanism,
        reset_delay,
    )
    out = (x_seq.shape[0], *shape)
    return spk_seq.view(out), (mem_seq.view(out),)


def synaptic_triton(
    x_seq: torch.Tensor,
    syn: torch.Tensor,
    mem: torch.Tensor,
    alpha: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    graded_spikes_factor: torch.Tensor,
    derivative: DerivativeFn,
    mechanism: str,
    reset_delay: bool,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    r"""``(spk_seq, (syn_seq, mem_seq))`` of :class:`~snnx.specs.synaptic.SynapticSpec` over ``x_seq``.

    :math:`I[t] = \mathrm{clip}(\alpha, 0, 1)\,I[t-1] + X[t]`,
    :math:`U[t] = \mathrm{clip}(\beta, 0, 1)\,U[t-1] + I[t] - R[t]\theta` (subtract; see the
    spec for zero/none), :math:`S[t] = g H(U[t] - \theta)`; ``syn``, ``mem`` are the states
    before step 0. Parameters as for :func:`leaky_triton`.
    """
    shape = state_shape(x_seq, syn, mem, alpha, beta, threshold, graded_spikes_factor)
    spk_seq, syn_seq, mem_seq = SynapticSequence.apply(
        _flat_seq(x_seq, shape),
        _flat(syn, x_seq, shape),
        _flat(mem, x_seq, shape),
        _flat(clamped(alpha), x_seq, shape),
        _flat(clamped(beta), x_seq, shape),
        _flat(threshold, x_seq, shape),
        _flat(graded_spikes_factor, x_seq, shape),
        derivative,
        mechanism,
        reset_delay,
    )
    out = (x_seq.shape[0], *shape)
    return spk_seq.view(out), (syn_seq.view(out), mem_seq.view(out))
