r"""The recurrent connection :math:`V(S)` of RLeaky and RSynaptic, forward and transposed.

A fused kernel applies :math:`V` to the previous spikes once per step and, walking
time backwards, sends the gradient :math:`\varepsilon[t]` arriving at :math:`V(S[t-1])`
back to the spikes, :math:`\partial L/\partial S[t-1] = V^\top \varepsilon[t]`. The
weight gradients are sums over time, taken in one call after the loop:

* one-to-one, :math:`V(S) = v \odot S`: :math:`\partial L/\partial v = \sum_t \varepsilon[t] \odot S[t-1]`
  (summed over what ``v`` was broadcast along);
* linear, :math:`V(S) = S W^\top + b`: :math:`\partial L/\partial W = \sum_t \varepsilon[t]^\top S[t-1]`,
  :math:`\partial L/\partial b = \sum_t \varepsilon[t]`;
* conv2d, :math:`V(S) = W \star S + b` (zero padding ``k // 2``): the same sums, by
  :func:`torch.nn.grad.conv2d_weight` over all ``T * B`` samples at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional
from torch.nn.grad import conv2d_input, conv2d_weight

from snnx.specs.recurrent import kernel_pair, recurrent_layout
from snnx_torch.fused.common import reduce_to


@dataclass(frozen=True)
class Feedback:
    """One recurrent connection: ``layout`` from :func:`~snnx.specs.recurrent.recurrent_layout`.

    ``weight`` is ``V`` (one-to-one) or the layer's weight; ``bias`` is ``None`` for one-to-one.
    """

    layout: str
    padding: tuple[int, int] = (0, 0)

    @classmethod
    def of(cls, config: dict) -> Feedback:
        layout = recurrent_layout(config)
        if layout != "conv2d":
            return cls(layout)
        kernel = kernel_pair(config["kernel_size"])
        return cls(layout, (kernel[0] // 2, kernel[1] // 2))

    def apply(self, spk: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """:math:`V(S)` exactly as the step loop computes it."""
        if self.layout == "linear":
            return functional.linear(spk, weight, bias)
        if self.layout == "conv2d":
            return functional.conv2d(spk, weight, bias, padding=self.padding)
        return spk * weight

    def transpose(self, grad: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        r""":math:`V^\top \varepsilon`: gradient at the spikes from ``grad`` at :math:`V(S)`."""
        if self.layout == "linear":
            return grad @ weight
        if self.layout == "conv2d":
            return conv2d_input(grad.shape, weight, grad, padding=self.padding)
        return grad * weight

    def weight_grads(
        self,
        grad_seq: torch.Tensor,
        spk_prev_seq: torch.Tensor,
        weight: torch.Tensor,
        needs: tuple[bool, bool],
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``(dL/dweight, dL/dbias)`` summed over time from ``grad_seq`` and ``spk_prev_seq [T, ...]``."""
        grad_weight = grad_bias = None
        if self.layout == "one_to_one":
            if needs[0]:
                grad_weight = reduce_to(grad_seq * spk_prev_seq, weight.shape)
            return grad_weight, None
        if self.layout == "linear":
            flat_grad = grad_seq.reshape(-1, grad_seq.shape[-1])
            if needs[0]:
                grad_weight = flat_grad.T @ spk_prev_seq.reshape(-1, spk_prev_seq.shape[-1])
            if needs[1]:
                grad_bias = flat_grad.sum(0)
            return grad_weight, grad_bias
        flat_grad = grad_seq.flatten(0, 1)
        if needs[0]:
            flat_spk = spk_prev_seq.flatten(0, 1)
            grad_weight = conv2d_weight(flat_spk, weight.shape, flat_grad, padding=self.padding)
        if needs[1]:
            grad_bias = flat_grad.sum((0, 2, 3))
        return grad_weight, grad_bias
