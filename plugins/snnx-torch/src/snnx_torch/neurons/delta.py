"""``snnx.DeltaLeaky`` on torch: spikes on large membrane changes."""

from __future__ import annotations

from typing import Any

import torch

from snnx.specs.delta import DeltaLeakySpec
from snnx_torch.neurons.base import SpikingNeuron


class DeltaLeaky(SpikingNeuron):
    """Delta neuron; called as ``spk, (mem, mem_prev) = neuron(input_, (mem, mem_prev))``.

    See :class:`snnx.specs.delta.DeltaLeakySpec` for the rule.
    """

    spec = DeltaLeakySpec

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delta_threshold = self.spec.bind(args, kwargs)["delta_threshold"]

    def step_config(self) -> dict[str, Any]:
        return {**super().step_config(), "delta_threshold": self.delta_threshold}

    def forward(
        self, input_: torch.Tensor, mem: tuple[torch.Tensor | None, torch.Tensor | None] | None = None
    ):
        return self._advance(input_, (mem,))

    def init_leaky(self):
        """Reset and return the (empty) ``(mem, mem_prev)`` pair."""
        return self.reset_mem()
