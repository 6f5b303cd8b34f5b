r"""Triton kernels running Leaky and Synaptic over all time steps (imported only where triton is).

Each program owns ``BLOCK`` neurons of the flattened state ``[M]`` and loops over
time, so a neuron's states stay in registers and each step reads ``x[t]`` and
writes ``spk[t]`` and the states once. Tensors are contiguous ``[T, M]``; the
parameters are already clamped and broadcast to ``[M]``. With the detached reset
:math:`R[t] = H(U[t-1] - \theta)`, pre-fire membrane :math:`A[t]`, firing
:math:`F[t] = H(A[t] - \theta)` and same-step flag :math:`d` (``reset_delay=False``):

.. math::

    U[t] = A[t] - d\,(F[t] - R[t])\,(\theta \text{ or } A[t]),\qquad S[t] = g\,F[t]

Leaky: :math:`A = \beta U[t-1] + X - R\theta` (subtract), :math:`\beta (1-R) U[t-1] + X`
(zero). Synaptic: :math:`I = \alpha I[t-1] + X`, :math:`B = \beta U[t-1] + I`,
:math:`A = B - R\theta` (subtract) or :math:`(1-R) B` (zero). The arithmetic follows
the spec's step operation by operation (no fused multiply-add at launch), so the
spikes equal the step loop's.

The backward kernels run the adjoint recurrence from :math:`t = T-1` down to 0. With
:math:`G_U = \partial L/\partial U[t]` (output gradient plus what step :math:`t+1`
sends back), surrogate :math:`\sigma = \partial F/\partial u` at :math:`u = A - \theta`:

.. math::

    g_u = g\,\sigma\,\partial L/\partial S - d\,\sigma\,(\theta \text{ or } A)\,G_U,\qquad
    g_A = G_U\,(1 - d\,(F - R)\,[\text{zero}]) + g_u

    \partial L/\partial\theta \mathrel{+}= -g_u - d\,(F-R)\,G_U\,[\text{subtract}] - R\,g_A\,[\text{subtract}]

Leaky sends :math:`\beta (1 - R [\text{zero}])\,g_A` to :math:`U[t-1]` and adds
:math:`(1 - R [\text{zero}])\,g_A\,U[t-1]` to :math:`\partial L/\partial\beta`; Synaptic
does the same with :math:`g_B = (1 - R [\text{zero}])\,g_A`, and :math:`g_I = \partial L/\partial I[t] + g_B`
(plus :math:`\alpha g_I` from step :math:`t+1`) is :math:`\partial L/\partial X[t]`, adding
:math:`g_I I[t-1]` to :math:`\partial L/\partial\alpha`.
"""

# ruff: noqa: N803  (compile-time constants are upper case, as in triton's own kernels)
from __future__ import annotations

import triton
import triton.language as tl

SUBTRACT: tl.constexpr = tl.constexpr(0)
ZERO: tl.constexpr = tl.constexpr(1)
NONE: tl.constexpr = tl.constexpr(2)


@triton.jit
def _fire(pre, reset, thr, g, MECHANISM: tl.constexpr, SAME_STEP: tl.constexpr):
    """``(spike, state)``: :math:`S = g H(A - \\theta)` and the membrane after a same-step reset."""
    fired = ((pre - thr) > 0).to(pre.dtype)
    mem = pre
    if SAME_STEP:
        if MECHANISM == SUBTRACT:
            mem = pre - (fired - reset) * thr
        elif MECHANISM == ZERO:
            mem = pre - (fired - reset) * pre
    return fired * g, mem


@triton.jit
def _reset_of(mem, thr, MECHANISM: tl.constexpr):
    """:math:`R = H(U - \\theta)`, or zero when nothing resets."""
    if MECHANISM == NONE:
        return tl.zeros_like(mem)
    return ((mem - thr) > 0).to(mem.dtype)


