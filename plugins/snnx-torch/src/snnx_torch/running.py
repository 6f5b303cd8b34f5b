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

**Time chunks.** Folding all ``T`` steps can make an activation too large to stay
in cache, and on a CPU every fresh buffer of tens of megabytes is paged in again
on each call (a conv net's first feature map: ``T * B * C * H * W`` floats). Each
call records the largest activation per time step; when that times ``T`` exceeds
:data:`CHUNK_BYTES`, later calls with the same network and step shape run the whole
network on chunks of consecutive steps, the neurons carrying their state from
one chunk to the next, and concatenate the outputs over time. The values are
those of the step loop either way (up to rounding in the layers' batched sums).
Networks with a whole-sequence neuron or a ``BatchNorm`` in training mode (whose
statistics would then cover one chunk) are never chunked.
"""

from __future__ import annotations

import weakref
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


CHUNK_BYTES = 8 * 2**20
"""The most bytes one folded activation may take before :func:`run_sequence` folds time in chunks.

Measured on the README conv net (T=25, B=128, 2.4 MB per step of its first feature map),
one training step against the layers alone run step by step: chunks of 3 steps (7 MB)
took 1.15x with about 1,700 page faults per training step; chunks of 7 steps (16.5 MB)
1.25x with 20,000 (glibc maps buffers that large afresh on most calls); chunks of 14 steps
1.42x with 71,000; all 25 steps folded 1.4-1.6x."""

_CHUNK_STEPS: weakref.WeakKeyDictionary[nn.Module, dict[tuple[Any, ...], int]] = weakref.WeakKeyDictionary()
"""Per network and step shape: how many steps one chunk holds (see the module notes)."""


def run_sequence(net: nn.Module, x_seq: torch.Tensor) -> Any:
    """``net`` over all steps of ``x_seq``: the step outputs stacked over time."""
    if not isinstance(net, (SpikingNeuron, nn.Sequential)):
        return _step_by_step(net, x_seq)
    steps = x_seq.shape[0]
    key = (tuple(x_seq.shape[1:]), x_seq.dtype, x_seq.device)
    chunk = _CHUNK_STEPS.get(net, {}).get(key, steps)
    if chunk >= steps or not chunkable(net):
        peak = _Peak()
        out = _through(net, x_seq, peak)
        _CHUNK_STEPS.setdefault(net, {})[key] = max(1, CHUNK_BYTES // max(1, peak.bytes_per_step))
        return out
    outputs = [_through(net, x_seq[start : start + chunk], None) for start in range(0, steps, chunk)]
    if isinstance(outputs[0], tuple):
        return tuple(torch.cat(seq) for seq in zip(*outputs))
    return torch.cat(outputs)


def chunkable(net: nn.Module) -> bool:
    """Whether ``net`` gives the same results run on chunks of steps as on the whole sequence."""
    for module in net.modules():
        if isinstance(module, SequenceNeuron):
            return False
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.training:
            return False
    return True


class _Peak:
    """The largest activation per time step that one run through the network made, in bytes."""

    def __init__(self) -> None:
        self.bytes_per_step = 0

    def saw(self, bytes_per_step: int) -> None:
        self.bytes_per_step = max(self.bytes_per_step, bytes_per_step)


def _through(layer: nn.Module, h: Any, peak: _Peak | None) -> Any:
    if isinstance(layer, nn.Sequential):
        for child in layer:
            h = _through(child, h, peak)
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
        if peak is not None:
            peak.saw(out.nbytes // steps)
        return out.reshape(steps, batch, *out.shape[1:])
    return _step_by_step(layer, h)


def _step_by_step(module: nn.Module, h: Any) -> Any:
    steps = h[0].shape[0] if isinstance(h, tuple) else h.shape[0]
    outputs = [module(tuple(x[t] for x in h) if isinstance(h, tuple) else h[t]) for t in range(steps)]
    if isinstance(outputs[0], tuple):
        return tuple(torch.stack(list(seq)) for seq in zip(*outputs))
    return torch.stack(outputs)
