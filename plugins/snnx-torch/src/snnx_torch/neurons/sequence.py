"""The ``torch.nn.Module`` base every torch whole-sequence neuron shares.

A sequence neuron takes ``[time, batch, features]`` per call and keeps no hidden
state. Like the step neurons it is a thin realisation of a core spec: the spec's
tensors become parameters (when learnable) or buffers under snnTorch's names, the
layers inside are real torch modules (``nn.Linear``, ``nn.RNN``) with snnTorch's
names, and ``forward`` runs the spec's maths with torch operations and a surrogate
spike function.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from snnx.specs.neuron import Tensor, check_input
from snnx.specs.parameters import Option
from snnx.specs.sequence import SequenceSpec, constructor, without_batch
from snnx_torch.neurons.base import _short, as_tensor
from snnx_torch.ops import OPS
from snnx_torch.surrogate import spike_function_for

PLACEMENT = ("device", "dtype")
"""Options that only say where the layers live; not kept as attributes."""


def torch_dtype(dtype: Any) -> torch.dtype | None:
    """A ``dtype`` argument (``torch.float64``, ``"float64"``, ``numpy.float64``) as a torch dtype."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype).removeprefix("torch.") if isinstance(dtype, str) else np.dtype(dtype).name
    found = getattr(torch, name, None)
    if not isinstance(found, torch.dtype):
        raise TypeError(f"dtype must be a torch dtype such as torch.float32, got {dtype!r}.")
    return found


class SequenceNeuron(nn.Module):
    """Base of torch sequence neurons: stored tensors, layers, and the whole-sequence call.

    Subclasses set ``spec`` and create their layers in :meth:`build_layers`; the
    constructor signature and extra constructors come from the spec.
    """

    spec: ClassVar[type[SequenceSpec]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is None:
            return
        cls.__signature__ = spec.signature()  # type: ignore[attr-defined]
        if cls.__doc__ is None:
            cls.__doc__ = spec.__doc__
        for name in spec.constructors:
            setattr(cls, name, constructor(spec, name))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        config = self.spec.bind(args, kwargs)
        self._options = tuple(
            arg.name for arg in self.spec.arguments if isinstance(arg, Option) and arg.name not in PLACEMENT
        )
        for name in self._options:
            setattr(self, name, config[name])
        tensors = self.spec.tensors(config)
        for name, tensor in tensors.items():
            self._store(name, tensor)
        self._spike = spike_function_for(config.get("spike_grad"), config.get("surrogate_disable", False))
        weights = self.spec.weights(config)
        self.build_layers(config, torch_dtype(config.get("dtype")))
        self._tensor_names = tuple(tensors) + tuple(w.name for w in weights)
        self._initialise_weights(config, [w.name for w in weights])
        if config.get("device") is not None:
            self.to(device=config["device"])

    def build_layers(self, config: dict[str, Any], dtype: torch.dtype | None) -> None:
        """Create the layers inside the neuron (named as the spec's weights); none by default."""

    def _store(self, name: str, tensor: Tensor) -> None:
        value = as_tensor(tensor)
        value = nn.Parameter(value) if tensor.learnable else value
        if isinstance(getattr(type(self), name, None), property):
            # a stored tensor read back through a property (StateLeaky's ``beta``): register it directly,
            # as register_buffer refuses names the class already uses
            (self._parameters if tensor.learnable else self._buffers)[name] = value
        elif tensor.learnable:
            self.register_parameter(name, value)
        else:
            self.register_buffer(name, value)

    def _initialise_weights(self, config: dict[str, Any], names: list[str]) -> None:
        if not names:
            return
        current = self._stored_tensors(names)
        if any(value.is_meta for value in current.values()):
            return  # weights without storage (device="meta") have no values to set
        drawn = {name: value.detach().cpu().double().numpy() for name, value in current.items()}
        wanted = self.spec.initial_weights(config, drawn)
        with torch.no_grad():
            for name, value in current.items():
                if wanted[name] is not drawn[name]:
                    value.copy_(torch.as_tensor(np.asarray(wanted[name])))

    def _stored_tensors(self, names: tuple[str, ...] | list[str]) -> dict[str, torch.Tensor]:
        found = {}
        for name in names:
            owner_name, _, attribute = name.rpartition(".")
            owner = self.get_submodule(owner_name) if owner_name else self
            value = owner._parameters.get(attribute)
            found[name] = value if value is not None else owner._buffers[attribute]
        return found

    def sequence_config(self) -> dict[str, Any]:
        """The options the spec reads, from this instance's current attributes."""
        return {name: getattr(self, name) for name in self._options}

    def sequence_params(self) -> dict[str, torch.Tensor]:
        """Parameters, buffers and layer weights by ``state_dict`` name."""
        return self._stored_tensors(self._tensor_names)

    def membrane(
        self, x: torch.Tensor, params: dict[str, torch.Tensor], config: dict[str, Any]
    ) -> torch.Tensor:
        """The membrane of every step (the spec's maths unless a subclass has a faster kernel)."""
        return self.spec.membrane(OPS, x, params, config)

    def forward(self, input_: torch.Tensor) -> Any:
        check_input(self.spec.name, input_)
        config = self.sequence_config()
        self.spec.check_input_shape(config, input_)
        unbatched = self.spec.is_unbatched(input_)
        if unbatched:
            input_ = input_[:, None]
        params = self.sequence_params()
        mem = self.membrane(input_, params, config)
        result = self.spec.readout(OPS, input_, mem, params, config, self._spike)
        return without_batch(result) if unbatched else result

    def extra_repr(self) -> str:
        shown = [f"{name}={getattr(self, name)!r}" for name in (self.spec.features,)]
        for name in ("tau", "beta", "threshold"):
            value = self._buffers.get(name, self._parameters.get(name))
            if value is not None:
                shown.append(f"{name}={_short(value)}")
        return ", ".join(shown)