@triton.jit
def _membrane_adjoint(
    g_spk_ptr,
    g_mem_ptr,
    pre_ptr,
    sg_ptr,
    step,
    mask,
    carry,
    prev,
    thr,
    g,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
):
    """``(g_A, R, g_theta, g_g)`` of the step at ``step``; ``carry``: what step t+1 sends ``U[t]``."""
    pre = tl.load(pre_ptr + step, mask=mask, other=0.0)
    sg = tl.load(sg_ptr + step, mask=mask, other=0.0)
    g_spk = tl.load(g_spk_ptr + step, mask=mask, other=0.0)
    g_state = tl.load(g_mem_ptr + step, mask=mask, other=0.0) + carry
    reset = _reset_of(prev, thr, MECHANISM)
    fired = ((pre - thr) > 0).to(pre.dtype)
    g_u = g_spk * g * sg
    g_pre = g_state
    g_thr = tl.zeros_like(pre)
    if SAME_STEP:
        correction = fired - reset
        if MECHANISM == SUBTRACT:
            g_u = g_u - g_state * sg * thr
            g_thr = -g_state * correction
        elif MECHANISM == ZERO:
            g_u = g_u - g_state * sg * pre
            g_pre = g_state * (1.0 - correction)
    g_pre = g_pre + g_u
    g_thr = g_thr - g_u
    if MECHANISM == SUBTRACT:
        g_thr = g_thr - reset * g_pre
    return g_pre, reset, g_thr, g_spk * fired


@triton.jit
def _leaky_adjoint(
    g_spk_ptr,
    g_mem_ptr,
    pre_ptr,
    sg_ptr,
    g_x_ptr,
    step,
    mask,
    carry,
    prev,
    beta,
    thr,
    g,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
):
    """One Leaky step back: stores ``dL/dX[t]``; ``(carry to U[t-1], g_beta, g_theta, g_g)``."""
    g_pre, reset, g_thr, g_g = _membrane_adjoint(
        g_spk_ptr, g_mem_ptr, pre_ptr, sg_ptr, step, mask, carry, prev, thr, g, MECHANISM, SAME_STEP
    )
    tl.store(g_x_ptr + step, g_pre, mask=mask)
    if MECHANISM == ZERO:
        g_pre = g_pre * (1.0 - reset)
    return g_pre * beta, g_pre * prev, g_thr, g_g


@triton.jit
def _synaptic_adjoint(
    g_spk_ptr,
    g_syn_ptr,
    g_mem_ptr,
    pre_ptr,
    sg_ptr,
    g_x_ptr,
    step,
    mask,
    carry_syn,
    carry_mem,
    prev_syn,
    prev_mem,
    alpha,
    beta,
    thr,
    g,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
):
    """One Synaptic step back: stores ``dL/dX[t]``; carries to ``I[t-1]``, ``U[t-1]`` and parameter terms."""
    g_pre, reset, g_thr, g_g = _membrane_adjoint(
        g_spk_ptr,
        g_mem_ptr,
        pre_ptr,
        sg_ptr,
        step,
        mask,
        carry_mem,
        prev_mem,
        thr,
        g,
        MECHANISM,
        SAME_STEP,
    )
    if MECHANISM == ZERO:
        g_pre = g_pre * (1.0 - reset)
    g_syn = tl.load(g_syn_ptr + step, mask=mask, other=0.0) + carry_syn + g_pre
    tl.store(g_x_ptr + step, g_syn, mask=mask)
    return g_syn * alpha, g_pre * beta, g_syn * prev_syn, g_pre * prev_mem, g_thr, g_g


