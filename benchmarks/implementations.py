"""How each implementation runs a workload: the floor, snnTorch's step loop, snnx's two ways.

An :class:`Implementation` turns ``x [T, B, ...]`` into the workload's readout
``[T, B, ...]`` (the last neuron's spikes or membrane); the harness applies the
workload's loss and calls ``backward``. Peer libraries live in :mod:`benchmarks.peers`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from benchmarks.workloads import Workload

FLOOR = "floor"
"""Role of the two floor rows: the same layers without neurons; the cheaper one is the floor."""
REFERENCE = "reference"
"""Role of the snnTorch row, the denominator of the "× snnTorch" column."""


@dataclass
class Implementation:
    """One way of running a workload, or the reason it cannot run here (``unavailable``)."""

    name: str
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None
    modules: list[nn.Module] = field(default_factory=list)
    unavailable: str | None = None
    role: str = ""

    @property
    def available(self) -> bool:
        return self.unavailable is None

    def parameters(self) -> Iterator[nn.Parameter]:
        for module in self.modules:
            yield from module.parameters()

    def zero_grad(self) -> None:
        for parameter in self.parameters():
            parameter.grad = None


def missing(name: str, reason: str, role: str = "") -> Implementation:
    """A row that is reported as not available, with ``reason``."""
    return Implementation(name=name, unavailable=reason, role=role)


def import_or_reason(module: str) -> tuple[Any, str | None]:
    """``(module, None)`` when ``module`` imports, else ``(None, why it does not)``."""
    try:
        return importlib.import_module(module), None
    except Exception as error:  # a peer that fails to import is reported, never fatal
        return None, f"`import {module}` failed: {type(error).__name__}: {error}"


def pick(result: Any, readout: str) -> torch.Tensor:
    """The readout of one step's result: ``spk``, or ``mem`` from an ``(spk, mem)`` pair."""
    if isinstance(result, tuple):
        spk, mem = result[0], result[-1]
        return mem if readout == "mem" else spk
    return result


def interleave(blocks: list[nn.Module], neuron: Callable[[bool], nn.Module]) -> nn.Sequential:
    """``Sequential(block₀, neuron, block₁, neuron, ...)``; ``neuron(last)`` makes each neuron."""
    layers: list[nn.Module] = []
    for index, block in enumerate(blocks):
        layers += [block, neuron(index == len(blocks) - 1)]
    return nn.Sequential(*layers)


def floor_folded(workload: Workload, device: str) -> Implementation:
    """The blocks alone on the time-folded batch: ``f(x.reshape(T·B, ...)).reshape(T, B, ...)``."""
    net = nn.Sequential(*workload.blocks()).to(device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return net(x.flatten(0, 1)).unflatten(0, x.shape[:2])

    return Implementation("floor (T·B folded)", forward, [net], role=FLOOR)


def floor_steps(workload: Workload, device: str) -> Implementation:
    """The blocks alone, called once per time step and stacked."""
    net = nn.Sequential(*workload.blocks()).to(device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return torch.stack([net(x_t) for x_t in x])

    return Implementation("floor (step by step)", forward, [net], role=FLOOR)


def step_loop(net: nn.Module, reset: Callable[[nn.Module], Any], readout: str) -> Callable:
    """The snnTorch-tutorial loop: reset the hidden states, call ``net`` per step, stack the readout."""

    def forward(x: torch.Tensor) -> torch.Tensor:
        reset(net)
        return torch.stack([pick(net(x_t), readout) for x_t in x])

    return forward


def snntorch_loop(workload: Workload, device: str) -> Implementation:
    """snnTorch 1.0: ``snntorch.Leaky(init_hidden=True)`` in ``nn.Sequential``, stepped in Python."""
    name = "snnTorch 1.0 (step loop)"
    snntorch, reason = import_or_reason("snntorch")
    if snntorch is None:
        return missing(name, reason, REFERENCE)
    from snntorch import surrogate, utils

    config = workload.neuron
    spike_grad = surrogate.fast_sigmoid() if config.surrogate == "fast_sigmoid" else surrogate.atan()

    def neuron(last: bool) -> nn.Module:
        return snntorch.Leaky(
            beta=config.beta,
            threshold=config.threshold,
            spike_grad=spike_grad,
            init_hidden=True,
            output=last and workload.output_last,
        )

    net = interleave(workload.blocks(), neuron).to(device)
    return Implementation(name, step_loop(net, utils.reset, workload.readout), [net], role=REFERENCE)


def snnx_net(workload: Workload, device: str) -> nn.Module:
    """The workload as ``nn.Sequential`` of its blocks and ``snnx.Leaky(init_hidden=True)``."""
    import snnx
    from snnx import surrogate

    config = workload.neuron
    spike_grad = surrogate.fast_sigmoid() if config.surrogate == "fast_sigmoid" else surrogate.atan()

    def neuron(last: bool) -> nn.Module:
        return snnx.Leaky(
            beta=config.beta,
            threshold=config.threshold,
            spike_grad=spike_grad,
            init_hidden=True,
            output=last and workload.output_last,
        )

    return interleave(workload.blocks(), neuron).to(device)


def snnx_loop(workload: Workload, device: str) -> Implementation:
    """snnx as a drop-in snnTorch: the same step loop with ``snnx.Leaky``."""
    from snnx import utils

    net = snnx_net(workload, device)
    return Implementation("snnx (step loop)", step_loop(net, utils.reset, workload.readout), [net])


def snnx_run(workload: Workload, device: str) -> Implementation:
    """snnx's whole-sequence call ``snnx.run(net, x_seq)`` (resets the states itself)."""
    import snnx

    name = "snnx.run"
    run = getattr(snnx, "run", None)
    if not callable(run):
        return missing(name, f"snnx {snnx.__version__} has no snnx.run")
    net = snnx_net(workload, device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return pick(run(net, x), workload.readout)

    return Implementation(name, forward, [net])
