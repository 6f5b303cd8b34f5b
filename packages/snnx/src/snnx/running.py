"""``snnx.run``: a network over a whole input sequence in one call."""

from __future__ import annotations

from typing import Any

from snnx.selection import backend_for


def run(net: Any, x_seq: Any, reset: bool = True) -> Any:
    """Run ``net`` over every time step of ``x_seq [T, batch, ...]`` and record its outputs.

    ``net`` is a neuron, a sequential container, or any model of the backend built
    from layers and snnx neurons with ``init_hidden=True``. Returns what one step of
    ``net`` returns, stacked over time: ``spk_rec [T, ...]``, or ``(spk_rec, mem_rec)``
    when the last neuron has ``output=True``. The hidden state is reset first unless
    ``reset=False`` (then the run continues from the state the neurons hold).

    The result equals calling ``net`` once per step (the snnTorch-style loop), in
    values and gradients; backends may compute it faster (the torch backend folds
    stateless layers over time and runs fused multi-step neuron kernels).
    """
    shape = tuple(getattr(x_seq, "shape", ()))
    if len(shape) < 2:
        raise ValueError(f"snnx.run expects an input sequence [time, batch, ...], got shape {shape}.")
    backend = backend_for(net)
    if reset:
        for neuron in backend.neurons_in(net):
            neuron.reset_hidden()
    return backend.run(net, x_seq)
