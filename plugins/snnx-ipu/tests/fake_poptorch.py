"""A stand-in for ``poptorch`` that records how snnx-ipu calls it.

It exists only because no IPU and no Poplar SDK (which is where poptorch comes
from: it is not on PyPI) can exist on the CI machines. It implements just the
part of poptorch's documented API that snnx-ipu uses, with the signatures of the
PopTorch user guide (SDK 3.3): "Options" (``poptorch.Options``:
``deviceIterations``, ``replicationFactor``, ``randomSeed``, ``useIpuModel``,
``Training.gradientAccumulation``, ``Precision.setPartialsType`` and the
read-back properties ``device_iterations``, ``replication_factor``,
``Training.gradient_accumulation``), "Efficient data batching"
(``poptorch.DataLoader(options, dataset, batch_size, shuffle, ...)``, which
batches ``batch_size`` times the calls' micro-batches), "Model wrapping
functions" (``trainingModel(model, options, optimizer)``,
``inferenceModel(model, options)``), ``identity_loss(x, reduction)`` and
``ipuHardwareIsAvailable(num_ipus)``.

Compiled models here run the wrapped module eagerly on the CPU; the training one
then back-propagates from the tensor last marked by ``identity_loss`` and takes an
optimiser step, as one call of a real training model does on the IPU. Nothing here
checks what only the real compiler can (traceability, PopART's gradients): the
``ipu`` nox session does, with the real poptorch.
"""

from __future__ import annotations

import types
from typing import Any

import torch


class _Calls(list):
    """``(name, args, kwargs)`` of every recorded call, in order."""

    def named(self, name: str) -> list[tuple[str, tuple, dict]]:
        return [call for call in self if call[0] == name]


class _Training:
    def __init__(self, calls: _Calls) -> None:
        self._calls = calls
        self.gradient_accumulation = 1

    def gradientAccumulation(self, value: int) -> _Training:  # noqa: N802 - poptorch's name
        self._calls.append(("Options.Training.gradientAccumulation", (value,), {}))
        self.gradient_accumulation = value
        return self


class _Precision:
    def __init__(self, calls: _Calls) -> None:
        self._calls = calls
        self.partials_type = torch.float32

    def setPartialsType(self, dtype: torch.dtype) -> _Precision:  # noqa: N802 - poptorch's name
        self._calls.append(("Options.Precision.setPartialsType", (dtype,), {}))
        self.partials_type = dtype
        return self


def new_poptorch(*, hardware: bool = False) -> types.ModuleType:
    """A fresh fake ``poptorch`` module with an empty call log (``module.calls``).

    ``hardware`` is what ``ipuHardwareIsAvailable()`` answers.
    """
    calls = _Calls()
    module = types.ModuleType("poptorch")
    module.__version__ = "0.0+fake"
    module.calls = calls

    class Options:
        def __init__(self) -> None:
            calls.append(("Options", (), {}))
            self.device_iterations = 1
            self.replication_factor = 1
            self.random_seed: int | None = None
            self.use_ipu_model: bool | None = None
            self.Training = _Training(calls)
            self.Precision = _Precision(calls)

        def deviceIterations(self, value: int) -> Options:  # noqa: N802
            calls.append(("Options.deviceIterations", (value,), {}))
            self.device_iterations = value
            return self

        def replicationFactor(self, value: int) -> Options:  # noqa: N802
            calls.append(("Options.replicationFactor", (value,), {}))
            self.replication_factor = value
            return self

        def randomSeed(self, value: int) -> Options:  # noqa: N802
            calls.append(("Options.randomSeed", (value,), {}))
            self.random_seed = value
            return self

        def useIpuModel(self, value: bool) -> Options:  # noqa: N802
            calls.append(("Options.useIpuModel", (value,), {}))
            self.use_ipu_model = value
            return self

    marked: list[torch.Tensor] = []

    def identity_loss(x: torch.Tensor, reduction: str) -> torch.Tensor:
        calls.append(("identity_loss", (x,), {"reduction": reduction}))
        reduced = {"none": lambda t: t, "sum": torch.sum, "mean": torch.mean}[reduction](x)
        marked.append(reduced)
        return reduced

    class _Executor:
        def __init__(self, model: torch.nn.Module, options: Any, optimizer: Any) -> None:
            self.model, self.options, self.optimizer = model, options, optimizer

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            marked.clear()
            if self.optimizer is None:
                with torch.no_grad():
                    return self.model(*args, **kwargs)
            result = self.model(*args, **kwargs)
            if not marked:
                raise RuntimeError("fake poptorch: the training model marked no loss with identity_loss")
            self.optimizer.zero_grad()
            marked[-1].sum().backward()
            self.optimizer.step()
            return _detached(result)

    def trainingModel(model, options=None, optimizer=None):  # noqa: N802
        calls.append(("trainingModel", (model,), {"options": options, "optimizer": optimizer}))
        return _Executor(model, options, optimizer)

    def inferenceModel(model, options=None):  # noqa: N802
        calls.append(("inferenceModel", (model,), {"options": options}))
        return _Executor(model, options, None)

    def DataLoader(options, dataset, batch_size=1, shuffle=False, **kwargs):  # noqa: N802
        calls.append(
            ("DataLoader", (options, dataset), {"batch_size": batch_size, "shuffle": shuffle, **kwargs})
        )
        per_call = options.device_iterations * options.replication_factor
        per_call *= options.Training.gradient_accumulation
        return torch.utils.data.DataLoader(
            dataset, batch_size=batch_size * per_call, shuffle=shuffle, **kwargs
        )

    def ipuHardwareIsAvailable(num_ipus: int = 1) -> bool:  # noqa: N802
        calls.append(("ipuHardwareIsAvailable", (num_ipus,), {}))
        return hardware

    module.Options = Options
    module.identity_loss = identity_loss
    module.trainingModel = trainingModel
    module.inferenceModel = inferenceModel
    module.DataLoader = DataLoader
    module.ipuHardwareIsAvailable = ipuHardwareIsAvailable
    return module


def _detached(result: Any) -> Any:
    if isinstance(result, tuple):
        return tuple(_detached(item) for item in result)
    return result.detach() if isinstance(result, torch.Tensor) else result
