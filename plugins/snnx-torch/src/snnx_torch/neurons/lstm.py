"""``snnx.SLSTM`` and ``snnx.SConv2dLSTM`` on torch: spiking LSTM cells."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from snnx.specs.lstm import SConv2dLSTMSpec, SLSTMSpec
from snnx.specs.recurrent import kernel_pair
from snnx_torch.neurons.base import SpikingNeuron


class SLSTM(SpikingNeuron):
    """Spiking LSTM; called as ``spk, syn, mem = neuron(input_, syn, mem)``.

    The gates' weights live in ``lstm_cell`` (a ``torch.nn.LSTMCell``). See
    :class:`snnx.specs.lstm.SLSTMSpec` for the update.
    """

    spec = SLSTMSpec

    def build_layers(self, config: dict[str, Any]) -> None:
        self.lstm_cell = nn.LSTMCell(config["input_size"], config["hidden_size"], bias=config["bias"])

    def forward(self, input_: torch.Tensor, syn: torch.Tensor | None = None, mem: torch.Tensor | None = None):
        return self._advance(input_, (syn, mem))


class SConv2dLSTM(SpikingNeuron):
    """Spiking convolutional LSTM; called as ``spk, syn, mem = neuron(input_, syn, mem)``.

    The gates' weights live in ``conv`` (a ``torch.nn.Conv2d``). See
    :class:`snnx.specs.lstm.SConv2dLSTMSpec` for the update.
    """

    spec = SConv2dLSTMSpec

    def build_layers(self, config: dict[str, Any]) -> None:
        kernel = kernel_pair(config["kernel_size"])
        self.conv = nn.Conv2d(
            config["in_channels"] + config["out_channels"],
            4 * config["out_channels"],
            kernel,
            padding=(kernel[0] // 2, kernel[1] // 2),
            bias=config["bias"],
        )

    def forward(self, input_: torch.Tensor, syn: torch.Tensor | None = None, mem: torch.Tensor | None = None):
        return self._advance(input_, (syn, mem))
