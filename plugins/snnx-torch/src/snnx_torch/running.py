"""``snnx.run`` on torch: stateless layers folded over time, neurons run multi-step.

A sequential network is processed layer by layer over the whole sequence
``[T, B, ...]``:

* a layer that treats every sample on its own and keeps no state between calls
  (``Linear``, convolutions, pooling, ``Flatten``, elementwise activations, ...)
  runs once on the time-folded batch ``[T * B, ...]``;
* an snnx step neuron runs all ``T`` steps in one ``forward_sequence`` call
  (a fused kernel when its options allow);
* an snnx whole-sequence neuron (``StateLeaky``...) takes the sequence as it is;
* anything else, and any network that is not sequential, runs step by step.

So the result always equals the step loop. Two layers see the folded batch
differently from the step loop, and are documented as such: ``Dropout`` draws its
mask for all steps in one call (the same distribution, other random numbers), and
``BatchNorm`` in training mode takes its statistics over all ``T * B`` samples
instead of each step's ``B`` (identical in eval mode).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from snnx_torch.neurons.base import SpikingNeuron
from snnx_torch.neurons.sequence import SequenceNeuron

ELEMENTWISE = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Hardsigmoid,
    nn.Hardswish,
    nn.Softplus,
    nn.Softsign,
    nn.Tanhshrink,
    nn.Identity,
)
PER_SAMPLE = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.ZeroPad1d,
    nn.ZeroPad2d,
    nn.ZeroPad3d,
    nn.Upsample,
)
"""Layers that treat each sample on its own, whatever else is in the batch (see the module notes)."""


def foldable(layer: nn.Module) -> bool:
    """Whether ``layer`` gives the same per-step results when run once on the time-folded batch."""
    if isinstance(layer, ELEMENTWISE + PER_SAMPLE):
        return True
    if isinstance(layer, nn.Flatten):
        return layer.start_dim != 0
    if isinstance(layer, nn.Unflatten):
        return layer.dim != 0
    if isinstance(layer, (nn.Softmax, nn.LogSoftmax)):
        return layer.dim is not None and layer.dim != 0
    return False


def run_sequence(net: nn.Module, x_seq: torch.Tensor) -> Any:
    """``net`` over all steps of ``x_seq``: the step outputs stacked over time."""
    if isinstance(net, (SpikingNeuron, nn.Sequential)):
        return _through(net, x_seq)
    return _step_by_step(net, x_seq)


def _through(layer: nn.Module, h: Any) -> Any:
    if isinstance(layer, nn.Sequential):
        for child in layer:
            h = _through(child, h)
        return h
    if isinstance(layer, SpikingNeuron):
        config = layer.step_config()
        returned = layer.spec.returns_states(config)
        spk_seq, *state_seqs = layer.forward_sequence(h, record_states=returned)
        return layer.spec.outputs(spk_seq, tuple(state_seqs), config) if returned else spk_seq
    if isinstance(layer, SequenceNeuron):
        return layer(h)
    if isinstance(h, torch.Tensor) and foldable(layer):
        steps, batch = h.shape[:2]
        out = layer(h.reshape(steps * batch, *h.shape[2:]))
        return out.reshape(steps, batch, *out.shape[1:])
    return _step_by_step(layer, h)


def _step_by_step(module: nn.Module, h: Any) -> Any:
    steps = h[0].shape[0] if isinstance(h, tuple) else h.shape[0]
    outputs = [module(tuple(x[t] for x in h) if isinstance(h, tuple) else h[t]) for t in range(steps)]
    if isinstance(outputs[0], tuple):
        return tuple(torch.stack(list(seq)) for seq in zip(*outputs))
    return torch.stack(outputs)
