r"""A ``Leaky`` neuron over a whole sequence straight into the compiled CPU scan.

:meth:`SpikingNeuron.forward_sequence` resolves states and parameters for any
kernel: a zero state as large as a step, every parameter converted to the input's
dtype, a view per recorded state. Each of those is a tensor operation, and on the
CPU, right after the large layer it follows, each costs tens of microseconds, as
much as the scan of a small layer. :func:`leaky_sequence` is the same run of

.. math::

    U[t] = \mathrm{clip}(\beta, 0, 1)\,U[t-1] + X[t] - R[t]\,\theta \ \text{(subtract; zero, none alike)},
    \qquad S[t] = g\,H(U[t] - \theta)

through :class:`~snnx_torch.fused.native.scans.NativeMembraneScan` with only the
checks and operations the scan needs: a fresh neuron starts from a single zero
(never a zero tensor as large as a step) and a decay that is a constant in
:math:`[0, 1]` is passed as it is (no clamp). The numbers and gradients are those
of the general path (tests compare the two); where any precondition fails it
returns ``None`` and the general path runs.
"""

from __future__ import annotations

from typing import Any

import torch

from snnx_torch.compat import is_compiling
from snnx_torch.fused.common import clamped, derivative_fn
from snnx_torch.fused.native.scans import NativeMembraneScan, membrane_usable, zero_scalar
from snnx_torch.fused.scan import LEAKY_RULES
from snnx_torch.fused.triton_kernels import interpreting


def leaky_sequence(
    neuron: Any, x_seq: torch.Tensor, record: bool, input_bias: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(spk_seq, mem)`` of ``neuron`` (a ``Leaky``) over ``x_seq [T, ...] + input_bias``, or ``None``.

    ``mem`` is every step's potential ``[T, ...]`` with ``record``, else the last
    step's ``[...]``. Runs from the neuron's stored potential (fresh or of one
    step's shape); the caller stores the new one. ``input_bias`` (``None``: none)
    is added to each step's input inside the scan, and gets its gradient there.
    ``None`` when the compiled scan does not apply: not the CPU, not float32/float64, ``torch.compile`` or the
    Triton interpreter active, the library not built, inhibition, ``state_quant``,
    a spike function without a C++ twin, or a state or parameter of another dtype
    or shape.
    """
    if is_compiling():  # torch.compile traces the general route (before any cache lookup below)
        return None
    if interpreting() or neuron.inhibition or neuron.state_quant:
        return None
    derivative = derivative_fn(neuron._spike)
    if derivative is None:
        return None
    mem = neuron.mem
    if mem.numel() == 0:
        mem = zero_scalar(x_seq.dtype)
    elif mem.shape != x_seq.shape[1:]:
        return None  # the general route names the stale state
    beta, threshold, factor = neuron.beta, neuron.threshold, neuron.graded_spikes_factor
    checked = (
        (mem, beta, threshold, factor) if input_bias is None else (mem, beta, threshold, factor, input_bias)
    )
    if not membrane_usable(x_seq, checked, derivative):
        return None
    rule = LEAKY_RULES[neuron.reset_mechanism, neuron.reset_delay]
    decay = _decay(beta)
    return NativeMembraneScan.apply(
        x_seq, mem, decay, threshold, factor, input_bias, rule, derivative, record
    )


def _decay(beta: torch.Tensor) -> torch.Tensor:
    r""":math:`\mathrm{clip}(\beta, 0, 1)`; ``beta`` itself when it is a constant already inside."""
    if beta.requires_grad or beta.numel() != 1 or not 0.0 <= float(beta) <= 1.0:
        return clamped(beta)
    return beta
