"""Backend-neutral specs: neuron models, surrogate gradients and spike encoders."""

from snnx.specs.alpha import AlphaSpec
from snnx.specs.associative import AssociativeLeakySpec
from snnx.specs.delta import DeltaLeakySpec
from snnx.specs.lapicque import LapicqueSpec
from snnx.specs.layers import BatchNormTT1dSpec, BatchNormTT2dSpec, GradedSpikesSpec
from snnx.specs.leaky import LeakySpec
from snnx.specs.leakyparallel import LeakyParallelSpec
from snnx.specs.lstm import SConv2dLSTMSpec, SLSTMSpec
from snnx.specs.neuron import NeuronSpec
from snnx.specs.recurrent import RLeakySpec, RSynapticSpec
from snnx.specs.stateleaky import LinearLeakySpec, StateLeakySpec
from snnx.specs.surrogate import SURROGATE_SPECS, Surrogate, SurrogateSpec
from snnx.specs.synaptic import SynapticSpec

STEP_SPECS = (
    LeakySpec,
    RLeakySpec,
    SynapticSpec,
    RSynapticSpec,
    AlphaSpec,
    LapicqueSpec,
    SLSTMSpec,
    SConv2dLSTMSpec,
    DeltaLeakySpec,
)
LAYER_SPECS = (BatchNormTT1dSpec, BatchNormTT2dSpec, GradedSpikesSpec)
SEQUENCE_SPECS = (StateLeakySpec, LinearLeakySpec, LeakyParallelSpec, AssociativeLeakySpec)
NEURON_SPECS: dict[str, type[NeuronSpec]] = {
    spec.name: spec for spec in (*STEP_SPECS, *LAYER_SPECS, *SEQUENCE_SPECS)
}
"""Every neuron spec by its public class name (``snnx.Leaky`` realises ``LeakySpec``)."""

__all__ = ["NEURON_SPECS", "SURROGATE_SPECS", "LeakySpec", "NeuronSpec", "Surrogate", "SurrogateSpec"]
