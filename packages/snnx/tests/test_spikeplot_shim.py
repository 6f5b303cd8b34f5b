"""snnx.spikeplot forwards to snnx-spikeplot, or says how to install it."""

from __future__ import annotations

import importlib
import sys

import pytest

NAMES = (
    "animator",
    "plot_cur_mem_spk",
    "plot_snn_spikes",
    "raster",
    "save_animation",
    "spike_count",
    "traces",
)


def test_shim_without_snnx_spikeplot_says_pip_install_snnx_plot(monkeypatch):
    # what an environment without the add-on looks like
    monkeypatch.setitem(sys.modules, "snnx_spikeplot", None)
    monkeypatch.delitem(sys.modules, "snnx.spikeplot", raising=False)
    with pytest.raises(ImportError, match=r"pip install snnx\[plot\]") as info:
        importlib.import_module("snnx.spikeplot")
    assert "snnx.spikeplot" in str(info.value)


def test_both_import_styles_give_snnx_spikeplots_functions():
    snnx_spikeplot = pytest.importorskip(
        "snnx_spikeplot", reason="snnx-spikeplot is not installed (pip install snnx[plot])"
    )
    import snnx.spikeplot as splt
    from snnx import spikeplot

    assert spikeplot is splt
    for name in NAMES:
        assert getattr(splt, name) is getattr(snnx_spikeplot, name), name
    assert sorted(splt.__all__) == sorted(NAMES)
