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

**A Linear's bias.** A folded ``nn.Linear`` followed by a neuron with a lean route
(``Leaky``) computes its product alone and leaves its bias to the neuron, whose
compiled scan adds it to each input as it reads it (:func:`leaves_bias`): one pass
over the ``T * B`` rows fewer. Values and gradients are the step loop's, up to the
rounding of the layer's sums.

**Time chunks.** Folding all ``T`` steps can make an activation too large to stay
in cache, and on a CPU every fresh buffer of tens of megabytes is paged in again
on each call (a conv net's first feature map: ``T * B * C * H * W`` floats). A call
records each stage's output size per time step (stages: the layers and neurons in
order, nested ``Sequential`` flattened). When a folded output would exceed
:data:`FOLD_BYTES`, later calls with the same network and input shape run the
stages up to the last such output, and the one after it, on chunks of consecutive
steps (each chunk's outputs within :data:`CHUNK_BYTES`), the neurons carrying their
state from one chunk to the next; they concatenate that part's output over time
and run the remaining stages once over the whole sequence (:func:`chunk_plan`).
The values are those of the step loop either way (up to rounding in the layers'
batched sums). A chunked part never contains a whole-sequence neuron or a
``BatchNorm`` in training mode (whose statistics would then cover one chunk): the
network is then folded whole.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from snnx_torch.compat import is_compiling
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


FOLD_BYTES = 32 * 2**20
"""A network whose folded activations all stay within this runs folded whole (see the module notes).

32 MiB is glibc's largest dynamic ``mmap`` threshold: a larger buffer is mapped afresh, and
paged in again, on every call. Measured: FC 784-1000-10 (12.8 MB activations) trains at
1.13x its layers' cost folded whole and 1.20x in chunks of 16 steps."""

CHUNK_BYTES = 8 * 2**20
"""The largest output one chunk of steps may make, once a network runs in chunks.

Measured on the README conv net (T=25, B=128, 2.4 MB per step of its first feature map),
one training step against the layers alone run step by step: chunks of 3 steps (7 MB)
took 1.15x with about 1,700 page faults per training step; chunks of 7 steps (16.5 MB)
1.25x with 20,000 (glibc maps buffers that large afresh on most calls); chunks of 14 steps
1.42x with 71,000; all 25 steps folded 1.4-1.6x. Chunking only the convolution and its
pooling (the stages up to the last output over :data:`FOLD_BYTES`, and one more) and
running the first neuron once over the pooled 14.7 MB took 141 ms against 152 ms for
chunking everything up to the second pooling (chunks of 3 steps both; 2 steps: 139 ms,
4 steps: 164 ms)."""

_PLANS: weakref.WeakKeyDictionary[nn.Module, dict[tuple[Any, ...], tuple[int, int] | None]]
_PLANS = weakref.WeakKeyDictionary()
"""Per network and input shape: ``(stages run in chunks, steps per chunk)``, or ``None`` (fold all)."""


def run_sequence(net: nn.Module, x_seq: torch.Tensor) -> Any:
    """``net`` over all steps of ``x_seq``: the step outputs stacked over time."""
    if not isinstance(net, (SpikingNeuron, nn.Sequential)):
        return _step_by_step(net, x_seq)
    layers = stages(net)
    key = (tuple(x_seq.shape), x_seq.dtype, x_seq.device)
    plans = _PLANS.get(net)
    if plans is None or key not in plans:  # the first call for this shape: fold all, measure
        sizes: list[int] = []
        out = _through_all(layers, x_seq, sizes)
        _PLANS.setdefault(net, {})[key] = chunk_plan(sizes, x_seq.shape[0])
        return out
    plan = plans[key]
    if plan is None or not chunkable(layers[: plan[0]]):
        return _through_all(layers, x_seq)
    split, chunk = plan
    steps = x_seq.shape[0]
    parts = [_through_all(layers[:split], x_seq[start : start + chunk]) for start in range(0, steps, chunk)]
    if isinstance(parts[0], tuple):
        h: Any = tuple(torch.cat(seq) for seq in zip(*parts))
    else:
        h = torch.cat(parts)
    return _through_all(layers[split:], h)


def stages(net: nn.Module) -> list[nn.Module]:
    """The layers and neurons of ``net`` in the order they run (nested ``Sequential`` flattened)."""
    if not isinstance(net, nn.Sequential):
        return [net]
    return [layer for child in net for layer in stages(child)]


def chunk_plan(sizes: list[int], steps: int) -> tuple[int, int] | None:
    """``(split, chunk)`` from each stage's output bytes per step, or ``None`` (fold all steps).

    Chunks are used once a folded output would exceed :data:`FOLD_BYTES`. The stages up
    to the last one whose folded output exceeds it, and the one after it (whose output is
    smaller, so concatenating the chunks is cheap), then run on chunks of ``chunk`` steps,
    each chunk's largest output within :data:`CHUNK_BYTES`; the stages after those run
    once over the whole sequence.
    """
    if not sizes or max(sizes) * steps <= FOLD_BYTES:
        return None
    last_large = max(index for index, size in enumerate(sizes) if size * steps > FOLD_BYTES)
    split = min(len(sizes), last_large + 2)
    return split, max(1, CHUNK_BYTES // max(sizes[:split]))


def chunkable(layers: list[nn.Module]) -> bool:
    """Whether ``layers`` give the same results run on chunks of steps as on the whole sequence."""
    for layer in layers:
        for module in layer.modules():
            if isinstance(module, SequenceNeuron):
                return False
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.training:
                return False
    return True


def _through_all(layers: list[nn.Module], h: Any, sizes: list[int] | None = None) -> Any:
    """``h`` through ``layers`` in turn; with ``sizes``, append each output's bytes per step."""
    bias = None  # a Linear's bias, left for the neuron after it to add (see leaves_bias)
    for index, layer in enumerate(layers):
        following = layers[index + 1] if index + 1 < len(layers) else None
        h, bias = _stage(layer, h, following, bias)
        if sizes is not None:
            outputs = h if isinstance(h, tuple) else (h,)
            sizes.append(max(out.nbytes // max(1, out.shape[0]) for out in outputs))
    return h


def leaves_bias(layer: nn.Module, following: nn.Module | None, h: Any) -> bool:
    """Whether ``layer`` is a ``Linear`` whose bias the neuron after it adds inside its own scan.

    On the CPU, a folded ``Linear`` first writes its bias into all ``T * B`` output rows
    and then adds the product to them: a pass over the sequence that a neuron with a
    lean route (``Leaky``'s compiled scan) can do without, adding the bias to each
    input as it reads it. Only for exactly ``nn.Linear`` without hooks (a hook would
    see an output without its bias) and outside ``torch.compile``.
    """
    if type(layer) is not nn.Linear or layer.bias is None or not isinstance(following, SpikingNeuron):
        return False
    if type(following).fast_sequence is SpikingNeuron.fast_sequence:  # no lean route to take the bias
        return False
    if not isinstance(h, torch.Tensor) or not h.is_cpu or is_compiling():
        return False
    return not _hooked(layer)


_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


def _hooked(layer: nn.Module) -> bool:
    """Whether any hook would see ``layer``'s call (its own, or a global one)."""
    if layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks or layer._backward_pre_hooks:
        return True
    module = nn.modules.module
    return any(getattr(module, name, True) for name in _GLOBAL_HOOKS)  # an unknown torch: assume hooks


def _stage(
    layer: nn.Module, h: Any, following: nn.Module | None, bias: torch.Tensor | None
) -> tuple[Any, torch.Tensor | None]:
    """``layer`` over all steps of ``h``, and the bias it leaves to ``following`` (:func:`leaves_bias`)."""
    if leaves_bias(layer, following, h):
        return _folded(h, functional.linear, layer.weight), layer.bias
    return _through(layer, h, bias), None


def _through(layer: nn.Module, h: Any, bias: torch.Tensor | None) -> Any:
    """``layer`` over all steps of ``h``; ``bias`` (from :func:`leaves_bias`) goes to a neuron ``layer``."""
    if isinstance(layer, SpikingNeuron):
        config = layer.step_config()
        returned = layer.spec.returns_states(config)
        spk_seq, *state_seqs = layer.forward_sequence(h, record_states=returned, input_bias=bias)
        return layer.spec.outputs(spk_seq, tuple(state_seqs), config) if returned else spk_seq
    if isinstance(layer, SequenceNeuron):
        return layer(h)
    if isinstance(h, torch.Tensor) and foldable(layer):
        return _folded(h, layer)
    return _step_by_step(layer, h)


def _folded(h: torch.Tensor, function: Any, *arguments: Any) -> torch.Tensor:
    """``function(h folded to [T * B, ...], *arguments)`` unfolded to ``[T, B, ...]``."""
    steps, batch = h.shape[:2]
    out = function(h.reshape(steps * batch, *h.shape[2:]), *arguments)
    return out.reshape(steps, batch, *out.shape[1:])


def _step_by_step(module: nn.Module, h: Any) -> Any:
    steps = h[0].shape[0] if isinstance(h, tuple) else h.shape[0]
    outputs = [module(tuple(x[t] for x in h) if isinstance(h, tuple) else h[t]) for t in range(steps)]
    if isinstance(outputs[0], tuple):
        return tuple(torch.stack(list(seq)) for seq in zip(*outputs))
    return torch.stack(outputs)
