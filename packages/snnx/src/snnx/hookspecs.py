"""The hooks an snnx plugin may implement.

A plugin is a module (or object) registered under the ``snnx`` entry-point group::

    [project.entry-points.snnx]
    mybackend = "my_package.snnx_plugin"

whose functions are decorated with :data:`hookimpl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from snnx.backend import Backend
    from snnx.cli.commands import Command

PROJECT_NAME = "snnx"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def snnx_backends() -> list[Backend]:
    """Return the backends this plugin provides (cheap: do not import heavy libraries)."""


@hookspec
def snnx_cli_commands() -> list[Command]:
    """Return subcommands this plugin adds to the ``snnx`` console script."""
