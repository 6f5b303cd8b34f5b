"""Shared pieces of the interop tests: NIR files exchanged between snnx and its peers.

Every test builds a small network in one tool, writes it to a ``.nir`` file, reads the
file in the other tool and runs both step by step over the same random input spikes;
the spike trains must be identical. Run them with ``nox -s interop``, which installs
snnTorch 1.0.0 and Norse 1.1.0 beside snnx.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip(
    "torch", reason="the interop tests run torch networks; run them with `nox -s interop`"
)

STEPS = 60
"""Time steps of every comparison (the task asks for at least 50)."""

BATCH = 2
"""Independent samples run side by side, so batch handling is checked too."""


@pytest.fixture
def nir_path(tmp_path: Path) -> Path:
    """Where a test writes the file that the other tool reads."""
    return tmp_path / "net.nir"


@pytest.fixture
def input_spikes() -> Callable[..., torch.Tensor]:
    """``input_spikes(features, seed=..., rate=...)``: a [STEPS, BATCH, features] 0/1 train."""

    def make(features: int, *, seed: int = 0, rate: float = 0.3) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return (torch.rand(STEPS, BATCH, features, generator=generator) < rate).float()

    return make


def _run_sequential(net: torch.nn.Module, x: torch.Tensor, reset: Callable[[Any], Any]) -> torch.Tensor:
    """Spikes of a container of ``init_hidden`` neurons called once per step (snnTorch's convention).

    The last neuron may be ``output=True`` and return ``(spk, mem)``; only ``spk`` is kept.
    ``reset`` is the tool's ``utils.reset`` and clears the hidden states first.
    """
    reset(net)
    spikes = []
    with torch.no_grad():
        for step in x:
            out = net(step)
            spikes.append(out[0] if isinstance(out, tuple) else out)
    return torch.stack(spikes)


def _run_with_state(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Spikes of a module called as ``out, state = module(x_t, state)`` (imported graphs, Norse).

    This is how nirtorch's graph modules (snnTorch's and Norse's importers), Norse's
    ``SequentialState`` and snnx's ``import_from_nir`` are run: the state goes back in at the
    next step (recurrent loops in nirtorch graphs live in it).
    """
    state = None
    spikes = []
    with torch.no_grad():
        for step in x:
            out, state = module(step, state)
            spikes.append(out)
    return torch.stack(spikes)


@pytest.fixture
def run_sequential() -> Callable[[torch.nn.Module, torch.Tensor, Callable[[Any], Any]], torch.Tensor]:
    """``run_sequential(net, x, reset)``: see :func:`_run_sequential`."""
    return _run_sequential


@pytest.fixture
def run_with_state() -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
    """``run_with_state(module, x)``: see :func:`_run_with_state`."""
    return _run_with_state


@pytest.fixture
def assert_same_spikes() -> Callable[[torch.Tensor, torch.Tensor, str], None]:
    """``assert_same_spikes(ours, theirs, what)``: identical spike trains, and not trivially so."""

    def check(ours: torch.Tensor, theirs: torch.Tensor, what: str) -> None:
        ours, theirs = ours.detach().float(), theirs.detach().float()
        assert ours.shape == theirs.shape, f"{what}: spike shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
        total = int(theirs.sum())
        # A silent or saturated reference would compare equal for almost any dynamics.
        assert 0 < total < theirs.numel(), f"{what}: reference fired {total} of {theirs.numel()} times"
        mismatch = (ours != theirs).nonzero()
        first = [tuple(int(i) for i in row) for row in mismatch[:5]]
        assert len(mismatch) == 0, (
            f"{what}: {len(mismatch)} of {theirs.numel()} spikes differ "
            f"(first at [step, sample, neuron] {first}); reference fired {total} times"
        )

    return check
