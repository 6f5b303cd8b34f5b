"""traces: one panel per neuron whose line is the trace, with spikes riding on it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from snnx_spikeplot import traces

RNG = np.random.default_rng(2)
MEM = RNG.normal(size=(30, 9)).astype(np.float32)  # [time, neurons]
SPK = (RNG.random((30, 9)) < 0.2).astype(np.float32)


def panel_lines(fig=None) -> list[np.ndarray]:
    fig = fig or plt.gcf()
    return [np.asarray(ax.lines[0].get_ydata()) for ax in fig.axes]


def test_each_panel_is_one_neurons_trace(as_input):
    assert traces(as_input(MEM)) is None
    lines = panel_lines()
    assert len(lines) == MEM.shape[1]
    for neuron, line in enumerate(lines):
        np.testing.assert_array_equal(line, MEM[:, neuron])


def test_spikes_ride_on_the_trace_with_spk_height(as_input):
    traces(as_input(MEM), spk=as_input(SPK), spk_height=2.5)
    for neuron, line in enumerate(panel_lines()):
        spiking = SPK[:, neuron] == 1
        np.testing.assert_allclose(line[~spiking], MEM[~spiking, neuron])
        np.testing.assert_allclose(line[spiking] - MEM[spiking, neuron], 2.5, rtol=1e-6)


def test_default_spike_height_is_five():
    traces(MEM, spk=SPK)
    for neuron, line in enumerate(panel_lines()):
        np.testing.assert_allclose(line - MEM[:, neuron], 5 * SPK[:, neuron], atol=1e-6)


def test_panels_fill_the_grid_row_by_row_share_y_and_hide_axes():
    traces(MEM[:, :6], dim=(2, 3), titles=["n0", "n1"])
    axes = plt.gcf().axes
    assert len(axes) == 6
    grid = [(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in axes]
    assert grid == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert all(axes[0].get_shared_y_axes().joined(axes[0], ax) for ax in axes)
    assert not any(ax.axison for ax in axes)
    assert [ax.get_title() for ax in axes] == ["n0", "n1", "", "", "", ""]


def test_fewer_neurons_than_panels_leaves_the_rest_empty():
    traces(MEM[:, :2], dim=(2, 2))
    assert len(panel_lines()) == 2


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        (MEM, {"dim": (2, 4)}, r"traces: dim=\(2, 4\) has 8 panels but data has 9 neurons"),
        (MEM, {"spk": SPK[:, :3]}, r"traces: spk must have data's shape \(30, 9\).*got \(30, 3\)"),
        (MEM[:, 0], {}, r"traces: data must be 2-D \[time, neurons\], got shape \(30,\)"),
        (MEM, {"dim": (3, 0)}, r"traces: dim must be \(rows, columns\) of positive integers"),
        (MEM, {"dim": 9}, r"traces: dim must be \(rows, columns\), got 9"),
    ],
)
def test_bad_input_is_refused_before_drawing(data, kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        traces(data, **kwargs)
    assert not plt.gcf().axes
