"""Backend-neutral specs: neuron models, surrogate gradients and spike encoders."""

from snnx.specs.leaky import LeakySpec
from snnx.specs.neuron import NeuronSpec
from snnx.specs.surrogate import SURROGATE_SPECS, Surrogate, SurrogateSpec

NEURON_SPECS: dict[str, type[NeuronSpec]] = {spec.name: spec for spec in (LeakySpec,)}
"""Every neuron spec by its public class name (``snnx.Leaky`` realises ``LeakySpec``)."""

__all__ = ["NEURON_SPECS", "SURROGATE_SPECS", "LeakySpec", "NeuronSpec", "Surrogate", "SurrogateSpec"]
