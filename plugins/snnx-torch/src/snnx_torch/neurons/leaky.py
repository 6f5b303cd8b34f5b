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

    def __init__(
        self,
        beta,
        threshold=1.0,
        spike_grad=None,
        surrogate_disable=False,
        init_hidden=False,
        inhibition=False,
        learn_beta=False,
        learn_threshold=False,
        reset_mechanism="subtract",
        state_quant=False,
        output=False,
        graded_spikes_factor=1.0,
        learn_graded_spikes_factor=False,
        reset_delay=True,
    ) -> None:
        super().__init__(
            {
                "beta": beta,
                "threshold": threshold,
                "spike_grad": spike_grad,
                "surrogate_disable": surrogate_disable,
                "init_hidden": init_hidden,
                "inhibition": inhibition,
                "learn_beta": learn_beta,
                "learn_threshold": learn_threshold,
                "reset_mechanism": reset_mechanism,
                "state_quant": state_quant,
                "output": output,
                "graded_spikes_factor": graded_spikes_factor,
                "learn_graded_spikes_factor": learn_graded_spikes_factor,
                "reset_delay": reset_delay,
            }
        )

    def forward(self, input_: torch.Tensor, mem: torch.Tensor | None = None):
        return self._advance(input_, (mem,))

    def init_leaky(self) -> torch.Tensor:
        """Reset and return the (empty) membrane state, to pass as ``mem`` to the first step."""
        return self.reset_mem()

    def reset_mem(self) -> torch.Tensor:
        """Reset this neuron's membrane state and return it."""
        self.reset_hidden()
        return self.mem
