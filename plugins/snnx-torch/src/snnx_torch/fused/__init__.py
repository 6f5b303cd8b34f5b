"""Fused multi-step neuron kernels: one call runs a neuron over every time step.

A kernel (:class:`SequenceKernel`) takes the whole input ``x_seq [T, ...]`` and the
starting states, runs the spec's update for all ``T`` steps without building an
autograd graph per step, and computes the gradient through time in a hand-written
backward pass (the same gradient autograd gives the step loop). Kernels register
per neuron spec; :meth:`SpikingNeuron.forward_sequence` uses one when the
neuron's current options are supported and falls back to the step loop otherwise.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from snnx.specs.neuron import NeuronSpec


class SequenceKernel(Protocol):
    """A fused multi-step implementation of one neuron spec."""

    def supports(self, neuron: Any, config: dict[str, Any]) -> bool:
        """Whether this kernel computes exactly what the step loop would for these options."""

    def run(
        self,
        neuron: Any,
        x_seq: torch.Tensor,
        states: tuple[torch.Tensor, ...],
        params: dict[str, torch.Tensor],
        config: dict[str, Any],
        record_states: bool = True,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """``(spk_seq, state_seqs)``: the spikes and every state after each of the ``T`` steps.

        ``states`` are the states before step 0 (already resolved: zeros for a fresh
        neuron), ``params`` the neuron's parameters by name in the input's dtype.
        Gradients flow to ``x_seq``, ``states`` and every learnable entry of ``params``.
        With ``record_states=False`` the caller uses only the last step of each state,
        and a kernel may return a state as ``[1, ...]`` (that step alone) to save work.
        """


KERNELS: dict[type[NeuronSpec], SequenceKernel] = {}
"""The fused kernel of each neuron spec that has one."""


def register(spec: type[NeuronSpec], kernel: SequenceKernel) -> None:
    KERNELS[spec] = kernel


def kernel_for(spec: type[NeuronSpec], neuron: Any, config: dict[str, Any]) -> SequenceKernel | None:
    """The fused kernel for ``neuron`` with these options, or ``None`` (use the step loop)."""
    import snnx_torch.fused.builtin  # noqa: F401  (registers the shipped kernels)

    kernel = KERNELS.get(spec)
    if kernel is None or not kernel.supports(neuron, config):
        return None
    return kernel
