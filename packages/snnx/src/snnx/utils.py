"""Helpers for running networks of snnx neurons, and snnTorch's dataset helpers.

``data_subset`` and ``valid_split`` work on the datasets of the backend in use
(torch datasets on torch); see ``snnx_torch.extensions.datasets``.
"""

from __future__ import annotations

from typing import Any

from snnx.selection import backend_for

FORWARDED = ("data_subset", "valid_split")
__all__ = ["reset", *FORWARDED]


def reset(net: Any) -> Any:
    """Reset the hidden state of every neuron inside ``net`` (nested containers too).

    Only ``net``'s own neurons are touched: other networks in the same process
    keep their state. Returns ``net``.
    """
    for neuron in backend_for(net).neurons_in(net):
        neuron.reset_hidden()
    return net


def __getattr__(name: str) -> Any:
    if name in FORWARDED:
        from snnx.extensions import resolve

        return resolve("datasets", name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
