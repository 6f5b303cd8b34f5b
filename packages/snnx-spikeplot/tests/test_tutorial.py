"""The tutorial figures draw exactly the recordings they are given, and reject bad input clearly."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from snnx_spikeplot import plot_cur_mem_spk, plot_snn_spikes


@pytest.fixture(autouse=True)
def _refuse_show(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_show(*args, **kwargs):
        raise AssertionError("library code must not call plt.show()")

    monkeypatch.setattr(plt, "show", refuse_show)


def leaky_neuron(cur: np.ndarray, beta: float = 0.9, threshold: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A subtract-reset leaky neuron stepped by hand: the recordings the figure is meant to show."""
    mem = np.zeros_like(cur)
    spk = np.zeros_like(cur)
    u = 0.0
    for t, i in enumerate(cur):
        u = beta * u + i - (threshold if t and spk[t - 1] else 0.0)
        mem[t] = u
        spk[t] = float(u > threshold)
    return mem, spk


def step_current(steps: int = 60, onset: int = 10, level: float = 0.3) -> np.ndarray:
    cur = np.zeros(steps)
    cur[onset:] = level
    return cur


def offsets(collection) -> np.ndarray:
    return np.asarray(collection.get_offsets()).reshape(-1, 2)


def test_cur_mem_spk_draws_the_recordings_threshold_and_spike_times():
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    assert spk.sum() >= 2, "the test neuron should fire a few times"

    fig = plot_cur_mem_spk(cur, mem, spk, thr_line=1.0, title="Leaky neuron", ylim_max1=0.5)

    assert isinstance(fig, Figure)
    ax_cur, ax_mem, ax_spk = fig.axes
    np.testing.assert_array_equal(ax_cur.lines[0].get_ydata(), cur)
    np.testing.assert_array_equal(ax_mem.lines[0].get_ydata(), mem)
    np.testing.assert_array_equal(ax_mem.lines[1].get_ydata(), [1.0, 1.0])
    spike_times = np.flatnonzero(spk)
    np.testing.assert_array_equal(offsets(ax_spk.collections[0])[:, 0], spike_times)
    np.testing.assert_array_equal(offsets(ax_spk.collections[0])[:, 1], 0)
    assert ax_cur.get_title() == "Leaky neuron"
    assert ax_cur.get_ylim() == (0, 0.5)
    assert ax_mem.get_ylim() == (0, 1.25)
    assert ax_cur.get_xlim() == (0, len(cur))


def test_cur_mem_spk_without_guides_draws_only_the_traces():
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    ax_cur, ax_mem, ax_spk = plot_cur_mem_spk(cur, mem, spk).axes
    assert len(ax_mem.lines) == 1
    assert ax_cur.get_title() == ""
    assert not ax_spk.lines


def test_cur_mem_spk_vline_marks_the_step_on_every_panel():
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    fig = plot_cur_mem_spk(cur, mem, spk, vline=25)
    for ax in fig.axes:
        np.testing.assert_array_equal(ax.lines[-1].get_xdata(), [25, 25])


def test_cur_mem_spk_takes_torch_recordings_with_a_neuron_axis():
    torch = pytest.importorskip("torch", reason="torch tensors are one of the accepted inputs")
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    cur_t = torch.tensor(cur, requires_grad=True)
    mem_t = torch.tensor(mem).unsqueeze(1)  # [T, 1], as a recorded snnTorch membrane
    spk_t = torch.tensor(spk).unsqueeze(1)
    ax_cur, ax_mem, ax_spk = plot_cur_mem_spk(cur_t, mem_t, spk_t, thr_line=1).axes
    np.testing.assert_array_equal(ax_cur.lines[0].get_ydata(), cur)
    np.testing.assert_array_equal(ax_mem.lines[0].get_ydata(), mem)
    np.testing.assert_array_equal(offsets(ax_spk.collections[0])[:, 0], np.flatnonzero(spk))


def test_cur_mem_spk_several_neurons_get_one_line_and_raster_row_each():
    rng = np.random.default_rng(0)
    cur = rng.random((30, 3))
    spk = (rng.random((30, 3)) > 0.7).astype(float)
    _, ax_mem, ax_spk = plot_cur_mem_spk(cur, cur * 2, spk).axes
    for n in range(3):
        np.testing.assert_array_equal(ax_mem.lines[n].get_ydata(), cur[:, n] * 2)
    np.testing.assert_array_equal(offsets(ax_spk.collections[0]), np.argwhere(spk))


