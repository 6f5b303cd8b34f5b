"""``snnx.LeakyParallel`` on torch: leaky neurons as one ReLU ``nn.RNN`` over the whole sequence."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from snnx.specs.leakyparallel import LeakyParallelSpec
from snnx_torch.neurons.sequence import SequenceNeuron
from snnx_torch.ops import OPS


class LeakyParallel(SequenceNeuron):
    __doc__ = (
        LeakyParallelSpec.__doc__
        + """
    Called as ``spk = neuron(input_)`` on ``input_`` of shape ``[time, batch,
    input_size]``. Arguments, defaults and ``state_dict`` names follow snnTorch 1.0;
    the recurrence runs in torch's ``nn.RNN`` kernel (cuDNN on GPUs).
    """
    )

    spec = LeakyParallelSpec

    def build_layers(self, config: dict[str, Any], dtype: torch.dtype | None) -> None:
        self.rnn = nn.RNN(
            config["input_size"],
            config["hidden_size"],
            num_layers=1,
            nonlinearity="relu",
            bias=config["bias"],
            batch_first=False,
            dropout=config["dropout"],
            device=config["device"],
            dtype=dtype,
        )
        self.rnn.weight_hh_l0.requires_grad_(bool(config["learn_beta"]))

    def membrane(
        self, x: torch.Tensor, params: dict[str, torch.Tensor], config: dict[str, Any]
    ) -> torch.Tensor:
        weights = {
            name.removeprefix("rnn."): value.to(x.dtype)
            for name, value in params.items()
            if name.startswith("rnn.")
        }
        weights["weight_hh_l0"] = self.spec.recurrent_weight(OPS, weights["weight_hh_l0"], config)
        mem, _ = functional_call(self.rnn, weights, (x,))
        return mem
