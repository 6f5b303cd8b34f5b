"""``snnx.Lapicque`` on torch: the RC-circuit neuron."""

from __future__ import annotations

import torch

from snnx.specs.lapicque import LapicqueSpec
from snnx_torch.neurons.base import SpikingNeuron


class Lapicque(SpikingNeuron):
    """Lapicque's RC neuron; called as ``spk, mem = neuron(input_, mem)``.

    See :class:`snnx.specs.lapicque.LapicqueSpec` for the update and how ``beta``,
    ``R``, ``C`` and ``time_step`` relate.
    """

    spec = LapicqueSpec

    def forward(self, input_: torch.Tensor, mem: torch.Tensor | None = None):
        return self._advance(input_, (mem,))
