r"""Activity regularisers (snnTorch's ``functional.reg``)."""

from __future__ import annotations

from snnx.ops import Array
from snnx.selection import backend_for

__all__ = ["l1_rate_sparsity"]


class l1_rate_sparsity:  # noqa: N801 - snnTorch's name
    r"""L1 penalty on the total spike count: :math:`\lambda \sum_{t,b,o} s_{t,b,o}`.

    Add it to the loss to encourage sparse firing; ``Lambda`` is :math:`\lambda`.
    """

    def __init__(self, Lambda: float = 1e-5) -> None:  # noqa: N803 - snnTorch's argument name
        self.Lambda = Lambda
        self.__name__ = "l1_rate_sparsity"

    def __call__(self, spk_out: Array) -> Array:
        return self.Lambda * backend_for(spk_out).ops.sum(spk_out)
