"""The snnx plugin of snnx-torch (entry point ``torch`` in group ``snnx``).

Kept free of heavy imports: torch loads only when the backend is used.
"""

from __future__ import annotations

from snnx.hookspecs import hookimpl


@hookimpl
def snnx_backends():
    from snnx_torch.backend import TorchBackend

    return [TorchBackend()]


@hookimpl
def snnx_cli_commands():
    from snnx_torch.train.command import TRAIN

    return [TRAIN]
