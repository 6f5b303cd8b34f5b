r"""Fused kernel of :class:`~snnx.specs.lapicque.LapicqueSpec`.

With :math:`a = 1 - \Delta t/(RC)` and the drive
:math:`D[t] = X[t]\,R\,\frac{1}{RC}\,\Delta t` (computed for all steps at once, in
the step's order of operations), :math:`U[t] = a\,U[t-1] + D[t] - R[t]\,\theta`
(subtract), :math:`(1 - R[t])(a\,U[t-1] + D[t])` (zero) or without reset: one
:func:`~snnx_torch.fused.scan.membrane_scan` with decay :math:`a` (not clamped;
Lapicque has no ``reset_delay``, so the reset always waits a step).
"""

from __future__ import annotations

from typing import Any

import torch

from snnx.specs.lapicque import LapicqueSpec
from snnx_torch.fused import register
from snnx_torch.fused.common import derivative_fn, plain_lif
from snnx_torch.fused.scan import MembraneRule, membrane_scan


class LapicqueKernel:
    """Runs a ``Lapicque`` neuron over all time steps (every option but inhibition and state_quant)."""

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
        r, c, dt = params["R"], params["C"], params["time_step"]
        drive = x_seq * r * (1 / (r * c)) * dt
        spk, mem_seq = membrane_scan(
            drive,
            mem.to(drive.dtype),
            1 - dt / (r * c),
            params["threshold"],
            params["graded_spikes_factor"],
            MembraneRule(config["reset_mechanism"], zero_input=True),
            derivative_fn(neuron._spike),
            record=record_states,
        )
        return spk, (mem_seq if record_states else mem_seq.unsqueeze(0),)


register(LapicqueSpec, LapicqueKernel())
