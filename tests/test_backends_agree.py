"""One script, every backend: the same spikes and membrane from numpy, torch and toy."""

from __future__ import annotations

import numpy as np
import pytest

import snnx
from snnx import utils

BACKENDS = [row.name for row in snnx.backends() if row.available]


def _run_script(backend_name: str, inputs: np.ndarray):
    backend = snnx.get_backend(backend_name)
    with snnx.use(backend_name):
        first = snnx.Leaky(beta=0.8, threshold=0.6, reset_mechanism="zero", init_hidden=True)
        second = snnx.Leaky(beta=0.9, reset_delay=False, init_hidden=True, output=True)
    utils.reset(first)
    spikes, mems = [], []
    for x in inputs:
        spk, mem = second(first(backend.asarray(x, "float64")) * 1.3)
        spikes.append(backend.to_numpy(spk))
        mems.append(backend.to_numpy(mem))
    return np.stack(spikes), np.stack(mems)


@pytest.mark.parametrize("backend_name", [name for name in BACKENDS if name != "numpy"])
def test_backend_matches_numpy_reference(backend_name):
    inputs = np.random.default_rng(5).uniform(0, 1.2, size=(30, 8, 16))
    reference = _run_script("numpy", inputs)
    got = _run_script(backend_name, inputs)
    np.testing.assert_array_equal(got[0], reference[0])
    np.testing.assert_allclose(got[1], reference[1], atol=1e-6)
    assert reference[0].sum() > 0, "the script must make spikes to compare"


def test_every_installed_backend_was_compared():
    assert {"numpy", "torch", "toy"} <= set(BACKENDS)
