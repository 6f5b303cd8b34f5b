"""Listing, selecting and looking up backends."""

from __future__ import annotations

import numpy as np
import pytest

import snnx
from snnx import selection
from snnx.backend import Availability
from snnx.hookspecs import hookimpl
from snnx.numpy_backend.backend import NumpyBackend


class _Broken(NumpyBackend):
    name = "offline"

    def availability(self) -> Availability:
        return Availability(False, "its runtime is not installed")


class _Plugin:
    @hookimpl
    def snnx_backends(self):
        return [_Broken()]


@pytest.fixture
def offline_backend():
    snnx.plugin_manager.register(_Plugin(), name="offline-plugin")
    yield
    snnx.plugin_manager.unregister("offline-plugin")


def test_numpy_backend_is_always_listed_and_available():
    rows = {row.name: row for row in snnx.backends()}
    assert rows["numpy"].available and rows["numpy"].reason is None
    assert rows["numpy"].plugin == "numpy"


def test_use_selects_at_once_and_context_manager_restores(monkeypatch):
    monkeypatch.delenv(selection.BACKEND_ENV, raising=False)
    before = selection.current_selection()
    with snnx.use("numpy") as backend:
        assert backend.name == "numpy"
        assert snnx.current_backend().name == "numpy"
        assert snnx.Leaky.__module__ == "snnx.numpy_backend.neurons"
    assert selection.current_selection() == before


def test_environment_variable_selects_backend(monkeypatch):
    monkeypatch.setenv(selection.BACKEND_ENV, "numpy")
    assert snnx.current_backend().name == "numpy"


def test_bad_environment_variable_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv(selection.BACKEND_ENV, "nonesuch")
    with pytest.raises(snnx.BackendNotFoundError, match="SNNX_BACKEND='nonesuch'"):
        snnx.current_backend()


def test_unknown_backend_lists_known_ones_and_how_to_install(monkeypatch):
    with pytest.raises(snnx.BackendNotFoundError, match=r"unknown snnx backend 'nonesuch' \(known: .*numpy"):
        snnx.use("nonesuch")
    # a backend snnx knows how to install but that is not installed here (snnx-ipu may well be)
    monkeypatch.setitem(selection.INSTALL_HINTS, "quantum", "pip install 'snnx[quantum]'")
    with pytest.raises(snnx.BackendNotFoundError, match=r"pip install 'snnx\[quantum\]'"):
        snnx.use("quantum")


def test_installed_but_unavailable_backend_gives_its_reason(offline_backend):
    row = next(row for row in snnx.backends() if row.name == "offline")
    assert not row.available and row.reason == "its runtime is not installed"
    with pytest.raises(snnx.BackendUnavailableError, match="installed but cannot run here: its runtime"):
        snnx.use("offline")
    availability = [row.available for row in snnx.backends()]
    assert availability == sorted(availability, reverse=True), "available backends must be listed first"


def test_unknown_device_is_refused():
    with pytest.raises(
        snnx.BackendUnavailableError, match=r"cannot use device .tpu:0.*available devices: cpu"
    ):
        snnx.use("numpy", device="tpu:0")


def test_backend_for_finds_the_owner_and_rejects_foreign_objects():
    assert snnx.backend_for(np.zeros(3)).name == "numpy"
    with pytest.raises(TypeError, match=r"no available snnx backend handles objects of type builtins\.str"):
        snnx.backend_for("not an array")


def test_plugins_are_asked_for_backends_again_only_after_the_plugins_change(offline_backend):
    calls = []

    class Counting:
        @hookimpl
        def snnx_backends(self):
            calls.append(1)
            return []

    snnx.plugin_manager.register(Counting(), name="counting")
    try:
        snnx.backends()
        snnx.backends()
        selection.backend_for(np.zeros(3))
        assert len(calls) == 1  # the registry is kept between lookups
        snnx.plugin_manager.unregister("offline-plugin")
        assert "offline" not in [row.name for row in snnx.backends()]
        assert len(calls) == 2  # an unregistered plugin is noticed at once
    finally:
        snnx.plugin_manager.unregister("counting")
        snnx.plugin_manager.register(_Plugin(), name="offline-plugin")  # for the fixture's teardown
