"""Loading an optional snnx add-on distribution, or saying how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType


def require_addon(module: str, needed_by: str, extra: str) -> ModuleType:
    """Import the add-on ``module`` for ``needed_by``; else ImportError saying ``pip install snnx[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        distribution = module.replace("_", "-")
        raise ImportError(
            f"{needed_by} needs the {distribution} package ({error}); "
            f"install it with: pip install snnx[{extra}]"
        ) from error
