"""Helper layers on torch: ``BatchNormTT1d``/``BatchNormTT2d`` and ``GradedSpikes``.

``BatchNormTT1d(...)`` builds what snnTorch's function of that name returns: an
``nn.ModuleList`` with one ``nn.BatchNorm1d`` per time step, biases removed, so
``state_dict`` files interchange (``"0.weight"``, ``"0.running_mean"``, ...).
It is a ``ModuleList`` subclass only to validate its arguments and to name
``time_steps`` when indexed past the last step.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from snnx.specs.layers import (
    BatchNormTT1dSpec,
    BatchNormTT2dSpec,
    BatchNormTTSpec,
    GradedSpikesSpec,
    factor_is_set,
)
from snnx.specs.parameters import as_numpy


class BatchNormTT(nn.ModuleList):
    """One batch norm per time step (no bias), used as ``bntt[step](x)``."""

    spec: ClassVar[type[BatchNormTTSpec]]
    norm: ClassVar[type[nn.Module]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            cls.__signature__ = spec.signature()  # type: ignore[attr-defined]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        config = self.spec.bind(args, kwargs)
        layers = []
        for _ in range(int(config["time_steps"])):
            layer = self.norm(
                int(config["input_features"]),
                eps=config["eps"],
                momentum=config["momentum"],
                affine=bool(config["affine"]),
            )
            layer.bias = None  # BNTT scales each step; it never shifts
            layers.append(layer)
        super().__init__(layers)
        self.time_steps = int(config["time_steps"])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return nn.ModuleList(list(self._modules.values())[index])
        step = self.spec.check_step({"time_steps": len(self)}, index)
        return self._modules[str(step)]


class BatchNormTT1d(BatchNormTT):
    __doc__ = BatchNormTT1dSpec.__doc__
    spec = BatchNormTT1dSpec
    norm = nn.BatchNorm1d


class BatchNormTT2d(BatchNormTT):
    __doc__ = BatchNormTT2dSpec.__doc__
    spec = BatchNormTT2dSpec
    norm = nn.BatchNorm2d


class GradedSpikes(nn.Module):
    __doc__ = GradedSpikesSpec.__doc__
    spec = GradedSpikesSpec

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        config = self.spec.bind(args, kwargs)
        self.size = int(config["size"])
        factor = config["constant_factor"]
        if factor_is_set(factor):
            weights = torch.ones(size=[self.size, 1]) * float(as_numpy(factor).reshape(()))
        else:
            weights = torch.rand(size=[self.size, 1]) + 0.5
        self.weights = nn.Parameter(weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.spec.check_input_shape({"size": self.size}, x)
        return torch.multiply(x, self.weights)

    def extra_repr(self) -> str:
        return f"size={self.size}"


GradedSpikes.__signature__ = GradedSpikesSpec.signature()  # type: ignore[attr-defined]
