"""The package's public names, and that nothing in it opens a window."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import snnx_spikeplot

PUBLIC = (
    "animator",
    "plot_cur_mem_spk",
    "plot_snn_spikes",
    "raster",
    "save_animation",
    "spike_count",
    "traces",
)


def test_public_names_are_exported_callables():
    assert sorted(snnx_spikeplot.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert callable(getattr(snnx_spikeplot, name)), name


def test_tests_draw_off_screen():
    assert matplotlib.get_backend().lower() == "agg"


def test_no_function_calls_show(monkeypatch, tmp_path):
    def refuse_show(*args, **kwargs):
        raise AssertionError("library code called plt.show()")

    monkeypatch.setattr(plt, "show", refuse_show)
    spikes = (np.random.default_rng(3).random((5, 4)) < 0.5).astype(float)
    fig, ax = plt.subplots()
    snnx_spikeplot.raster(spikes, ax)
    fig, ax = plt.subplots()
    snnx_spikeplot.spike_count(spikes, fig, ax, list("abcd"))
    fig, ax = plt.subplots()
    anim = snnx_spikeplot.spike_count(spikes, fig, ax, list("abcd"), animate=True)
    snnx_spikeplot.save_animation(anim, tmp_path / "counts.gif")
    fig, ax = plt.subplots()
    frames = snnx_spikeplot.animator(spikes.reshape(5, 2, 2), fig, ax)
    snnx_spikeplot.save_animation(frames, tmp_path / "a.gif")
    plt.figure()
    snnx_spikeplot.traces(spikes, spk=spikes, dim=(2, 2))


def test_spike_count_leaves_global_style_alone():
    before = dict(plt.rcParams)
    fig, ax = plt.subplots()
    snnx_spikeplot.spike_count(np.ones((3, 2)), fig, ax, ["x", "y"])
    changed = {key for key, value in plt.rcParams.items() if before[key] != value}
    assert not changed


@pytest.mark.parametrize("function", ["raster", "traces"])
def test_errors_name_the_argument(function):
    call = {
        "raster": lambda: snnx_spikeplot.raster(object(), plt.gca()),
        "traces": lambda: snnx_spikeplot.traces(np.zeros((3, 2)), spk="01"),
    }[function]
    with pytest.raises(TypeError, match=r"^(data|spk) must"):
        call()
