"""Delta modulation: ``spikegen.delta``."""

from __future__ import annotations

from snnx.ops import Array
from snnx.selection import backend_for
from snnx.specs import encoders
from snnx.specs.encoders.arguments import check_real_input


def delta(data: Array, threshold: float = 0.1, padding: bool = False, off_spike: bool = False) -> Array:
    r"""Spike where a time series (time first) rises by at least ``threshold`` in one step.

    :math:`s_t = [x_t - x_{t-1} \ge \vartheta]`, minus :math:`[x_t - x_{t-1} \le -\vartheta]`
    with ``off_spike=True`` (falls give -1). Step 0 compares with zeros, or with itself
    (never firing) when ``padding=True``. Same shape and dtype as ``data``; integer
    data works too.
    """
    check_real_input("spikegen.delta", "data", data)
    return encoders.delta(backend_for(data).ops, data, threshold, padding, off_spike)
