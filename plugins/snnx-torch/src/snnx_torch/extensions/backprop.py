"""Training loops over time for networks of snnx neurons: ``BPTT``, ``TBPTT`` and ``RTRL``.

Each call trains ``net`` for one epoch over ``dataloader``. A batch of ``T`` steps is
cut into windows of ``K`` consecutive steps (the last one shorter when ``K`` does
not divide ``T``). For window ``w`` with steps ``t_w .. t_w + n_w - 1`` the loop runs
the net step by step, records the output spikes ``S_w`` (and membrane ``U_w``, the
net's last output), and takes one optimiser step on

    L_w = criterion(S_w or U_w, targets) + regularization(S_w)

after which every neuron's hidden state is detached, so the next window's gradient
stops at its first step. The neurons are reset before each batch. The value
returned is the mean over batches of the length-weighted window losses

    loss = mean_batches( sum_w (n_w / T) * L_w ),

a 0-d tensor without autograd graph. ``BPTT`` is ``K = T`` (one update per batch,
exact gradient), ``RTRL`` is ``K = 1``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from snnx.errors import ParameterRangeError, StateShapeError
from snnx.selection import get_backend
from snnx.utils import reset

MEMBRANE_CRITERIA = frozenset({"mse_membrane_loss", "ce_max_membrane_loss"})
"""Criteria (by name) that score the membrane potential instead of the spikes."""

Criterion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def TBPTT(  # noqa: N802 - snnTorch's name
    net: nn.Module,
    dataloader: Iterable[Any],
    optimizer: torch.optim.Optimizer,
    criterion: Criterion,
    num_steps: int | bool = False,
    time_var: bool = True,
    time_first: bool = True,
    regularization: Callable[[torch.Tensor], torch.Tensor] | bool = False,
    device: str | torch.device = "cpu",
    K: int = 1,  # noqa: N803 - snnTorch's name
    *,
    progress: bool = True,
) -> torch.Tensor:
    """Truncated backpropagation through time: one optimiser step every ``K`` steps.

    Args:
        net: a ``torch.nn.Module`` with snnx neurons that keep their own state
            (``init_hidden=True`` in an ``nn.Sequential``); called once per step, its
            output is the spikes or a tuple ``(spk, ..., mem)``.
        dataloader: yields ``(data, targets)`` batches.
        optimizer: a ``torch.optim`` optimiser over ``net``'s parameters.
        criterion: ``criterion(record, targets)``; gets the spike record ``[n_w, B, ...]``,
            or the membrane record for ``mse_membrane_loss``/``ce_max_membrane_loss``
            (matched by name); a ``mse_membrane_loss`` with ``time_var_targets=True``
            gets the window's slice ``targets[t_w : t_w + n_w]``.
        num_steps: steps per batch for time-static data (``time_var=False``); leave
            unset for time-varying data, whose time dimension gives ``T``.
        time_var: ``True`` if data is ``[T, B, ...]`` (or ``[B, T, ...]``), ``False`` if
            ``[B, ...]`` and fed unchanged at each of the ``num_steps`` steps.
        time_first: ``False`` for time-varying data laid out ``[B, T, ...]``.
        regularization: optional ``regularization(spike_record)`` added to each window's loss.
        device: where the net and each batch are moved.
        K: window length, ``1 <= K <= T``.
        progress: show a progress bar over the batches.

    Returns:
        The epoch's mean loss (see the module docstring), a detached 0-d tensor.
    """
    _check_window(K)
    return _epoch(
        "TBPTT",
        net,
        dataloader,
        optimizer,
        criterion,
        num_steps,
        time_var,
        time_first,
        regularization,
        device,
        K,
        progress,
    )


def BPTT(  # noqa: N802 - snnTorch's name
    net: nn.Module,
    dataloader: Iterable[Any],
    optimizer: torch.optim.Optimizer,
    criterion: Criterion,
    num_steps: int | bool = False,
    time_var: bool = True,
    time_first: bool = True,
    regularization: Callable[[torch.Tensor], torch.Tensor] | bool = False,
    device: str | torch.device = "cpu",
    *,
    progress: bool = True,
) -> torch.Tensor:
    """Backpropagation through time: one optimiser step per batch, on the whole sequence.

    The same as :func:`TBPTT` with ``K = T``: ``L = criterion(record over all T steps,
    targets)``, gradient through every step. Arguments as for :func:`TBPTT`.

    Returns:
        The mean over batches of ``L``, a detached 0-d tensor.
    """
    return _epoch(
        "BPTT",
        net,
        dataloader,
        optimizer,
        criterion,
        num_steps,
        time_var,
        time_first,
        regularization,
        device,
        None,
        progress,
    )


def RTRL(  # noqa: N802 - snnTorch's name
    net: nn.Module,
    dataloader: Iterable[Any],
    optimizer: torch.optim.Optimizer,
    criterion: Criterion,
    num_steps: int | bool = False,
    time_var: bool = True,
    time_first: bool = True,
    regularization: Callable[[torch.Tensor], torch.Tensor] | bool = False,
    device: str | torch.device = "cpu",
    *,
    progress: bool = True,
) -> torch.Tensor:
    """Online learning as snnTorch's ``RTRL``: an optimiser step after every time step.

    The same as :func:`TBPTT` with ``K = 1``: at step ``t`` the loss
    ``L_t = criterion(record of step t only, targets)`` is minimised with the gradient
    ``dL_t/dtheta`` taken with the hidden state from step ``t - 1`` held constant.
    This is not exact real-time recurrent learning, which would also carry the
    sensitivities ``d state / d theta`` forward from earlier steps; like snnTorch, it
    drops them. Arguments as for :func:`TBPTT`.

    Returns:
        The mean over batches of ``(1/T) sum_t L_t``, a detached 0-d tensor.
    """
    return _epoch(
        "RTRL",
        net,
        dataloader,
        optimizer,
        criterion,
        num_steps,
        time_var,
        time_first,
        regularization,
        device,
        1,
        progress,
    )


def _epoch(
    name: str,
    net: nn.Module,
    dataloader: Iterable[Any],
    optimizer: torch.optim.Optimizer,
    criterion: Criterion,
    num_steps: int | bool,
    time_var: bool,
    time_first: bool,
    regularization: Callable[[torch.Tensor], torch.Tensor] | bool,
    device: str | torch.device,
    window: int | None,
    progress: bool,
) -> torch.Tensor:
    """One epoch; ``window=None`` means the whole sequence."""
    _check_timing(name, num_steps, time_var, time_first)
    neurons = _neurons(name, net)
    criterion_name = getattr(criterion, "__name__", type(criterion).__name__)
    on_membrane = criterion_name in MEMBRANE_CRITERIA
    time_var_targets = bool(getattr(criterion, "time_var_targets", False))
    sliced_targets = criterion_name == "mse_membrane_loss" and time_var_targets
    net = net.to(device)
    total: torch.Tensor | float = 0.0
    batches = 0
    bar = tqdm(dataloader, desc=name, unit="batch", disable=not progress, leave=False)
    for batch in bar:
        data, targets = _unpack(name, batch)
        data, targets = data.to(device), targets.to(device)
        steps = _steps(name, data, targets, num_steps, time_var, time_first, sliced_targets)
        size = steps if window is None else int(window)
        if size > steps:
            raise ParameterRangeError(
                f"{name}: K={size} is longer than the batch's {steps} time steps; use 1 <= K <= {steps}."
            )
        if time_var and not time_first:
            data = data.transpose(0, 1)
        net.train()
        reset(net)
        loss = torch.zeros((), device=targets.device)
        for start in range(0, steps, size):
            stop = min(start + size, steps)
            spikes, membrane = _run(name, net, data, time_var, range(start, stop), on_membrane)
            window_targets = targets[start:stop] if sliced_targets else targets
            window_loss = criterion(membrane if on_membrane else spikes, window_targets)
            if regularization:
                window_loss = window_loss + regularization(spikes)
            optimizer.zero_grad()
            window_loss.backward()
            optimizer.step()
            for neuron in neurons:
                neuron.detach_hidden()
            loss = loss + window_loss.detach() / (steps / (stop - start))
        total = total + loss
        batches += 1
        if progress:
            bar.set_postfix(loss=f"{loss.item():.4g}")
    if batches == 0:
        raise ValueError(f"{name}: the dataloader yielded no batches; give it at least one (data, targets).")
    return total / batches  # type: ignore[return-value]


def _run(
    name: str, net: nn.Module, data: torch.Tensor, time_var: bool, steps: range, on_membrane: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Run the net over ``steps``; the stacked spike and (if needed) membrane records."""
    spikes, membranes = [], []
    for step in steps:
        out = net(data[step] if time_var else data)
        if isinstance(out, (tuple, list)):
            spikes.append(out[0])
            membranes.append(out[-1])
        elif on_membrane:
            raise TypeError(
                f"{name}: the criterion scores the membrane potential, but the net returns only one "
                "tensor; make its last neuron return it too (output=True), so the net returns (spk, mem)."
            )
        else:
            spikes.append(out)
    return torch.stack(spikes), torch.stack(membranes) if on_membrane else None


