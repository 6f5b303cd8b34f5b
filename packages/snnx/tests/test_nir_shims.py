"""snnx.export_nir / snnx.import_nir / snnx.nir forward to snnx-nir, or say how to install it."""

from __future__ import annotations

import importlib
import sys

import pytest

SHIMS = ("snnx.export_nir", "snnx.import_nir", "snnx.nir")


@pytest.mark.parametrize("shim", SHIMS)
def test_shim_without_snnx_nir_says_pip_install_snnx_nir(shim, monkeypatch):
    monkeypatch.setitem(sys.modules, "snnx_nir", None)  # what an environment without snnx-nir looks like
    monkeypatch.delitem(sys.modules, shim, raising=False)
    with pytest.raises(ImportError, match=r"pip install snnx\[nir\]") as info:
        importlib.import_module(shim)
    assert shim in str(info.value)


def test_snnx_nir_save_and_load_are_snnx_nirs():
    snnx_nir = pytest.importorskip("snnx_nir", reason="snnx-nir is not installed (pip install snnx[nir])")
    from snnx import nir

    assert nir.save is snnx_nir.save and nir.load is snnx_nir.load and nir.read_graph is snnx_nir.read_graph


def test_snntorch_style_imports_forward_to_snnx_nir():
    snnx_nir = pytest.importorskip("snnx_nir", reason="snnx-nir is not installed (pip install snnx[nir])")
    pytest.importorskip("torch", reason="export/import of torch modules need torch")
    from snnx.export_nir import export_to_nir
    from snnx.import_nir import import_from_nir

    assert export_to_nir is snnx_nir.export_to_nir and import_from_nir is snnx_nir.import_from_nir


@pytest.mark.parametrize(("command", "extra"), [("nir", "snnx[nir]"), ("train", "snnx[torch]")])
def test_cli_names_the_add_on_of_a_missing_subcommand(monkeypatch, capsys, command, extra):
    from snnx.cli import main as cli_main

    monkeypatch.setattr(cli_main, "all_commands", lambda: {})
    assert cli_main.main([command, "--help"]) == 2
    message = capsys.readouterr().err
    assert f"unknown command {command!r}" in message and f"pip install '{extra}'" in message
