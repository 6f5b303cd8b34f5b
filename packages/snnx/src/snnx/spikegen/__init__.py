"""snnTorch's ``spikegen``: spike encoders for data and targets, on any backend.

Each function runs on the backend that owns its array argument (NumPy arrays,
torch tensors, ...), with snnTorch's signature, defaults and numbers. Random
encoders also take ``generator`` (an integer seed or the backend's generator)
for reproducible encoding.
"""

from snnx.spikegen.delta_coding import delta
from snnx.spikegen.latency_coding import (
    latency,
    latency_code,
    latency_code_linear,
    latency_code_log,
    latency_interpolate,
)
from snnx.spikegen.rate_coding import rate, rate_conv
from snnx.spikegen.target_coding import (
    from_one_hot,
    rate_interpolate,
    target_rate_code,
    targets_convert,
    targets_latency,
    targets_rate,
    to_one_hot,
    to_one_hot_inverse,
)

__all__ = [
    "delta",
    "from_one_hot",
    "latency",
    "latency_code",
    "latency_code_linear",
    "latency_code_log",
    "latency_interpolate",
    "rate",
    "rate_conv",
    "rate_interpolate",
    "target_rate_code",
    "targets_convert",
    "targets_latency",
    "targets_rate",
    "to_one_hot",
    "to_one_hot_inverse",
]
