"""The snnx plugin of snnx-ipu (entry point ``ipu`` in group ``snnx``).

Kept free of heavy imports: neither torch nor poptorch loads until the backend is used.
"""

from __future__ import annotations

from snnx.hookspecs import hookimpl


@hookimpl
def snnx_backends():
    from snnx_ipu.backend import IPUBackend

    return [IPUBackend()]
