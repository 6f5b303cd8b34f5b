"""Classes for any spec on the NumPy reference backend (or on any forward-only ops)."""

from __future__ import annotations

from typing import Any

from snnx.numpy_backend.layers import NumpyLayer
from snnx.numpy_backend.modules import OPS, NumpyModule
from snnx.numpy_backend.neurons import NumpyNeuron
from snnx.numpy_backend.sequence import NumpySequenceNeuron
from snnx.specs.neuron import NeuronSpec

REALISERS: dict[str, type[NumpyModule]] = {
    "step": NumpyNeuron,
    "sequence": NumpySequenceNeuron,
    "layer": NumpyLayer,
}
"""The reference-backend base class for each kind of spec."""


def realise(spec: type[NeuronSpec], ops: Any = OPS) -> type[NumpyModule]:
    """A forward-only class for ``spec`` running on ``ops``, named like the public class (``Leaky``)."""
    base = REALISERS[spec.kind]
    namespace = {"spec": spec, "ops": ops, "__doc__": spec.__doc__, "__module__": base.__module__}
    cls = type(spec.name, (base,), namespace)
    cls.__signature__ = spec.signature()  # type: ignore[attr-defined]
    return cls
