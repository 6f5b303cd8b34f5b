"""The demo network: the snnTorch README's conv SNN with 12 and 64 channels."""

from __future__ import annotations

from torch import nn

from snnx import surrogate
from snnx_torch.neurons import Leaky


def conv_snn(channels: tuple[int, int] = (12, 64), beta: float = 0.5, slope: float = 25) -> nn.Sequential:
    """Conv-MaxPool-Leaky twice, then Linear-Leaky read out by spikes and membrane.

    28x28 input: 5x5 conv -> 24, pool -> 12, 5x5 conv -> 8, pool -> 4.
    """
    spike_grad = surrogate.fast_sigmoid(slope=slope)
    first, second = channels
    return nn.Sequential(
        nn.Conv2d(1, first, 5),
        nn.MaxPool2d(2),
        Leaky(beta=beta, spike_grad=spike_grad, init_hidden=True),
        nn.Conv2d(first, second, 5),
        nn.MaxPool2d(2),
        Leaky(beta=beta, spike_grad=spike_grad, init_hidden=True),
        nn.Flatten(),
        nn.Linear(second * 4 * 4, 10),
        Leaky(beta=beta, spike_grad=spike_grad, init_hidden=True, output=True),
    )
