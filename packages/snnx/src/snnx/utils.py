"""Helpers for running networks of snnx neurons."""

from __future__ import annotations

from typing import Any

from snnx.selection import backend_for

__all__ = ["reset"]


def reset(net: Any) -> Any:
    """Reset the hidden state of every neuron inside ``net`` (nested containers too).

    Only ``net``'s own neurons are touched: other networks in the same process
    keep their state. Returns ``net``.
    """
    for neuron in backend_for(net).neurons_in(net):
        neuron.reset_hidden()
    return net
