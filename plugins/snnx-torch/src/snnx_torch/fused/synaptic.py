r"""Fused kernel of :class:`~snnx.specs.synaptic.SynapticSpec`.

The current :math:`I[t] = \mathrm{clip}(\alpha, 0, 1)\,I[t-1] + X[t]` never resets,
so it is a :func:`~snnx_torch.fused.scan.decay_scan` of the input; the membrane
:math:`U[t] = \mathrm{clip}(\beta, 0, 1)\,U[t-1] + I[t] - R[t]\,\theta` (subtract),
:math:`(1 - R[t])(\mathrm{clip}(\beta, 0, 1)\,U[t-1] + I[t])` (zero) or without reset,
is a :func:`~snnx_torch.fused.scan.membrane_scan` driven by :math:`I`. Autograd
chains the two hand-written backward passes.
"""

from __future__ import annotations

from typing import Any

import torch

from snnx.specs.synaptic import SynapticSpec
from snnx_torch.fused import register
from snnx_torch.fused.common import clamped, derivative_fn, plain_lif
from snnx_torch.fused.scan import MembraneRule, decay_scan, membrane_scan
from snnx_torch.fused.triton_kernels import synaptic_triton, use_triton


class SynapticKernel:
    """Runs a ``Synaptic`` neuron over all time steps (every option but inhibition and state_quant)."""

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
        syn, mem = states
        if use_triton(x_seq):
            return synaptic_triton(
                x_seq,
                syn,
                mem,
                params["alpha"],
                params["beta"],
                params["threshold"],
                params["graded_spikes_factor"],
                derivative_fn(neuron._spike),
                config["reset_mechanism"],
                config.get("reset_delay", True),
            )
        syn_seq = decay_scan(x_seq, syn.to(x_seq.dtype), clamped(params["alpha"]))
        rule = MembraneRule(config["reset_mechanism"], config.get("reset_delay", True), zero_input=True)
        spk, mem_seq = membrane_scan(
            syn_seq,
            mem.to(x_seq.dtype),
            clamped(params["beta"]),
            params["threshold"],
            params["graded_spikes_factor"],
            rule,
            derivative_fn(neuron._spike),
            record=record_states,
        )
        return spk, (syn_seq, mem_seq if record_states else mem_seq.unsqueeze(0))


register(SynapticSpec, SynapticKernel())
