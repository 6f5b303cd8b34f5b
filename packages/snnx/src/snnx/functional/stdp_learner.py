"""Spike-timing-dependent plasticity (snnTorch's ``functional.stdp_learner``).

``STDPLearner`` and the single-step rules update the weights of the backend's
linear and convolutional layers from pre- and post-synaptic spike traces; see
``snnx_torch.extensions.stdp_learner``.
"""

from __future__ import annotations

from typing import Any

from snnx.extensions import resolve

FORWARDED = (
    "STDPLearner",
    "mstdp_linear_single_step",
    "mstdpet_linear_single_step",
    "stdp_conv1d_single_step",
    "stdp_conv2d_single_step",
    "stdp_linear_single_step",
)
__all__ = list(FORWARDED)


def __getattr__(name: str) -> Any:
    if name in FORWARDED:
        return resolve("stdp_learner", name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
