"""``snnx.Leaky`` on torch: the first-order leaky integrate-and-fire neuron."""

from __future__ import annotations

from typing import Any

import torch

from snnx.specs.leaky import LeakySpec
from snnx_torch.fused.leaky_sequence import leaky_sequence
from snnx_torch.fused.leaky_step import leaky_step
from snnx_torch.neurons.base import SpikingNeuron


class Leaky(SpikingNeuron):
    __doc__ = (
        LeakySpec.__doc__
        + """
    Called as ``spk, mem = lif(input_, mem)`` (``mem`` optional: the neuron keeps
    its own state), or ``spk = lif(input_)`` with ``init_hidden=True`` unless
    ``output=True``. Arguments, defaults and parameter names follow snnTorch 1.0.
    """
    )

    spec = LeakySpec

    def forward(self, input_: torch.Tensor, mem: torch.Tensor | None = None):
        return self._advance(input_, (mem,))

    def fast_step(
        self,
        x: torch.Tensor,
        states: tuple[torch.Tensor, ...],
        params: dict[str, torch.Tensor],
        config: dict[str, Any],
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]] | None:
        """One step as one compiled call on the CPU (:mod:`snnx_torch.fused.leaky_step`) when it applies."""
        result = leaky_step(self._spike, x, states[0], params, config)
        return None if result is None else (result[0], (result[1],))

    def fast_sequence(
        self, x_seq: torch.Tensor, record_states: bool, input_bias: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]] | None:
        """All steps in one compiled CPU scan (:mod:`snnx_torch.fused.leaky_sequence`) when it applies."""
        result = leaky_sequence(self, x_seq, record_states, input_bias)
        return None if result is None else (result[0], (result[1],))
