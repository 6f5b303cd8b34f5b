"""``snnx_ipu.options``: a ``poptorch.Options`` from the settings SNN training usually needs.

poptorch runs several steps of work per call from the host. With ``device_iterations``
:math:`d`, ``replication_factor`` :math:`r` and ``gradient_accumulation`` :math:`a`,
one call of a compiled model consumes a host batch of
:math:`B_\\text{host} = B_\\text{micro}\\, d\\, r\\, a` samples, which poptorch splits
along the first dimension of every input (see :func:`snnx_ipu.models.training_model`
for what that means for ``[T, B, ...]`` spike trains).

The module imports neither torch nor poptorch, so the package can bind
``snnx_ipu.options`` to the function at import without slowing plugin discovery.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

from snnx.errors import ParameterRangeError
from snnx_ipu.availability import require_poptorch


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ParameterRangeError(f"snnx_ipu.options: {name} must be a whole number >= 1, got {value!r}.")
    return int(value)


def options(
    *,
    device_iterations: int = 1,
    replication_factor: int = 1,
    gradient_accumulation: int = 1,
    half_precision: bool = False,
    ipu_model: bool | None = None,
    seed: int | None = None,
) -> Any:
    """A ``poptorch.Options`` set through poptorch's documented setters.

    * ``device_iterations``: ``Options.deviceIterations`` (steps the IPU runs per host call);
    * ``replication_factor``: ``Options.replicationFactor`` (data-parallel copies of the model);
    * ``gradient_accumulation``: ``Options.Training.gradientAccumulation`` (micro-batches
      whose gradients are summed before each optimiser step);
    * ``half_precision``: ``Options.Precision.setPartialsType(torch.float16)`` (matmul and
      convolution partial sums in float16; cast the network itself with ``net.half()``);
    * ``ipu_model``: ``Options.useIpuModel`` (``True``: the IPU Model simulator on the host,
      ``False``: hardware; ``None`` leaves poptorch's choice, which follows ``POPTORCH_IPU_MODEL``);
    * ``seed``: ``Options.randomSeed`` (the IPU's random generator).

    Raises :class:`~snnx.errors.ParameterRangeError` for counts below 1 or a negative
    seed, and :class:`~snnx.errors.BackendUnavailableError` (with the install
    instructions) when poptorch is not installed.
    """
    device_iterations = _positive("device_iterations", device_iterations)
    replication_factor = _positive("replication_factor", replication_factor)
    gradient_accumulation = _positive("gradient_accumulation", gradient_accumulation)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0):
        raise ParameterRangeError(
            f"snnx_ipu.options: seed must be a whole number >= 0 or None, got {seed!r}."
        )
    poptorch = require_poptorch()
    opts = poptorch.Options()
    opts.deviceIterations(device_iterations)
    opts.replicationFactor(replication_factor)
    opts.Training.gradientAccumulation(gradient_accumulation)
    if half_precision:
        import torch  # here, not at the top: importing this module must stay cheap (see the notes)

        opts.Precision.setPartialsType(torch.float16)
    if ipu_model is not None:
        opts.useIpuModel(bool(ipu_model))
    if seed is not None:
        opts.randomSeed(int(seed))
    return opts


def samples_per_call(opts: Any) -> int:
    """:math:`d\\,r\\,a`: how many micro-batches one host call of a model built with ``opts`` takes.

    Read from the option properties poptorch documents (``device_iterations``,
    ``replication_factor``, ``Training.gradient_accumulation``); a property an
    ``Options`` object does not have counts as 1.
    """
    training = getattr(opts, "Training", None)
    factors = (
        getattr(opts, "device_iterations", 1),
        getattr(opts, "replication_factor", 1),
        getattr(training, "gradient_accumulation", 1),
    )
    product = 1
    for factor in factors:
        product *= int(factor) if isinstance(factor, Integral) else 1
    return product
