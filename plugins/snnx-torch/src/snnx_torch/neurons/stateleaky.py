"""``snnx.StateLeaky`` and ``snnx.LinearLeaky`` on torch: leaky neurons over a whole sequence."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from snnx.specs.stateleaky import LinearLeakySpec, StateLeakySpec
from snnx_torch.neurons.sequence import SequenceNeuron

CALL = """
    Called as ``spk, mem = neuron(input_)`` on ``input_`` of shape ``[time, batch,
    features]`` (``mem = neuron(input_)`` with ``output=False``). Arguments,
    defaults and ``state_dict`` names follow snnTorch 1.0.
    """


class StateLeaky(SequenceNeuron):
    __doc__ = StateLeakySpec.__doc__ + CALL

    spec = StateLeakySpec

    @property
    def beta(self) -> torch.Tensor:
        """The decay :math:`(\\tau - 1)/\\tau` of the current (possibly learned) ``tau``."""
        return (self.tau - 1) / self.tau


class LinearLeaky(StateLeaky):
    __doc__ = LinearLeakySpec.__doc__ + CALL

    spec = LinearLeakySpec

    def build_layers(self, config: dict[str, Any], dtype: torch.dtype | None) -> None:
        self.linear = nn.Linear(
            config["in_features"],
            config["out_features"],
            bias=config["bias"],
            device=config["device"],
            dtype=dtype,
        )
