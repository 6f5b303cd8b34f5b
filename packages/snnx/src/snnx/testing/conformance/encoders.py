"""Conformance of spike encoders."""

from __future__ import annotations

import numpy as np

from snnx.backend import Backend
from snnx.specs.encoders import rate as rate_spec
from snnx.testing.conformance.common import SEED


def check_rate_encoder(backend: Backend) -> None:
    """Rate coding: shape, 0/1 values, clipping, probabilities, silence, seeded reproducibility."""
    ops = backend.ops
    data = backend.asarray(np.array([[0.0, 0.25, 0.5, 1.0, 1.7, -0.3]]))
    steps = 4000
    spikes = backend.to_numpy(rate_spec(ops, data, steps, 1, 0, 0, False, backend.generator(SEED, like=data)))
    assert spikes.shape == (steps, 1, 6), f"{backend.name}: rate shape {spikes.shape}"
    assert set(np.unique(spikes)) <= {0.0, 1.0}, f"{backend.name}: rate values not 0/1"
    rates = spikes.mean(axis=0)[0]
    expected = np.array([0.0, 0.25, 0.5, 1.0, 1.0, 0.0])
    sigma = np.sqrt(expected * (1 - expected) / steps)
    assert np.all(np.abs(rates - expected) <= 4 * sigma + 1e-12), (
        f"{backend.name}: rates {rates} != {expected}"
    )
    again = backend.to_numpy(rate_spec(ops, data, steps, 1, 0, 0, False, backend.generator(SEED, like=data)))
    np.testing.assert_array_equal(spikes, again, err_msg=f"{backend.name}: seeded rate coding differs")
    late = backend.to_numpy(rate_spec(ops, data, 10, 1, 0, 3, False, backend.generator(SEED, like=data)))
    assert not late[:3].any(), f"{backend.name}: spikes before first_spike_time"


CHECKS = (check_rate_encoder,)
