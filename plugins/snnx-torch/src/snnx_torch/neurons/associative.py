"""``snnx.AssociativeLeaky`` on torch: a spiking associative memory with a matrix state."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from snnx.specs.associative import AssociativeLeakySpec
from snnx_torch.neurons.sequence import SequenceNeuron


class AssociativeLeaky(SequenceNeuron):
    __doc__ = (
        AssociativeLeakySpec.__doc__
        + """
    Called as ``y = neuron(x)`` on ``x`` of shape ``[time, batch, in_dim]``; build a
    square memory with ``AssociativeLeaky.from_num_spiking_neurons(in_dim, n)``.
    Arguments and ``state_dict`` names follow snnTorch 1.0.
    """
    )

    spec = AssociativeLeakySpec

    def build_layers(self, config: dict[str, Any], dtype: torch.dtype | None) -> None:
        in_dim, d, n = config["in_dim"], config["d_value"], config["d_key"]
        self.to_v = nn.Linear(in_dim, d)
        self.to_k = nn.Linear(in_dim, n)
        self.to_alpha = nn.Linear(in_dim, n)
        self.to_q = nn.Linear(in_dim, d * n) if config["use_q_projection"] else None
