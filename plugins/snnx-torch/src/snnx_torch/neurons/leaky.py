"""``snnx.Leaky`` on torch: the first-order leaky integrate-and-fire neuron."""

from __future__ import annotations

import torch

from snnx.specs.leaky import LeakySpec
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
