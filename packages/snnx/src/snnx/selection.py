"""Which backend runs snnx code: listing, choosing and looking backends up.

Precedence: ``snnx.use(...)`` (also as a context manager), then the
``SNNX_BACKEND`` environment variable (``name`` or ``name:device``), then the
available backend with the highest priority (torch when installed, else numpy).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from snnx.backend import Backend
from snnx.errors import BackendNotFoundError, BackendUnavailableError
from snnx.plugin_manager import plugin_manager

BACKEND_ENV = "SNNX_BACKEND"

INSTALL_HINTS = {
    "torch": "pip install 'snnx[torch]'",
    "ipu": "pip install 'snnx[ipu]' (poptorch itself comes with Graphcore's Poplar SDK)",
}


@dataclass(frozen=True)
class BackendInfo:
    """One row of :func:`backends`."""

    name: str
    available: bool
    reason: str | None
    plugin: str
    priority: int


@dataclass(frozen=True)
class Selection:
    backend: str
    device: str | None = None


_selected: list[Selection] = []
"""The selection made by :class:`use` (process-wide; empty when none was made)."""
_instances: dict[str, tuple[str, Backend]] = {}
_registered_at = [-1]
"""The plugin manager's ``generation`` that ``_instances`` was built at."""


def _registry() -> dict[str, tuple[str, Backend]]:
    """Every backend any plugin provides, by name, as ``(plugin_name, backend)``.

    Asked of the plugins again only after a plugin was registered or unregistered
    (``snnx.run`` looks its backend up on every call). Instances are kept, so a
    backend's caches survive.
    """
    plugin_manager.discover()
    if _registered_at[0] == plugin_manager.generation:
        return _instances
    current: dict[str, tuple[str, Backend]] = {}
    for plugin_name, provided in plugin_manager.call("snnx_backends"):
        for backend in provided:
            kept = _instances.get(backend.name)
            if kept is not None and kept[0] == plugin_name and type(kept[1]) is type(backend):
                current[backend.name] = kept
            else:
                current[backend.name] = (plugin_name, backend)
    _instances.clear()
    _instances.update(current)
    _registered_at[0] = plugin_manager.generation
    return _instances


def backends() -> list[BackendInfo]:
    """Every known backend, best first, with whether it can run here (and why not)."""
    rows = []
    for name, (plugin, backend) in _registry().items():
        status = backend.availability()
        rows.append(BackendInfo(name, status.available, status.reason, plugin, backend.priority))
    return sorted(rows, key=lambda row: (-row.available, -row.priority, row.name))


def get_backend(name: str, device: str | None = None) -> Backend:
    """The backend called ``name``, checked to be usable (on ``device``, if given)."""
    registry = _registry()
    if name not in registry:
        known = ", ".join(sorted(registry)) or "none"
        hint = INSTALL_HINTS.get(name)
        fix = f"install it with {hint}" if hint else "check the spelling or install its plugin"
        raise BackendNotFoundError(f"unknown snnx backend {name!r} (known: {known}); {fix}.")
    backend = registry[name][1]
    status = backend.availability()
    if not status.available:
        raise BackendUnavailableError(
            f"snnx backend {name!r} is installed but cannot run here: {status.reason}"
        )
    if device is not None:
        backend.check_device(device)
    return backend


def _parse(spec: str) -> Selection:
    name, _, device = spec.partition(":")
    return Selection(name.strip(), device.strip() or None)


def current_selection() -> Selection:
    """The backend (and device) in force, resolved by the precedence above."""
    if _selected:
        return _selected[-1]
    from_env = os.environ.get(BACKEND_ENV, "").strip()
    if from_env:
        return _parse(from_env)
    for row in backends():
        if row.available:
            return Selection(row.name)
    raise BackendUnavailableError("no snnx backend is available; reinstall snnx.")


def current_backend() -> Backend:
    """The backend in force (see the module docstring for precedence)."""
    selection = current_selection()
    try:
        return get_backend(selection.backend, selection.device)
    except (BackendNotFoundError, BackendUnavailableError) as error:
        if not _selected and os.environ.get(BACKEND_ENV):
            raise type(error)(f"{error} (selected by {BACKEND_ENV}={os.environ[BACKEND_ENV]!r})") from None
        raise


def current_device() -> str | None:
    """The device chosen with the backend, or None for the backend's default."""
    return current_selection().device


class use:  # noqa: N801 - reads as a verb: snnx.use("torch")
    """Select the backend for snnx code: ``snnx.use("torch")`` or ``snnx.use("torch", device="cuda")``.

    Takes effect at once; as a context manager (``with snnx.use("numpy"): ...``)
    the previous selection comes back on exit. Classes such as ``snnx.Leaky`` are
    looked up in the backend in force when they are accessed.
    """

    def __init__(self, name: str, device: str | None = None) -> None:
        selection = _parse(name) if device is None else Selection(name, device)
        get_backend(selection.backend, selection.device)  # fail now, not at first use
        self.selection = selection
        self._previous = list(_selected)
        _selected[:] = [selection]

    def __enter__(self) -> Backend:
        return get_backend(self.selection.backend, self.selection.device)

    def __exit__(self, *exc_info: Any) -> None:
        _selected[:] = self._previous

    def __repr__(self) -> str:
        device = f", device={self.selection.device!r}" if self.selection.device else ""
        return f"snnx.use({self.selection.backend!r}{device})"


def backend_for(obj: Any) -> Backend:
    """The backend whose arrays or models ``obj`` is (the selected one is asked first)."""
    owners = [backend for _, backend in _registry().values() if backend.owns(obj)]
    usable = [backend for backend in owners if backend.availability().available]
    if len(usable) > 1:  # only then does the selection decide (it is slower to resolve)
        selected = current_selection().backend
        usable.sort(key=lambda backend: (backend.name != selected, -backend.priority))
    if usable:
        return usable[0]
    raise TypeError(
        f"no available snnx backend handles objects of type {type(obj).__module__}."
        f"{type(obj).__qualname__}; pass an array or model of an installed backend "
        f"(available: {', '.join(row.name for row in backends() if row.available)})."
    )
