"""Framework-bound APIs that snnx forwards to the backend in use.

Monitors, STDP learners, training loops and dataset helpers work on a
framework's modules, hooks and datasets, so each backend provides its own
(:meth:`snnx.backend.Backend.extension`). The public modules
(``snnx.functional.probe``, ``snnx.functional.stdp_learner``, ``snnx.backprop``,
the dataset helpers of ``snnx.utils``) look their names up here.
"""

from __future__ import annotations

from typing import Any

from snnx.errors import BackendUnavailableError
from snnx.selection import current_backend


def resolve(extension: str, name: str, public_module: str) -> Any:
    """``name`` from the current backend's ``extension`` module, or a clear error."""
    backend = current_backend()
    module = backend.extension(extension)
    if module is None:
        raise BackendUnavailableError(
            f"{public_module}.{name} needs a backend with trainable modules; the backend in use, "
            f"{backend.name!r}, has no {extension!r} support. Install and select one that has it: "
            "pip install 'snnx[torch]', then snnx.use('torch')."
        )
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError(
            f"{public_module}.{name}: backend {backend.name!r} does not provide it "
            f"in its {extension!r} support."
        ) from None
