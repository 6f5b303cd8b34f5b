"""Forward-only NumPy realisations of whole-sequence neuron specs (kind ``"sequence"``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.numpy_backend.modules import NumpyModule
from snnx.specs.neuron import check_input
from snnx.specs.sequence import SequenceSpec, constructor, without_batch


def _numpy_dtype(dtype: Any) -> np.dtype | None:
    """A ``dtype`` argument (``torch.float64``, ``"float64"``, ``np.float64``) as a NumPy dtype."""
    if dtype is None:
        return None
    try:
        return np.dtype(str(dtype).removeprefix("torch."))
    except TypeError:
        return np.dtype(dtype)


class NumpySequenceNeuron(NumpyModule):
    """A sequence neuron run by the reference backend: ``neuron(x)`` on ``[time, batch, features]``.

    It keeps no state between calls. Learnable flags are accepted but do nothing
    here (forward only); ``device`` is ignored and ``dtype`` sets the layer weights'.
    """

    spec: type[SequenceSpec]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        for name in getattr(spec, "constructors", {}):
            setattr(cls, name, constructor(spec, name))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        layer_dtype = _numpy_dtype(self.config.get("dtype"))
        names = [weight.name for weight in self.spec.weights(self.config)]
        drawn = self.spec.initial_weights(self.config, {name: self.params[name] for name in names})
        for name in names:
            self.params[name] = np.asarray(drawn[name], dtype=layer_dtype or drawn[name].dtype)

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params")
        if params is not None:
            derived = self.spec.derived(params)
            if name in derived:
                return derived[name]
        return super().__getattr__(name)

    def __call__(self, x: np.ndarray) -> Any:
        x = np.asanyarray(x)
        check_input(self.spec.name, x)
        self.spec.check_input_shape(self.config, x)
        unbatched = self.spec.is_unbatched(x)
        result = self.spec.run(
            self.ops, x[:, None] if unbatched else x, self.step_params(), self.config, self.ops.heaviside
        )
        result = without_batch(result) if unbatched else result
        if isinstance(result, tuple):
            return tuple(array.astype(x.dtype, copy=False) for array in result)
        return result.astype(x.dtype, copy=False)
