"""``snnx info``: versions, backends (with devices and reasons), add-ons and broken plugins."""

from __future__ import annotations

import argparse
import platform
import warnings
from importlib.metadata import PackageNotFoundError, distributions, version

from snnx import selection
from snnx._version import __version__
from snnx.cli.commands import Command
from snnx.plugin_manager import PluginLoadWarning, plugin_manager

CORE_DEPENDENCIES = ("numpy", "pluggy")


def _version_of(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def addon_distributions() -> list[tuple[str, str]]:
    """Installed distributions of the snnx family other than the core (``snnx-*``)."""
    found = {}
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith("snnx-"):
            found[name] = dist.version
    return sorted(found.items())


def info_lines() -> list[str]:
    lines = [f"snnx {__version__} (Python {platform.python_version()}, {platform.platform()})"]
    lines.append("dependencies: " + ", ".join(f"{n} {_version_of(n)}" for n in CORE_DEPENDENCIES))
    lines.append("backends:")
    try:
        default = selection.current_selection().backend
    except Exception as error:  # a bad SNNX_BACKEND must still let info run
        default = f"<error: {error}>"
    for row in selection.backends():
        marker = "*" if row.name == default else " "
        if row.available:
            devices = selection.get_backend(row.name).devices()
            detail = f"available   devices: {', '.join(devices)}"
        else:
            detail = f"unavailable ({row.reason})"
        lines.append(f" {marker} {row.name:<16} {detail}   [plugin: {row.plugin}]")
        if row.available:
            lines.extend(f"{'':<20}{note}" for note in selection.get_backend(row.name).notes())
    lines.append(f"   (* = in force; choose with snnx.use(name) or {selection.BACKEND_ENV})")
    addons = addon_distributions()
    lines.append("installed snnx packages: " + (", ".join(f"{n} {v}" for n, v in addons) or "none"))
    broken = plugin_manager.broken
    lines.append("broken plugins: " + ("none" if not broken else ""))
    lines.extend(f"   {plugin.name}: {plugin.error}" for plugin in broken)
    return lines


def _run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():  # broken plugins are listed in the report itself
        warnings.simplefilter("ignore", PluginLoadWarning)
        print("\n".join(info_lines()))
    return 0


INFO = Command("info", "show versions, backends, devices and plugins", lambda parser: None, _run)
