"""An outside backend (tests/plugins/snnx-toy), registered only by entry point."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import snnx
from snnx.plugin_manager import PluginLoadWarning
from snnx.testing import checks_for

pytest.importorskip("snnx_toy", reason="install tests/plugins/snnx-toy (nox -s tests does)")


def test_toy_backend_is_discovered_through_its_entry_point():
    rows = {row.name: row for row in snnx.backends()}
    assert rows["toy"].available and rows["toy"].plugin == "toy"
    assert not rows["toy-accelerator"].available
    assert "toy" in snnx.plugin_manager.plugin_names()


def test_toy_backend_is_selectable_and_realises_leaky():
    with snnx.use("toy"):
        lif = snnx.Leaky(beta=0.5)
        assert type(lif).__module__ == "snnx_toy.backend"
    spk, mem = lif(snnx.get_backend("toy").asarray(np.full((1, 2), 0.8)))
    assert spk.tolist() == [[0.0, 0.0]]
    assert mem.ravel().tolist() == pytest.approx([0.8, 0.8])


@pytest.mark.parametrize("check", checks_for(snnx.get_backend("toy")), ids=lambda check: check.__name__)
def test_toy_backend_conforms(check):
    check(snnx.get_backend("toy"))


def test_unavailable_third_party_backend_says_why():
    with pytest.raises(snnx.BackendUnavailableError, match="no toy accelerator is attached"):
        snnx.use("toy-accelerator")


def test_broken_plugin_is_reported_and_breaks_nothing():
    assert any(
        p.name == "toy-broken" and "deliberately broken" in p.error for p in snnx.plugin_manager.broken
    )
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import snnx; print(snnx.current_backend().name)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "torch"
    assert PluginLoadWarning.__name__ in result.stderr and "toy-broken" in result.stderr


def test_snnx_info_lists_backends_devices_addons_and_broken_plugins():
    result = subprocess.run(
        [sys.executable, "-m", "snnx.cli.main", "info"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = {
        line.split()[1] if line.startswith(" *") else line.split()[0]: line for line in out.splitlines()[3:]
    }
    assert "available   devices: cpu" in lines["torch"] and lines["torch"].startswith(" *")
    assert "available   devices: cpu" in lines["numpy"]
    assert "available   devices: cpu" in lines["toy"]
    assert "unavailable (no toy accelerator is attached to this machine)" in lines["toy-accelerator"]
    assert "numpy " in out and "pluggy " in out
    assert "snnx-torch 0.1.0" in out and "snnx-toy 0.1.0" in out
    assert "toy-broken: ImportError" in out