def _check_window(K: Any) -> None:  # noqa: N803
    if isinstance(K, bool) or not isinstance(K, numbers.Integral):
        raise TypeError(f"TBPTT: K must be an int number of steps per update, got {K!r}.")
    if K < 1:
        raise ParameterRangeError(f"TBPTT: K={K} must be at least 1 (steps per weight update).")


def _check_timing(name: str, num_steps: int | bool, time_var: bool, time_first: bool) -> None:
    if time_var:
        if num_steps is not False and num_steps is not None:
            raise ValueError(
                f"{name}: num_steps={num_steps!r} with time_var=True; time-varying data sets the step "
                "count from its time dimension, so leave num_steps unset (or pass time_var=False)."
            )
        return
    if not time_first:
        raise ValueError(
            f"{name}: time_first=False with time_var=False; time-static data [B, ...] has no time "
            "dimension, so leave time_first unset."
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 1:
        raise ParameterRangeError(
            f"{name}: time-static data (time_var=False) needs num_steps, a positive int of steps to "
            f"run each batch for; got {num_steps!r}."
        )


def _neurons(name: str, net: Any) -> list[nn.Module]:
    if not isinstance(net, nn.Module):
        raise TypeError(f"{name}: net must be a torch.nn.Module, got {type(net).__name__}.")
    neurons = get_backend("torch").neurons_in(net)
    if not neurons:
        raise TypeError(
            f"{name}: net {type(net).__name__} contains no snnx step neurons, so there is no hidden "
            "state to train through time; build it with snnx neurons, e.g. snnx.Leaky(beta, "
            "init_hidden=True) (snntorch neurons are not recognised)."
        )
    return neurons


def _unpack(name: str, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(
            f"{name}: the dataloader must yield (data, targets) pairs, got {type(batch).__name__}."
        )
    data, targets = batch
    if not isinstance(data, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError(
            f"{name}: data and targets must be torch tensors, got {type(data).__name__} and "
            f"{type(targets).__name__}."
        )
    return data, targets


def _steps(
    name: str,
    data: torch.Tensor,
    targets: torch.Tensor,
    num_steps: int | bool,
    time_var: bool,
    time_first: bool,
    sliced_targets: bool,
) -> int:
    """The batch's step count, after checking the data layout against the targets."""
    if time_var and data.dim() < 2:
        raise StateShapeError(
            f"{name}: time-varying data needs a time and a batch dimension, got shape {tuple(data.shape)}."
        )
    steps = int(data.shape[0 if time_first else 1]) if time_var else int(num_steps)
    if sliced_targets:
        if targets.dim() == 0 or targets.shape[0] < steps:
            raise StateShapeError(
                f"{name}: time-varying targets of shape {tuple(targets.shape)} must cover the {steps} "
                f"steps; give them as [T, B, ...] with T >= {steps}."
            )
    elif not time_var:
        _check_batch(name, data.shape[0] if data.dim() else 0, targets, "data [B, ...]", "time_var=True")
    else:
        layout = "[T, B, ...] (time_first=True)" if time_first else "[B, T, ...] (time_first=False)"
        batch = int(data.shape[1 if time_first else 0])
        _check_batch(name, batch, targets, f"data {layout}", f"time_first={not time_first}")
    return steps


def _check_batch(name: str, batch: int, targets: torch.Tensor, layout: str, fix: str) -> None:
    """Class-label targets ``[B]`` must match the data's batch size."""
    if targets.dim() == 1 and batch != targets.shape[0]:
        raise StateShapeError(
            f"{name}: read as {layout} the batch holds {batch} samples, but there are "
            f"{targets.shape[0]} targets; check the layout (try {fix})."
        )
