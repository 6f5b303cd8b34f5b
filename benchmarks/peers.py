"""SpikingJelly and Norse running a workload, each configured as close to snnTorch's Leaky as it allows.

snnTorch's Leaky (subtract reset, reset from the previous step's spike, reset detached):

    U[t] = β U[t-1] + I[t] - S[t-1] ϑ,      S[t] = Θ(U[t] - ϑ).

**SpikingJelly** ``LIFNode(tau=1/(1-β), decay_input=False, v_reset=None, detach_reset=True)``
charges ``H[t] = V[t-1] - (V[t-1] - 0)/τ + I[t] = β V[t-1] + I[t]``, fires ``S[t] = Θ(H[t] - ϑ)``
and soft-resets ``V[t] = H[t] - S[t] ϑ``, so ``H[t] = β H[t-1] + I[t] - β S[t-1] ϑ``: the same
as snnTorch except that the subtracted threshold decays once (β ϑ instead of ϑ). Its
membrane readout ``v_seq`` is ``V`` (after the reset), not ``H``. Surrogates: ``ATan(α=2)``
is snnTorch's atan exactly; ``SoftSign(α=k)`` has dS/dU = (k/2) / (1 + k|U|)², snnTorch's
fast_sigmoid times k/2. Layers run time-folded in ``layer.SeqToANNContainer``; the neurons
in multi-step mode (``step_mode='m'``).

**Norse** has no multi-step Leaky module; its Leaky equivalent is the LIF-box step
``lif_box_feed_forward_step`` (a LIF without synaptic current), run over time by Norse's
own ``SNN`` module. With ``dt = 1`` and ``tau_mem_inv = 1 - β`` it computes
``V[t] = V[t-1] + (1-β)(I[t] - V[t-1]) = β V[t-1] + (1-β) I[t]``; the weights and bias of
the layer before each neuron are scaled by 1/(1-β) so that the input term is ``I[t]``.
Then ``S[t] = Θ(V[t] - ϑ)`` and ``reset_subtract`` gives ``V[t] ← V[t] - S[t] ϑ``: the
same reset timing as SpikingJelly. Surrogate: Norse offers no atan or fast sigmoid;
``method="super"`` (SuperSpike) is used, whose Norse 1.1 backward is 1 / (|U| + 1)²
(it ignores ``alpha``). Layers run time-folded (:class:`Folded`); the recorded
membrane is after the reset.
"""

from __future__ import annotations

import torch
from torch import nn

from benchmarks.implementations import Implementation, import_or_reason, interleave, missing
from benchmarks.workloads import Workload


class Folded(nn.Module):
    """Run a per-sample layer on ``[T, B, ...]`` as one batch of ``T·B``."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x.flatten(0, 1)).unflatten(0, x.shape[:2])


def spikingjelly_multistep(workload: Workload, device: str) -> Implementation:
    """SpikingJelly: ``SeqToANNContainer`` layers and ``LIFNode(step_mode='m')`` neurons."""
    name = "SpikingJelly (multi-step)"
    _, reason = import_or_reason("spikingjelly.activation_based.neuron")
    if reason is not None:
        return missing(name, reason)
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    config = workload.neuron
    if config.surrogate == "fast_sigmoid":
        surrogate_function = surrogate.SoftSign(alpha=25.0)
    else:
        surrogate_function = surrogate.ATan(alpha=2.0)
    record_mem = workload.readout == "mem"

    def node(last: bool) -> nn.Module:
        return neuron.LIFNode(
            tau=1.0 / (1.0 - config.beta),
            decay_input=False,
            v_threshold=config.threshold,
            v_reset=None,
            surrogate_function=surrogate_function,
            detach_reset=True,
            step_mode="m",
            store_v_seq=last and record_mem,
        )

    blocks = [layer.SeqToANNContainer(block) for block in workload.blocks()]
    net = interleave(blocks, node).to(device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        functional.reset_net(net)
        spikes = net(x)
        return net[-1].v_seq if record_mem else spikes

    return Implementation(name, forward, [net])


def scale_input_layer(block: nn.Module, factor: float) -> nn.Module:
    """Multiply the weight and bias of the last weighted layer in ``block`` by ``factor``."""
    layer = [
        module for module in block.modules() if isinstance(getattr(module, "weight", None), torch.Tensor)
    ][-1]
    with torch.no_grad():
        layer.weight.mul_(factor)
        if layer.bias is not None:
            layer.bias.mul_(factor)
    return block


def norse_lifbox(workload: Workload, device: str) -> Implementation:
    """Norse: the LIF-box step run over time by ``norse.torch.module.snn.SNN``."""
    name = "Norse (LIF box, SNN)"
    _, reason = import_or_reason("norse.torch")
    if reason is not None:
        return missing(name, reason)
    from norse.torch.functional.lif_box import (
        LIFBoxFeedForwardState,
        LIFBoxParameters,
        lif_box_feed_forward_step,
    )
    from norse.torch.functional.reset import reset_subtract
    from norse.torch.module.snn import SNN

    config = workload.neuron
    parameters = LIFBoxParameters(
        tau_mem_inv=torch.as_tensor(1.0 - config.beta),
        v_leak=torch.as_tensor(0.0),
        v_th=torch.as_tensor(config.threshold),
        v_reset=torch.as_tensor(0.0),
        method="super",
        reset_method=reset_subtract,
    )

    def zero_state(x: torch.Tensor) -> LIFBoxFeedForwardState:
        return LIFBoxFeedForwardState(v=torch.zeros_like(x[0]))

    record_mem = workload.readout == "mem"

    def node(last: bool) -> nn.Module:
        return SNN(
            lif_box_feed_forward_step, zero_state, parameters, dt=1.0, record_states=last and record_mem
        )

    scale = 1.0 / (1.0 - config.beta)
    blocks = [Folded(scale_input_layer(block, scale)) for block in workload.blocks()]
    net = interleave(blocks, node).to(device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        state = None
        for module in net:
            if isinstance(module, SNN):
                x, state = module(x)
            else:
                x = module(x)
        return state.v if record_mem else x

    return Implementation(name, forward, [net])
