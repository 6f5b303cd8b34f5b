r"""Quantisation-aware training of neuron states (snnTorch's ``functional.quant``).

:func:`state_quant` builds a :class:`StateQuantiser`: a callable that rounds an
array of any backend to the nearest of :math:`2^b` levels (``b = num_bits``) in
the forward pass and lets the gradient through unchanged (straight-through
estimator). Pass it as a neuron's ``state_quant`` to quantise its hidden state
at every step::

    from snnx.functional import quant
    lif = snnx.Leaky(beta=0.9, threshold=5, state_quant=quant.state_quant(num_bits=4, threshold=5))

The levels span :math:`[-\theta(1 + l),\ \theta(1 + u)]` (threshold :math:`\theta`,
``lower_limit`` :math:`l`, ``upper_limit`` :math:`u`). Uniform levels are evenly
spaced. Non-uniform levels are split at a centre :math:`c` (the threshold, or 0
when ``thr_centered=False``): :math:`\lfloor 2^b (c - \mathrm{low}) / (\mathrm{high}
- \mathrm{low}) \rfloor` levels below it, the rest above, and successive gaps shrink
geometrically by ``multiplier`` :math:`m` towards :math:`c`, so states near the
centre are resolved finely. Below the centre the levels are
:math:`\mathrm{low} + (c - \mathrm{low}) \sum_{i<j} m^i / \sum_{i<n} m^i`, above
it :math:`c + (\mathrm{high} - c) \sum_{i \le k} m^{n'-1-i} / \sum_{i<n'} m^i`.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

from snnx.errors import ParameterRangeError
from snnx.selection import backend_for
from snnx.specs.neuron import check_input

__all__ = ["StateQuantiser", "state_quant"]

MAX_BITS = 24
"""More bits than float32 can tell apart over a threshold-sized range."""

DEFAULT_MULTIPLIERS = {1: 0.05, 2: 0.1, 3: 0.3, 4: 0.5, 5: 0.7, 6: 0.9, 7: 0.925}
"""snnTorch's geometric ratio for non-uniform levels by ``num_bits``; 0.95 above 7 bits."""


class StateQuantiser:
    """Rounds arrays to the nearest of ``levels`` with a straight-through gradient.

    Forward: :math:`q(x) = \\arg\\min_{\\ell \\in L} |x - \\ell|` (the lower level on a
    tie); backward: :math:`\\partial q / \\partial x = 1`. Works on the arrays of any
    backend, keeps their dtype and device, and pickles and deep-copies (it holds
    only the levels, as a NumPy array).
    """

    def __init__(self, levels: Any) -> None:
        levels = np.sort(np.asarray(levels, dtype=np.float64).ravel())
        if levels.size == 0 or not np.all(np.isfinite(levels)):
            raise ParameterRangeError(
                f"StateQuantiser: levels must be a non-empty set of finite numbers, got {levels}."
            )
        self.levels = levels

    def __call__(self, x: Any) -> Any:
        check_input("state_quant", x)
        ops = backend_for(x).ops
        kept = ops.detach(x)
        # exactly the level in the forward pass; x - detach(x) is zero with gradient one
        return ops.nearest_level(kept, self.levels) + (x - kept)

    def __repr__(self) -> str:
        return f"StateQuantiser({self.levels.size} levels in [{self.levels[0]:g}, {self.levels[-1]:g}])"


def state_quant(
    num_bits: int = 8,
    uniform: bool = True,
    thr_centered: bool = True,
    threshold: float = 1,
    lower_limit: float = 0,
    upper_limit: float = 0.2,
    multiplier: float | None = None,
) -> StateQuantiser:
    """A quantiser of neuron states to :math:`2^{num\\_bits}` levels, uniform or not.

    Arguments, defaults and levels follow snnTorch 1.0 (see the module docstring for
    the level equations). ``thr_centered`` and ``multiplier`` only matter when
    ``uniform=False``; ``multiplier=None`` picks snnTorch's ratio for ``num_bits``
    (0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.925 for 1 to 7 bits, then 0.95).
    """
    _check_settings(num_bits, threshold, lower_limit, upper_limit, multiplier)
    count = 2**num_bits
    low = -(threshold + threshold * lower_limit)
    high = threshold + threshold * upper_limit
    if high <= low:
        raise ParameterRangeError(
            f"state_quant: lower_limit={lower_limit} and upper_limit={upper_limit} leave no range: the "
            f"lowest level {low:g} must lie below the highest {high:g}; "
            "keep 2 + lower_limit + upper_limit > 0."
        )
    if uniform:
        return StateQuantiser(np.linspace(low, high, count))
    centre = threshold if thr_centered else 0.0
    if not low <= centre <= high:
        raise ParameterRangeError(
            f"state_quant: non-uniform levels cluster around {'the threshold' if thr_centered else 0} "
            f"({centre:g}), which must lie within the level range [{low:g}, {high:g}]; got "
            f"lower_limit={lower_limit}, upper_limit={upper_limit}. "
            + ("Use upper_limit >= 0." if thr_centered else "Use lower_limit >= -1 and upper_limit >= -1.")
        )
    if multiplier is None:
        multiplier = DEFAULT_MULTIPLIERS.get(num_bits, 0.95)
    below = math.floor(count * ((centre - low) / (high - low)))
    return StateQuantiser(
        np.concatenate(
            [
                _below_centre(below, low, centre, multiplier),
                _above_centre(count - below, centre, high, multiplier),
            ]
        )
    )


def _below_centre(count: int, low: float, centre: float, multiplier: float) -> np.ndarray:
    """``count`` levels from ``low`` up towards ``centre`` (excluded), gaps shrinking by ``multiplier``."""
    if count == 0:
        return np.empty(0)
    gaps = multiplier ** np.arange(count) / (np.sum(multiplier ** np.arange(count)) / (centre - low))
    return low + np.concatenate([[0.0], np.cumsum(gaps[:-1])])


def _above_centre(count: int, centre: float, high: float, multiplier: float) -> np.ndarray:
    """``count`` levels above ``centre`` up to ``high``, gaps growing by ``1 / multiplier``."""
    if count == 0:
        return np.empty(0)
    gaps = multiplier ** np.arange(count)[::-1] / (np.sum(multiplier ** np.arange(count)) / (high - centre))
    return centre + np.cumsum(gaps)


def _check_settings(
    num_bits: Any, threshold: Any, lower_limit: Any, upper_limit: Any, multiplier: Any
) -> None:
    if isinstance(num_bits, bool) or not isinstance(num_bits, Integral) or not 1 <= num_bits <= MAX_BITS:
        raise ParameterRangeError(
            f"state_quant: num_bits must be an integer from 1 to {MAX_BITS}, got {num_bits!r}."
        )
    for name, value in (("threshold", threshold), ("lower_limit", lower_limit), ("upper_limit", upper_limit)):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ParameterRangeError(f"state_quant: {name} must be a finite number, got {value!r}.")
    if threshold <= 0:
        raise ParameterRangeError(
            f"state_quant: threshold must be positive (as a neuron's), got {threshold}."
        )
    if multiplier is not None and (
        isinstance(multiplier, bool)
        or not isinstance(multiplier, Real)
        or not (math.isfinite(multiplier) and multiplier > 0)
    ):
        raise ParameterRangeError(
            f"state_quant: multiplier must be None (the default for num_bits) or a positive number, "
            f"got {multiplier!r}."
        )
