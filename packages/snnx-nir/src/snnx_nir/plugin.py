"""The snnx plugin of snnx-nir (entry point ``nir`` in group ``snnx``): the ``snnx nir`` subcommand."""

from __future__ import annotations

from snnx.hookspecs import hookimpl


@hookimpl
def snnx_cli_commands():
    from snnx_nir.cli import NIR_COMMAND

    return [NIR_COMMAND]
