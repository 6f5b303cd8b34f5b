"""Torch realisations of the core neuron specs."""

from snnx_torch.neurons.base import SpikingNeuron
from snnx_torch.neurons.leaky import Leaky

NEURON_CLASSES = {cls.spec: cls for cls in (Leaky,)}
"""The torch class realising each core neuron spec."""

__all__ = ["NEURON_CLASSES", "Leaky", "SpikingNeuron"]
