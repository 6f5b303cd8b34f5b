"""Importing snnx is light, discovery is lazy, and plugins are isolated."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

import snnx
from snnx.backend import Availability, Backend
from snnx.hookspecs import hookimpl
from snnx.numpy_backend.backend import NumpyBackend
from snnx.plugin_manager import PluginLoadWarning, PluginManager


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )


def test_import_snnx_does_not_import_torch_or_discover_plugins():
    result = _python(
        "import sys, snnx\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert not snnx.plugin_manager._discovered, 'plugins discovered at import'\n"
        "print('ok')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_autoload_can_be_disabled():
    result = _python(
        "import snnx; print(sorted(row.name for row in snnx.backends()))",
        SNNX_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['numpy']"


class _Plugin:
    def __init__(self, backends):
        self._backends = backends

    @hookimpl
    def snnx_backends(self):
        return self._backends


class _Failing:
    @hookimpl
    def snnx_backends(self):
        raise RuntimeError("hook exploded")


class _Unavailable(NumpyBackend):
    name = "never"

    def availability(self) -> Availability:
        return Availability(False, "needs hardware that is not here")


def test_registered_plugin_backend_is_listed_and_a_failing_hook_is_isolated():
    manager = PluginManager()
    manager._discovered = True  # no entry points: only what this test registers
    manager.register(_Plugin([_Unavailable()]), name="unavailable-plugin")
    manager.register(_Failing(), name="failing-plugin")
    with pytest.warns(PluginLoadWarning, match="failing-plugin.*hook exploded"):
        results = manager.call("snnx_backends")
    names = sorted(backend.name for _, provided in results for backend in provided)
    assert names == ["never", "numpy"]
    assert [broken.name for broken in manager.broken] == ["failing-plugin"]
    assert "RuntimeError: hook exploded" in manager.broken[0].error
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        manager.call("snnx_backends")  # warned once, not on every call


def test_process_manager_registration_makes_backend_selectable():
    class Second(NumpyBackend):
        name = "numpy-second"

    snnx.plugin_manager.register(_Plugin([Second()]), name="second")
    try:
        assert "numpy-second" in [row.name for row in snnx.backends()]
        with snnx.use("numpy-second") as backend:
            assert isinstance(backend, Second)
    finally:
        snnx.plugin_manager.unregister("second")
    assert "numpy-second" not in [row.name for row in snnx.backends()]


def test_backend_interface_requires_core_methods():
    class Incomplete(Backend):
        name = "incomplete"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()
