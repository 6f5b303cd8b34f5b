"""Entry point of the ``snnx`` console script; plugins add subcommands through a hook."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from snnx._version import __version__
from snnx.cli.commands import Command
from snnx.cli.info import INFO
from snnx.plugin_manager import plugin_manager


def all_commands() -> dict[str, Command]:
    commands = {INFO.name: INFO}
    for _, provided in plugin_manager.call("snnx_cli_commands"):
        for command in provided:
            commands.setdefault(command.name, command)
    return commands


def build_parser(commands: dict[str, Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snnx", description="snnx: spiking neural networks.")
    parser.add_argument("--version", action="version", version=f"snnx {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in commands.values():
        command.configure(subparsers.add_parser(command.name, help=command.help))
    return parser


ADD_ON_HINTS = {
    "train": " (it comes with the torch backend: pip install 'snnx[torch]')",
    "nir": " (it comes with the NIR add-on: pip install 'snnx[nir]')",
}
"""What to install for a subcommand that a known add-on provides."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = all_commands()
    if argv and not argv[0].startswith("-") and argv[0] not in commands:
        hint = ADD_ON_HINTS.get(argv[0], "")
        print(
            f"snnx: unknown command {argv[0]!r}{hint}; available: {', '.join(sorted(commands))}",
            file=sys.stderr,
        )
        return 2
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return commands[args.command].run(args)


if __name__ == "__main__":
    raise SystemExit(main())
