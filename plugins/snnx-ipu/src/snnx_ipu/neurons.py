"""The torch backend's neurons, made to spike through :mod:`snnx_ipu.spike`.

Each IPU neuron class subclasses the torch class of the same spec, so parameters,
buffers, ``state_dict`` names, states and the step update are the torch
backend's. Two things differ, both so that poptorch can trace and PopART can
differentiate the forward pass:

* the spike function is :func:`snnx_ipu.spike.spike_fn` (plain operations, no
  ``torch.autograd.Function``);
* ``forward_sequence`` always runs the step loop: the torch backend's fused
  multi-step kernels have hand-written backward passes PopART cannot use.
"""

from __future__ import annotations

from typing import Any

import torch

from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import Surrogate
from snnx_ipu.spike import spike_fn
from snnx_torch.neurons import NEURON_CLASSES, SequenceNeuron, SpikingNeuron


def _ipu_spike(spike_grad: object, surrogate_disable: bool) -> Any:
    """The spike function for a neuron's ``spike_grad``; a user's own callable is kept as given."""
    if surrogate_disable or spike_grad is None or isinstance(spike_grad, Surrogate):
        return spike_fn(spike_grad, surrogate_disable)  # type: ignore[arg-type]
    return spike_grad


class IPUNeuronMixin:
    """Replaces the torch spike function after the torch neuron is built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spike = _ipu_spike(getattr(self, "spike_grad", None), getattr(self, "surrogate_disable", False))


class IPUStepNeuronMixin(IPUNeuronMixin):
    """A step neuron whose multi-step call is always the plain step loop."""

    def forward_sequence(
        self,
        x_seq: torch.Tensor,
        *passed: Any,
        record_states: bool = True,
        input_bias: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, ...]:
        """All ``T`` steps of ``x_seq [T, ...] + input_bias`` by the step loop: ``(spk_seq, *state_seqs)``.

        With ``record_states=False`` the states after the last step replace the sequences.
        """
        if x_seq.dim() < 2:
            raise ValueError(
                f"{self.spec.name}.forward_sequence expects [time, batch, ...], got shape "
                f"{tuple(x_seq.shape)}."
            )
        if input_bias is not None:
            x_seq = x_seq + input_bias
        spk_seq, *state_seqs = self._step_loop(x_seq, passed)
        return (spk_seq, *(state_seqs if record_states else (seq[-1] for seq in state_seqs)))


def _ipu_class(torch_class: type) -> type:
    """``torch_class`` with IPU spikes; a layer without spikes (``BatchNormTT1d``...) as it is."""
    if issubclass(torch_class, SpikingNeuron):
        mixin: type = IPUStepNeuronMixin
    elif issubclass(torch_class, SequenceNeuron):
        mixin = IPUNeuronMixin
    else:
        return torch_class
    namespace = {"__module__": __name__, "__qualname__": torch_class.__name__, "__doc__": torch_class.__doc__}
    return type(torch_class.__name__, (mixin, torch_class), namespace)


IPU_NEURON_CLASSES: dict[type[NeuronSpec], type] = {
    spec: _ipu_class(torch_class) for spec, torch_class in NEURON_CLASSES.items()
}
"""The IPU class realising each core neuron spec."""

# Module attributes under their class names, so pickle finds the classes (``snnx_ipu.neurons.Leaky``).
globals().update({cls.__name__: cls for cls in IPU_NEURON_CLASSES.values() if cls.__module__ == __name__})
