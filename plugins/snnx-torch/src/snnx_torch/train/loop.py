"""Training and evaluation of a spiking network over rate-coded time steps."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

import snnx
from snnx import spikegen


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 3
    steps: int = 25
    batch_size: int = 64
    learning_rate: float = 3e-3
    seed: int = 0


def run_over_time(net: nn.Module, spikes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``net`` over ``spikes [T, B, ...]`` from a fresh state, through :func:`snnx.run` (layers
    folded over time, fused neuron kernels); output spikes and membrane ``[T, B, classes]``."""
    return snnx.run(net, spikes)


def membrane_cross_entropy(mem_rec: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy with the output membrane summed over time as logits."""
    return nn.functional.cross_entropy(mem_rec.sum(dim=0), targets)


def predict(spk_rec: torch.Tensor, mem_rec: torch.Tensor) -> torch.Tensor:
    """The class with most output spikes; ties go to the higher summed membrane."""
    counts = spk_rec.sum(dim=0)
    tie_break = mem_rec.sum(dim=0).softmax(dim=-1)  # in (0, 1): never outweighs one spike
    return (counts + 0.5 * tie_break).argmax(dim=-1)


def train_epoch(
    net: nn.Module,
    optimiser: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    images: torch.Tensor,
    labels: torch.Tensor,
    settings: TrainSettings,
    generator: torch.Generator,
    description: str,
) -> float:
    """One pass over the shuffled training set; returns the mean loss."""
    net.train()
    order = torch.randperm(len(labels), generator=generator)
    batches = order.split(settings.batch_size)
    total = 0.0
    progress = tqdm(batches, desc=description, unit="batch", leave=True)
    for index in progress:
        spikes = spikegen.rate(images[index], num_steps=settings.steps, generator=generator)
        _, mem_rec = run_over_time(net, spikes)
        loss = membrane_cross_entropy(mem_rec, labels[index])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        total += loss.item()
        progress.set_postfix(loss=f"{loss.item():.3f}")
    return total / len(batches)


@torch.no_grad()
def evaluate(
    net: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    settings: TrainSettings,
    generator: torch.Generator,
) -> float:
    """Accuracy of spike-count predictions on ``images``."""
    net.eval()
    correct = 0
    for index in torch.arange(len(labels)).split(settings.batch_size):
        spikes = spikegen.rate(images[index], num_steps=settings.steps, generator=generator)
        spk_rec, mem_rec = run_over_time(net, spikes)
        correct += (predict(spk_rec, mem_rec) == labels[index]).sum().item()
    return correct / len(labels)
