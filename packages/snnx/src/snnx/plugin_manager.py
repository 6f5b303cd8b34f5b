"""Discovers snnx plugins through entry points, lazily and failure-tolerant.

Nothing is imported at ``import snnx`` time: the ``snnx`` entry-point group is
read the first time a backend is needed. A plugin that fails to import, or whose
hook raises, is recorded as broken (shown by ``snnx info`` and warned about once)
and never stops the other plugins or snnx itself.
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from snnx import hookspecs

ENTRY_POINT_GROUP = "snnx"
DISABLE_AUTOLOAD_ENV = "SNNX_DISABLE_PLUGIN_AUTOLOAD"


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be loaded or whose hook failed."""

    name: str
    error: str


class PluginLoadWarning(UserWarning):
    """Warns that an installed snnx plugin is broken and was skipped."""


class PluginManager:
    """snnx's plugin registry: pluggy underneath, with lazy, isolated discovery."""

    def __init__(self) -> None:
        self._pluggy = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pluggy.add_hookspecs(hookspecs)
        self._lock = threading.RLock()
        self._discovered = False
        self.generation = 0
        """Counts changes to the registered plugins, so callers can keep what they derived from them."""
        self.broken: list[BrokenPlugin] = []
        from snnx.numpy_backend import plugin as numpy_plugin

        self._pluggy.register(numpy_plugin, name="numpy")

    def register(self, plugin: Any, name: str) -> None:
        """Register a plugin object by hand (what an entry point does automatically)."""
        with self._lock:
            self._pluggy.register(plugin, name=name)
            self.generation += 1

    def unregister(self, name: str) -> None:
        with self._lock:
            self._pluggy.unregister(name=name)
            self.generation += 1

    def plugin_names(self) -> list[str]:
        self.discover()
        return [name for name, _ in self._pluggy.list_name_plugin()]

    def discover(self) -> None:
        """Load every entry-point plugin once, unless autoload is disabled."""
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            self.generation += 1
            if os.environ.get(DISABLE_AUTOLOAD_ENV, "") not in ("", "0"):
                return
            for entry_point in entry_points(group=ENTRY_POINT_GROUP):
                if self._pluggy.has_plugin(entry_point.name):
                    continue
                try:
                    self._pluggy.register(entry_point.load(), name=entry_point.name)
                except Exception as error:  # a broken plugin must not break snnx
                    self._record_broken(entry_point.name, error)

    def call(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call a hook on every plugin separately: ``[(plugin_name, result), ...]``.

        A plugin whose implementation raises is recorded as broken and skipped.
        """
        self.discover()
        results = []
        for impl in getattr(self._pluggy.hook, hook_name).get_hookimpls():
            try:
                result = impl.function()
            except Exception as error:
                self._record_broken(impl.plugin_name, error)
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def _record_broken(self, name: str, error: BaseException) -> None:
        broken = BrokenPlugin(name, f"{type(error).__name__}: {error}")
        if broken in self.broken:
            return
        self.broken.append(broken)
        warnings.warn(
            f"snnx plugin {name!r} failed to load and was skipped ({broken.error}). "
            "Reinstall or uninstall it; `snnx info` lists broken plugins.",
            PluginLoadWarning,
            stacklevel=3,
        )


plugin_manager = PluginManager()
"""The process-wide plugin manager."""
