r"""Fused kernel of :class:`~snnx.specs.leaky.LeakySpec`.

:math:`U[t] = \mathrm{clip}(\beta, 0, 1)\,U[t-1] + X[t] - R[t]\,\theta` (subtract),
:math:`\mathrm{clip}(\beta, 0, 1)\,(1 - R[t])\,U[t-1] + X[t]` (zero) or without reset
(none), :math:`S[t] = g\,H(U[t] - \theta)`, with ``reset_delay=False``'s same-step
correction: one :func:`~snnx_torch.fused.scan.membrane_scan`.
"""

from __future__ import annotations

from typing import Any

import torch

from snnx.specs.leaky import LeakySpec
from snnx_torch.fused import register
from snnx_torch.fused.common import clamped, derivative_fn, plain_lif
from snnx_torch.fused.scan import MembraneRule, membrane_scan
from snnx_torch.fused.triton_kernels import leaky_triton, use_triton


class LeakyKernel:
    """Runs a ``Leaky`` neuron over all time steps (every option but inhibition and state_quant)."""

    def supports(self, neuron: Any, config: dict[str, Any]) -> bool:
        return plain_lif(neuron, config)

    def run(
        self,
        neuron: Any,
        x_seq: torch.Tensor,
        states: tuple[torch.Tensor, ...],
        params: dict[str, torch.Tensor],
        config: dict[str, Any],
        record_states: bool = True,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        (mem,) = states
        if use_triton(x_seq):
            return leaky_triton(
                x_seq,
                mem,
                params["beta"],
                params["threshold"],
                params["graded_spikes_factor"],
                derivative_fn(neuron._spike),
                config["reset_mechanism"],
                config.get("reset_delay", True),
            )
        rule = MembraneRule(config["reset_mechanism"], config.get("reset_delay", True))
        spk, mem_seq = membrane_scan(
            x_seq,
            mem.to(x_seq.dtype),
            clamped(params["beta"]),
            params["threshold"],
            params["graded_spikes_factor"],
            rule,
            derivative_fn(neuron._spike),
            record=record_states,
        )
        return spk, (mem_seq if record_states else mem_seq.unsqueeze(0),)


register(LeakySpec, LeakyKernel())
