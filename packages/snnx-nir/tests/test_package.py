"""snnx_nir's public API, its lazy torch functions, save/load, and its registration as an snnx plugin."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import nir
import numpy as np
import pytest

import snnx_nir
from snnx.cli.main import all_commands


def test_public_names_exist():
    for name in snnx_nir.__all__:
        if name not in ("export_to_nir", "import_from_nir"):  # these load torch; tested below
            assert getattr(snnx_nir, name) is not None
    assert set(snnx_nir.__all__) <= set(dir(snnx_nir))


def test_error_classes_form_one_hierarchy_of_value_errors():
    for error in (snnx_nir.NIRFileError, snnx_nir.NIRGraphError, snnx_nir.NIRMappingError):
        assert issubclass(error, snnx_nir.NIRError)
    assert issubclass(snnx_nir.NIRError, ValueError)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'exportt_to_nir'"):
        _ = snnx_nir.exportt_to_nir


def test_torch_functions_without_torch_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    for name in ("snnx_nir.torch_export", "snnx_nir.torch_import"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ImportError, match=r"pip install 'snnx-nir\[torch\]'"):
        _ = snnx_nir.export_to_nir
    with pytest.raises(ImportError, match=r"pip install 'snnx-nir\[torch\]'"):
        _ = snnx_nir.import_from_nir


def test_plugin_is_registered_under_the_snnx_entry_point_group():
    (entry,) = [ep for ep in entry_points(group="snnx") if ep.name == "nir"]
    assert entry.value == "snnx_nir.plugin"
    assert all_commands()["nir"].name == "nir"


def test_load_checks_the_file_before_importing(tmp_path):
    bad = tmp_path / "bad.nir"
    bad.write_text("no")
    with pytest.raises(snnx_nir.NIRFileError, match="not an HDF5 file"):
        snnx_nir.load(bad)


def test_save_writes_a_graph_read_graph_accepts(tmp_path):
    torch = pytest.importorskip("torch", reason="export needs torch (snnx-nir[torch])")
    import snnx as snn

    with snn.use("torch"):
        net = torch.nn.Sequential(torch.nn.Linear(3, 2), snn.Leaky(beta=0.9, init_hidden=True))
    path = tmp_path / "net.nir"
    written = snnx_nir.save(net, path, torch.zeros(1, 3), dt=1e-3)
    graph = snnx_nir.read_graph(path)
    (lif,) = [node for node in graph.nodes.values() if isinstance(node, nir.LIF)]
    np.testing.assert_allclose(lif.tau, 1e-3 / (1 - 0.9), rtol=1e-6)  # tau = dt / (1 - beta)
    assert isinstance(written, nir.NIRGraph)
