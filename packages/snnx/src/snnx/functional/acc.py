r"""Classification accuracy of spiking outputs (snnTorch's ``functional.acc``).

Both functions take the output spikes ``[time, batch, outputs]`` and class ids
``[batch]`` and return the fraction of samples classified correctly, as a
``numpy.float64``. With ``population_code=True`` the outputs form ``num_classes``
equal, contiguous populations, one per class. Ties go to the lowest class index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snnx.functional._inputs import check_output, check_population, labels, num_classes_of
from snnx.ops import Array
from snnx.specs.losses import population, spike_times

__all__ = ["accuracy_rate", "accuracy_temporal"]


def accuracy_rate(
    spk_out: Array, targets: Any, population_code: bool = False, num_classes: int | bool = False
) -> np.float64:
    r"""Accuracy of the spike-count prediction :math:`\hat y_b = \arg\max_k \sum_t s_{t,b,k}`."""
    backend, _, batch, outputs = check_output("accuracy_rate", spk_out)
    check_population("accuracy_rate", population_code, num_classes)
    classes = num_classes_of("accuracy_rate", population_code, num_classes, outputs)
    ids = labels("accuracy_rate", backend, targets, (batch,), classes)
    counts = backend.ops.sum(backend.ops.detach(spk_out), dim=0)
    if population_code:
        counts = population(backend.ops, counts, classes)
    return np.mean(backend.to_numpy(counts).argmax(axis=1) == ids)


def accuracy_temporal(
    spk_out: Array, targets: Any, population_code: bool = False, num_classes: int | bool = False
) -> np.float64:
    r"""Accuracy of the first-to-fire prediction :math:`\hat y_b = \arg\min_k \tau_{b,k}`.

    :math:`\tau` is the first-spike step, :math:`T - 1` for a silent neuron (see
    :class:`~snnx.functional.loss.SpikeTime`). With ``population_code`` (beyond
    snnTorch) a class fires when the first neuron of its population does.
    """
    backend, _, batch, outputs = check_output("accuracy_temporal", spk_out)
    check_population("accuracy_temporal", population_code, num_classes)
    classes = num_classes_of("accuracy_temporal", population_code, num_classes, outputs)
    ids = labels("accuracy_temporal", backend, targets, (batch,), classes)
    times = backend.to_numpy(spike_times(backend.ops, backend.ops.detach(spk_out), 1)[0])
    times = times.reshape(batch, classes, outputs // classes).min(axis=-1)
    return np.mean(times.argmin(axis=1) == ids)
