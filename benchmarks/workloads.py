"""The benchmarked networks, their data and their losses.

A workload is a feed-forward SNN written as *blocks*: the stateless layers that
come before each Leaky neuron (``Linear``; ``Conv2d`` + ``MaxPool2d``; ...). Every
implementation gets a copy of the same blocks (same weights), and adds neurons its
own way; the floor runs the blocks alone. Each Leaky neuron follows

    U[t] = β U[t-1] + I[t] - S[t-1] ϑ,      S[t] = Θ(U[t] - ϑ),      ϑ = 1,

with snnTorch's default subtract reset, and a surrogate gradient for Θ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

SEED = 0
"""Seed of the weights and the data, so every implementation sees the same numbers."""


@dataclass(frozen=True)
class NeuronConfig:
    """The Leaky neurons of a workload: decay ``β`` and surrogate gradient.

    ``surrogate`` is ``"atan"`` (snnTorch's default, dS/dU = (α/2) / (1 + (π α U / 2)²),
    α = 2) or ``"fast_sigmoid"`` (dS/dU = 1 / (k |U| + 1)², slope k = 25).
    """

    beta: float
    surrogate: str = "atan"
    threshold: float = 1.0


@dataclass(frozen=True)
class Workload:
    """One benchmark: the network's blocks, its neurons, sizes, readout and loss.

    ``readout`` is ``"spk"`` (the last neuron's spikes) or ``"mem"`` (its membrane);
    ``output_last`` gives the last neuron ``output=True`` (it returns ``(spk, mem)``).
    ``loss`` is ``"sum"`` (L = Σ_t Σ out[t]) or ``"ce"`` (L = Σ_t CE(out[t], y), the
    cross-entropy of each step's readout, mean over the batch, summed over time).
    """

    name: str
    description: str
    steps: int
    batch: int
    input_shape: tuple[int, ...]
    make_blocks: Callable[[], list[nn.Module]]
    neuron: NeuronConfig
    output_last: bool
    readout: str
    loss_kind: str
    classes: int = 10

    def blocks(self) -> list[nn.Module]:
        """Fresh blocks with this workload's fixed weights (the global RNG is left alone)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            return self.make_blocks()

    def data(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs ``x [T, B, *input_shape]`` uniform in [0, 1) and class labels ``y [B]``."""
        generator = torch.Generator().manual_seed(SEED + 1)
        x = torch.rand((self.steps, self.batch, *self.input_shape), generator=generator)
        y = torch.randint(0, self.classes, (self.batch,), generator=generator)
        return x.to(device), y.to(device)

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The scalar loss of a readout ``out [T, B, ...]`` (see the class docstring)."""
        if self.loss_kind == "sum":
            return out.sum()
        steps = out.shape[0]
        return functional.cross_entropy(out.flatten(0, 1), y.repeat(steps)) * steps


def _w1_blocks() -> list[nn.Module]:
    return [nn.Linear(512, 512)]


def _w2_blocks() -> list[nn.Module]:
    return [
        nn.Sequential(nn.Conv2d(1, 8, 5), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(8, 16, 5), nn.MaxPool2d(2)),
        nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 10)),
    ]


def _w3_blocks() -> list[nn.Module]:
    return [nn.Linear(784, 1000), nn.Linear(1000, 10)]


def w1(steps: int = 100, batch: int = 32) -> Workload:
    """W1: one Linear(512→512) + Leaky(β = 0.9), loss = total spike count."""
    return Workload(
        name="W1",
        description="Linear(512→512) + Leaky(β=0.9), atan; loss Σ spikes",
        steps=steps,
        batch=batch,
        input_shape=(512,),
        make_blocks=_w1_blocks,
        neuron=NeuronConfig(beta=0.9),
        output_last=False,
        readout="spk",
        loss_kind="sum",
    )


def w2(steps: int = 25, batch: int = 128) -> Workload:
    """W2: the README quickstart conv net on 28×28 inputs; loss = CE of the output spikes per step."""
    return Workload(
        name="W2",
        description=(
            "README conv net: Conv(1→8,5)+Pool+Leaky, Conv(8→16,5)+Pool+Leaky, Linear(256→10)+Leaky; "
            "β=0.5, fast_sigmoid; loss Σ_t CE(spk[t])"
        ),
        steps=steps,
        batch=batch,
        input_shape=(1, 28, 28),
        make_blocks=_w2_blocks,
        neuron=NeuronConfig(beta=0.5, surrogate="fast_sigmoid"),
        output_last=True,
        readout="spk",
        loss_kind="ce",
    )


def w3(steps: int = 25, batch: int = 128) -> Workload:
    """W3: FC 784-1000-10 with Leaky(β = 0.95); loss = CE of the output membrane per step."""
    return Workload(
        name="W3",
        description="FC 784-1000-10, Leaky(β=0.95), atan; loss Σ_t CE(mem[t])",
        steps=steps,
        batch=batch,
        input_shape=(784,),
        make_blocks=_w3_blocks,
        neuron=NeuronConfig(beta=0.95),
        output_last=True,
        readout="mem",
        loss_kind="ce",
    )


WORKLOADS: dict[str, Callable[..., Workload]] = {"W1": w1, "W2": w2, "W3": w3}
"""Each workload's constructor by name; ``WORKLOADS[name](steps=..., batch=...)`` overrides sizes."""
