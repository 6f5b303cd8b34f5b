"""Torch realisations of the core neuron specs."""

from snnx_torch.neurons.associative import AssociativeLeaky
from snnx_torch.neurons.base import SpikingNeuron
from snnx_torch.neurons.delta import DeltaLeaky
from snnx_torch.neurons.lapicque import Lapicque
from snnx_torch.neurons.layers import BatchNormTT1d, BatchNormTT2d, GradedSpikes
from snnx_torch.neurons.leaky import Leaky
from snnx_torch.neurons.leakyparallel import LeakyParallel
from snnx_torch.neurons.lstm import SLSTM, SConv2dLSTM
from snnx_torch.neurons.recurrent import RLeaky, RSynaptic
from snnx_torch.neurons.sequence import SequenceNeuron
from snnx_torch.neurons.stateleaky import LinearLeaky, StateLeaky
from snnx_torch.neurons.synaptic import Alpha, Synaptic

NEURON_CLASSES = {
    cls.spec: cls
    for cls in (Leaky, Synaptic, Alpha, Lapicque, RLeaky, RSynaptic, SLSTM, SConv2dLSTM, DeltaLeaky)
}
NEURON_CLASSES.update({cls.spec: cls for cls in (BatchNormTT1d, BatchNormTT2d, GradedSpikes)})
NEURON_CLASSES.update({cls.spec: cls for cls in (StateLeaky, LinearLeaky, LeakyParallel, AssociativeLeaky)})
"""The torch class realising each core neuron spec."""

__all__ = [
    "NEURON_CLASSES",
    "SLSTM",
    "Alpha",
    "AssociativeLeaky",
    "BatchNormTT1d",
    "BatchNormTT2d",
    "DeltaLeaky",
    "GradedSpikes",
    "Lapicque",
    "Leaky",
    "LeakyParallel",
    "LinearLeaky",
    "RLeaky",
    "RSynaptic",
    "SConv2dLSTM",
    "SequenceNeuron",
    "SpikingNeuron",
    "StateLeaky",
    "Synaptic",
]
