"""``snnx.Synaptic`` and ``snnx.Alpha`` on torch: neurons with synaptic currents."""

from __future__ import annotations

import torch

from snnx.specs.alpha import AlphaSpec
from snnx.specs.synaptic import SynapticSpec
from snnx_torch.neurons.base import SpikingNeuron


class Synaptic(SpikingNeuron):
    """Current-based LIF neuron; called as ``spk, syn, mem = neuron(input_, syn, mem)``.

    See :class:`snnx.specs.synaptic.SynapticSpec` for the update equations.
    """

    spec = SynapticSpec

    def forward(self, input_: torch.Tensor, syn: torch.Tensor | None = None, mem: torch.Tensor | None = None):
        return self._advance(input_, (syn, mem))


class Alpha(SpikingNeuron):
    """Alpha-kernel neuron; called as ``spk, syn_exc, syn_inh, mem = neuron(input_, ...)``.

    See :class:`snnx.specs.alpha.AlphaSpec` for the update equations.
    """

    spec = AlphaSpec

    def forward(
        self,
        input_: torch.Tensor,
        syn_exc: torch.Tensor | None = None,
        syn_inh: torch.Tensor | None = None,
        mem: torch.Tensor | None = None,
    ):
        return self._advance(input_, (syn_exc, syn_inh, mem))