@triton.jit
def leaky_forward(
    x_ptr,
    mem0_ptr,
    beta_ptr,
    thr_ptr,
    g_ptr,
    spk_ptr,
    mem_ptr,
    pre_ptr,
    steps,
    m,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Leaky over ``T`` steps: writes ``spk[t]``, ``mem[t]`` and (same-step reset) ``pre[t] = A[t]``."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < m
    mem = tl.load(mem0_ptr + offs, mask=mask, other=0.0)
    beta = tl.load(beta_ptr + offs, mask=mask, other=0.0)
    thr = tl.load(thr_ptr + offs, mask=mask, other=1.0)
    g = tl.load(g_ptr + offs, mask=mask, other=1.0)
    step = offs.to(tl.int64)
    for _ in range(steps):
        x = tl.load(x_ptr + step, mask=mask, other=0.0)
        reset = _reset_of(mem, thr, MECHANISM)
        if MECHANISM == ZERO:
            mem = (1.0 - reset) * mem
        pre = beta * mem + x
        if MECHANISM == SUBTRACT:
            pre = pre - reset * thr
        spk, mem = _fire(pre, reset, thr, g, MECHANISM, SAME_STEP)
        tl.store(spk_ptr + step, spk, mask=mask)
        tl.store(mem_ptr + step, mem, mask=mask)
        if SAME_STEP:
            tl.store(pre_ptr + step, pre, mask=mask)
        step += m


@triton.jit
def leaky_backward(
    g_spk_ptr,
    g_mem_ptr,
    mem_ptr,
    mem0_ptr,
    pre_ptr,
    sg_ptr,
    beta_ptr,
    thr_ptr,
    g_ptr,
    g_x_ptr,
    g_mem0_ptr,
    g_beta_ptr,
    g_thr_ptr,
    g_g_ptr,
    steps,
    last,
    m,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Leaky's adjoint from ``t = T-1`` to 0 (``last = (T-1) m``); parameter gradients per neuron."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < m
    beta = tl.load(beta_ptr + offs, mask=mask, other=0.0)
    thr = tl.load(thr_ptr + offs, mask=mask, other=1.0)
    g = tl.load(g_ptr + offs, mask=mask, other=1.0)
    mem0 = tl.load(mem0_ptr + offs, mask=mask, other=0.0)
    carry = tl.zeros_like(mem0)
    acc_beta = tl.zeros_like(mem0)
    acc_thr = tl.zeros_like(mem0)
    acc_g = tl.zeros_like(mem0)
    step = last + offs
    for _ in range(steps - 1):
        prev = tl.load(mem_ptr + step - m, mask=mask, other=0.0)
        carry, d_beta, d_thr, d_g = _leaky_adjoint(
            g_spk_ptr,
            g_mem_ptr,
            pre_ptr,
            sg_ptr,
            g_x_ptr,
            step,
            mask,
            carry,
            prev,
            beta,
            thr,
            g,
            MECHANISM,
            SAME_STEP,
        )
        acc_beta += d_beta
        acc_thr += d_thr
        acc_g += d_g
        step -= m
    carry, d_beta, d_thr, d_g = _leaky_adjoint(
        g_spk_ptr,
        g_mem_ptr,
        pre_ptr,
        sg_ptr,
        g_x_ptr,
        step,
        mask,
        carry,
        mem0,
        beta,
        thr,
        g,
        MECHANISM,
        SAME_STEP,
    )
    tl.store(g_mem0_ptr + offs, carry, mask=mask)
    tl.store(g_beta_ptr + offs, acc_beta + d_beta, mask=mask)
    tl.store(g_thr_ptr + offs, acc_thr + d_thr, mask=mask)
    tl.store(g_g_ptr + offs, acc_g + d_g, mask=mask)


@triton.jit
def synaptic_forward(
    x_ptr,
    syn0_ptr,
    mem0_ptr,
    alpha_ptr,
    beta_ptr,
    thr_ptr,
    g_ptr,
    spk_ptr,
    syn_ptr,
    mem_ptr,
    pre_ptr,
    steps,
    m,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Synaptic over ``T`` steps: writes ``spk[t]``, ``syn[t]``, ``mem[t]`` and (same-step) ``A[t]``."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < m
    syn = tl.load(syn0_ptr + offs, mask=mask, other=0.0)
    mem = tl.load(mem0_ptr + offs, mask=mask, other=0.0)
    alpha = tl.load(alpha_ptr + offs, mask=mask, other=0.0)
    beta = tl.load(beta_ptr + offs, mask=mask, other=0.0)
    thr = tl.load(thr_ptr + offs, mask=mask, other=1.0)
    g = tl.load(g_ptr + offs, mask=mask, other=1.0)
    step = offs.to(tl.int64)
    for _ in range(steps):
        x = tl.load(x_ptr + step, mask=mask, other=0.0)
        reset = _reset_of(mem, thr, MECHANISM)
        syn = alpha * syn + x
        pre = beta * mem + syn
        if MECHANISM == SUBTRACT:
            pre = pre - reset * thr
        elif MECHANISM == ZERO:
            pre = pre - reset * pre
        spk, mem = _fire(pre, reset, thr, g, MECHANISM, SAME_STEP)
        tl.store(spk_ptr + step, spk, mask=mask)
        tl.store(syn_ptr + step, syn, mask=mask)
        tl.store(mem_ptr + step, mem, mask=mask)
        if SAME_STEP:
            tl.store(pre_ptr + step, pre, mask=mask)
        step += m


@triton.jit
def synaptic_backward(
    g_spk_ptr,
    g_syn_ptr,
    g_mem_ptr,
    syn_ptr,
    mem_ptr,
    syn0_ptr,
    mem0_ptr,
    pre_ptr,
    sg_ptr,
    alpha_ptr,
    beta_ptr,
    thr_ptr,
    g_ptr,
    g_x_ptr,
    g_syn0_ptr,
    g_mem0_ptr,
    g_alpha_ptr,
    g_beta_ptr,
    g_thr_ptr,
    g_g_ptr,
    steps,
    last,
    m,
    MECHANISM: tl.constexpr,
    SAME_STEP: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Synaptic's adjoint from ``t = T-1`` to 0 (``last = (T-1) m``); parameter gradients per neuron."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < m
    alpha = tl.load(alpha_ptr + offs, mask=mask, other=0.0)
    beta = tl.load(beta_ptr + offs, mask=mask, other=0.0)
    thr = tl.load(thr_ptr + offs, mask=mask, other=1.0)
    g = tl.load(g_ptr + offs, mask=mask, other=1.0)
    syn0 = tl.load(syn0_ptr + offs, mask=mask, other=0.0)
    mem0 = tl.load(mem0_ptr + offs, mask=mask, other=0.0)
    carry_syn = tl.zeros_like(mem0)
    carry_mem = tl.zeros_like(mem0)
    acc_alpha = tl.zeros_like(mem0)
    acc_beta = tl.zeros_like(mem0)
    acc_thr = tl.zeros_like(mem0)
    acc_g = tl.zeros_like(mem0)
    step = last + offs
    for _ in range(steps - 1):
        prev_syn = tl.load(syn_ptr + step - m, mask=mask, other=0.0)
        prev_mem = tl.load(mem_ptr + step - m, mask=mask, other=0.0)
        carry_syn, carry_mem, d_alpha, d_beta, d_thr, d_g = _synaptic_adjoint(
            g_spk_ptr,
            g_syn_ptr,
            g_mem_ptr,
            pre_ptr,
            sg_ptr,
            g_x_ptr,
            step,
            mask,
            carry_syn,
            carry_mem,
            prev_syn,
            prev_mem,
            alpha,
            beta,
            thr,
            g,
            MECHANISM,
            SAME_STEP,
        )
        acc_alpha += d_alpha
        acc_beta += d_beta
        acc_thr += d_thr
        acc_g += d_g
        step -= m
    carry_syn, carry_mem, d_alpha, d_beta, d_thr, d_g = _synaptic_adjoint(
        g_spk_ptr,
        g_syn_ptr,
        g_mem_ptr,
        pre_ptr,
        sg_ptr,
        g_x_ptr,
        step,
        mask,
        carry_syn,
        carry_mem,
        syn0,
        mem0,
        alpha,
        beta,
        thr,
        g,
        MECHANISM,
        SAME_STEP,
    )
    tl.store(g_syn0_ptr + offs, carry_syn, mask=mask)
    tl.store(g_mem0_ptr + offs, carry_mem, mask=mask)
    tl.store(g_alpha_ptr + offs, acc_alpha + d_alpha, mask=mask)
    tl.store(g_beta_ptr + offs, acc_beta + d_beta, mask=mask)
    tl.store(g_thr_ptr + offs, acc_thr + d_thr, mask=mask)
    tl.store(g_g_ptr + offs, acc_g + d_g, mask=mask)
