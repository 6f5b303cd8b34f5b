"""Spike-encoder specs: how data and labels become spike trains, for every backend.

One module per family: :mod:`.rate_coding`, :mod:`.latency_coding`, :mod:`.delta_coding` and
:mod:`.targets`; argument checks they share live in :mod:`.arguments`.
"""

from snnx.specs.encoders.delta_coding import delta
from snnx.specs.encoders.latency_coding import (
    latency,
    latency_code,
    latency_code_linear,
    latency_code_log,
    latency_interpolate,
    latency_spikes,
)
from snnx.specs.encoders.rate_coding import check_rate_arguments, rate, rate_spikes
from snnx.specs.encoders.targets import (
    from_one_hot,
    rate_interpolate,
    target_rate_code,
    targets_rate,
    to_one_hot,
    to_one_hot_inverse,
)

__all__ = [
    "check_rate_arguments",
    "delta",
    "from_one_hot",
    "latency",
    "latency_code",
    "latency_code_linear",
    "latency_code_log",
    "latency_interpolate",
    "latency_spikes",
    "rate",
    "rate_interpolate",
    "rate_spikes",
    "target_rate_code",
    "targets_rate",
    "to_one_hot",
    "to_one_hot_inverse",
]
