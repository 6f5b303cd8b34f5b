"""raster: one dot per spike at (time step, neuron)."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from snnx_spikeplot import raster

RNG = np.random.default_rng(0)
SPIKES = (RNG.random((20, 7)) < 0.3).astype(np.float32)


def spike_coordinates(spikes: np.ndarray) -> set[tuple[float, float]]:
    """(time, neuron) of every non-zero entry, found by looping over the recording."""
    return {
        (float(t), float(n))
        for t in range(spikes.shape[0])
        for n in range(spikes.shape[1])
        if spikes[t, n] != 0
    }


def offsets(collection) -> set[tuple[float, float]]:
    return {(float(x), float(y)) for x, y in collection.get_offsets()}


def test_dots_sit_exactly_on_the_spikes(as_input):
    _, ax = plt.subplots()
    dots = raster(as_input(SPIKES), ax)
    assert dots in ax.collections
    assert len(dots.get_offsets()) == int(SPIKES.sum())
    assert offsets(dots) == spike_coordinates(SPIKES)


def test_every_input_kind_gives_the_same_dots(as_input):
    _, ax = plt.subplots()
    _, reference_ax = plt.subplots()
    np.testing.assert_array_equal(
        raster(as_input(SPIKES), ax).get_offsets(), raster(SPIKES, reference_ax).get_offsets()
    )


def test_one_neuron_recording_is_row_zero():
    _, ax = plt.subplots()
    train = np.array([0, 1, 1, 0, 1])
    assert offsets(raster(train, ax)) == {(1.0, 0.0), (2.0, 0.0), (4.0, 0.0)}


def test_graded_spikes_count_as_spikes():
    _, ax = plt.subplots()
    graded = np.array([[0.0, 0.5], [2.0, 0.0]])
    assert offsets(raster(graded, ax)) == {(0.0, 1.0), (1.0, 0.0)}


def test_keyword_arguments_go_to_scatter():
    _, ax = plt.subplots()
    dots = raster(SPIKES, ax, s=1.5, c="black")
    np.testing.assert_array_equal(dots.get_sizes(), [1.5])
    np.testing.assert_array_equal(dots.get_facecolors(), [[0, 0, 0, 1]])


def test_no_spikes_gives_an_empty_plot_that_draws():
    fig, ax = plt.subplots()
    dots = raster(np.zeros((10, 4)), ax, s=2)
    assert len(dots.get_offsets()) == 0
    fig.canvas.draw()


@pytest.mark.parametrize("shape", [(), (3, 4, 5)])
def test_other_dimensionalities_are_refused(shape):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"raster: data must be 1-D or 2-D \[time, neurons\].*got shape"):
        raster(np.zeros(shape), ax)


def test_saved_png_decodes_at_the_figures_pixel_size():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    raster(SPIKES, ax, s=4, c="black")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (200, 150)
        # the dots are drawn: some pixels are dark
        assert np.asarray(image.convert("L")).min() < 100
