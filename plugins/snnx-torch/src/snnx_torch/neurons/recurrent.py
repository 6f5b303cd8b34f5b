"""``snnx.RLeaky`` and ``snnx.RSynaptic`` on torch: neurons fed back their own spikes."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from snnx.specs.recurrent import RLeakySpec, RSynapticSpec, kernel_pair, recurrent_layout
from snnx_torch.neurons.base import SpikingNeuron


class OneToOne(nn.Module):
    """Recurrence with one weight per neuron: ``V * spikes`` (``V`` shared with the neuron)."""

    def __init__(self, V: torch.Tensor) -> None:  # noqa: N803 - snnTorch's name for the weight
        super().__init__()
        self.V = V

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        return spikes * self.V


class _Recurrent(SpikingNeuron):
    def build_layers(self, config: dict[str, Any]) -> None:
        layout = recurrent_layout(config)
        if layout == "linear":
            self.recurrent = nn.Linear(config["linear_features"], config["linear_features"])
        elif layout == "conv2d":
            kernel = kernel_pair(config["kernel_size"])
            channels = config["conv2d_channels"]
            self.recurrent = nn.Conv2d(channels, channels, kernel, padding=(kernel[0] // 2, kernel[1] // 2))
        else:
            self.recurrent = OneToOne(self.V)
        if not config["learn_recurrent"]:
            for weight in self.recurrent.parameters():
                weight.requires_grad_(False)


class RLeaky(_Recurrent):
    """Recurrent LIF neuron; called as ``spk, mem = neuron(input_, spk, mem)``.

    See :class:`snnx.specs.recurrent.RLeakySpec` for the update equations.
    """

    spec = RLeakySpec

    def forward(self, input_: torch.Tensor, spk: torch.Tensor | None = None, mem: torch.Tensor | None = None):
        return self._advance(input_, (spk, mem))


class RSynaptic(_Recurrent):
    """Recurrent current-based LIF neuron; called as ``spk, syn, mem = neuron(input_, spk, syn, mem)``.

    See :class:`snnx.specs.recurrent.RSynapticSpec` for the update equations.
    """

    spec = RSynapticSpec

    def forward(
        self,
        input_: torch.Tensor,
        spk: torch.Tensor | None = None,
        syn: torch.Tensor | None = None,
        mem: torch.Tensor | None = None,
    ):
        return self._advance(input_, (spk, syn, mem))
