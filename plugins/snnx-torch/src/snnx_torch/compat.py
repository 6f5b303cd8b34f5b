"""What differs between the torch versions snnx-torch runs on.

Users' installs accept torch >= 2.2; Graphcore's poptorch (the IPU backend) pins torch 2.0.1.
Two newer APIs are used only where they exist: ``torch.compiler.is_compiling`` (2.3) and
``torch.library.custom_op`` (2.4, for the ``snnx::spike`` op under ``torch.compile``).
"""

from __future__ import annotations

import torch

HAS_CUSTOM_OP = hasattr(torch.library, "custom_op")
"""Whether ``torch.library.custom_op`` exists (torch >= 2.4)."""


_IS_COMPILING = getattr(getattr(torch, "compiler", None), "is_compiling", None)


def is_compiling() -> bool:
    """Whether ``torch.compile`` is tracing this call (always False on torch without the query)."""
    return _IS_COMPILING is not None and bool(_IS_COMPILING())
