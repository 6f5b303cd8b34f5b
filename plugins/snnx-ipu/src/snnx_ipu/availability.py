"""Whether poptorch and an IPU (or the IPU Model simulator) can be used here.

poptorch is not on PyPI: it ships as a wheel inside Graphcore's Poplar SDK. It is
imported on demand, never at ``import snnx_ipu``, and any failure to import it is
kept as the reason the backend is unavailable.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from types import ModuleType

from snnx.backend import Availability
from snnx.errors import BackendUnavailableError

IPU_MODEL_ENV = "POPTORCH_IPU_MODEL"
"""Set to ``1`` to run on the IPU Model, Poplar's simulator of an IPU on the host CPU."""

POPTORCH_MISSING = (
    "poptorch not installed: it ships only inside Graphcore's Poplar SDK (not on PyPI); install the SDK "
    "and `pip install $POPLAR_SDK_ENABLED/../poptorch-*.whl`, then source the SDK's enable.sh "
    "(see docs/ipu.md)"
)
NO_IPU = f"no IPU attached; set {IPU_MODEL_ENV}=1 to use the IPU Model simulator"


def _import_poptorch() -> tuple[ModuleType | None, str | None]:
    """``(poptorch, None)``, or ``(None, why it did not import)``.

    A failed first import is remembered, so asking again (``snnx.run`` asks which backend owns
    a model on every call) does not search the file system each time; a module placed in
    ``sys.modules`` later is still seen.
    """
    if "poptorch" in sys.modules:
        return _attempt_import()
    return _first_import()


@functools.cache
def _first_import() -> tuple[ModuleType | None, str | None]:
    return _attempt_import()


def _attempt_import() -> tuple[ModuleType | None, str | None]:
    try:
        return importlib.import_module("poptorch"), None
    except Exception as error:  # missing, or a broken SDK install (wrong torch, missing libpopart...)
        return None, f"{type(error).__name__}: {error}"


def poptorch_or_none() -> ModuleType | None:
    """The ``poptorch`` module, or ``None`` when it cannot be imported (see :func:`ipu_availability`)."""
    return _import_poptorch()[0]


def ipu_model_requested() -> bool:
    """Whether ``POPTORCH_IPU_MODEL=1`` asks poptorch to run on the IPU Model simulator."""
    return os.environ.get(IPU_MODEL_ENV, "").strip() == "1"


def ipu_availability() -> Availability:
    """Available when poptorch imports and an IPU is attached or the IPU Model is requested.

    Otherwise unavailable, with the reason: poptorch missing (and its import error),
    or no IPU attached (and how to use the simulator instead).
    """
    poptorch, import_error = _import_poptorch()
    if poptorch is None:
        return Availability(False, f"{POPTORCH_MISSING} [import error: {import_error}]")
    if ipu_model_requested():
        return Availability(True)
    try:
        attached = bool(poptorch.ipuHardwareIsAvailable())
    except Exception as error:  # the device query itself failed (driver, permissions)
        return Availability(False, f"{NO_IPU} (poptorch.ipuHardwareIsAvailable() failed: {error})")
    return Availability(True) if attached else Availability(False, NO_IPU)


def require_poptorch() -> ModuleType:
    """The ``poptorch`` module; :class:`~snnx.errors.BackendUnavailableError` with the reason if missing."""
    poptorch, import_error = _import_poptorch()
    if poptorch is None:
        raise BackendUnavailableError(f"{POPTORCH_MISSING} [import error: {import_error}]")
    return poptorch


def describe() -> str:
    """One line for ``snnx info``: where IPU programs would run."""
    poptorch = poptorch_or_none()
    if poptorch is None:
        return "poptorch: not installed"
    version = getattr(poptorch, "__version__", "unknown version")
    target = f"IPU Model simulator ({IPU_MODEL_ENV}=1)" if ipu_model_requested() else "IPU hardware"
    return f"poptorch {version}: runs on the {target}"