def test_cur_mem_spk_rejects_wrong_dimensions():
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    with pytest.raises(
        ValueError, match=r"plot_cur_mem_spk: mem must be 1-D or 2-D .*got shape \(60, 1, 1\)"
    ):
        plot_cur_mem_spk(cur, mem.reshape(60, 1, 1), spk)
    with pytest.raises(ValueError, match=r"plot_cur_mem_spk: cur must be 1-D or 2-D .*got shape \(\)"):
        plot_cur_mem_spk(1.0, mem, spk)


def test_cur_mem_spk_rejects_recordings_of_different_lengths():
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    with pytest.raises(ValueError, match="same number of time steps; cur has 60, mem has 60, spk has 59"):
        plot_cur_mem_spk(cur, mem, spk[:-1])


@pytest.mark.parametrize("bad", ["1.0", True])
def test_cur_mem_spk_rejects_a_guide_that_is_not_a_number(bad):
    cur = step_current()
    mem, spk = leaky_neuron(cur)
    with pytest.raises(TypeError, match="thr_line takes the threshold to mark"):
        plot_cur_mem_spk(cur, mem, spk, thr_line=bad)
    with pytest.raises(TypeError, match="vline takes the time step to mark"):
        plot_cur_mem_spk(cur, mem, spk, vline=bad)


def network_recordings(steps: int = 40, batch: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    spk_in = (rng.random((steps, batch, 20)) < 0.3).astype(np.float32)
    spk1 = (rng.random((steps, batch, 12)) < 0.2).astype(np.float32)
    spk2 = (rng.random((steps, batch, 4)) < 0.1).astype(np.float32)
    return spk_in, spk1, spk2


def test_snn_spikes_draws_each_layer_in_its_own_panel():
    spk_in, spk1, spk2 = network_recordings()
    fig = plot_snn_spikes(spk_in, spk1, spk2, "Fully connected SNN")
    assert isinstance(fig, Figure)
    panels = fig.axes
    assert len(panels) == 3
    for ax, recording in zip(panels, (spk_in, spk1, spk2)):
        np.testing.assert_array_equal(offsets(ax.collections[0]), np.argwhere(recording[:, 0]))
    assert panels[0].get_title() == "Fully connected SNN"
    assert [ax.get_ylabel() for ax in panels] == ["Input Spikes", "Hidden Layer", "Output Spikes"]


def test_snn_spikes_takes_two_dimensional_and_torch_recordings():
    torch = pytest.importorskip("torch", reason="torch tensors are one of the accepted inputs")
    spk_in, spk1, spk2 = network_recordings()
    fig = plot_snn_spikes(spk_in[:, 0], torch.from_numpy(spk1).requires_grad_(), torch.from_numpy(spk2), "")
    for ax, recording in zip(fig.axes, (spk_in, spk1, spk2)):
        np.testing.assert_array_equal(offsets(ax.collections[0]), np.argwhere(recording[:, 0]))


def test_snn_spikes_of_a_batch_draws_the_first_sample_flattened():
    spk_in, spk1, spk2 = network_recordings(batch=3)
    images = spk_in.reshape(40, 3, 1, 4, 5)  # [T, B, C, H, W]
    fig = plot_snn_spikes(images, spk1, spk2, "batch")
    np.testing.assert_array_equal(offsets(fig.axes[0].collections[0]), np.argwhere(spk_in[:, 0]))
    np.testing.assert_array_equal(offsets(fig.axes[2].collections[0]), np.argwhere(spk2[:, 0]))


def test_snn_spikes_rejects_wrong_dimensions_and_lengths():
    spk_in, spk1, spk2 = network_recordings()
    with pytest.raises(ValueError, match=r"plot_snn_spikes: spk2_rec must be 2-D .*got shape \(40,\)"):
        plot_snn_spikes(spk_in, spk1, spk2[:, 0, 0], "")
    with pytest.raises(ValueError, match="spk_in has 40, spk1_rec has 39, spk2_rec has 40"):
        plot_snn_spikes(spk_in, spk1[1:], spk2, "")
    with pytest.raises(TypeError, match="spk_in"):
        plot_snn_spikes("spikes", spk1, spk2, "")
