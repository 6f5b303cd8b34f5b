"""The array operations spec maths is written against.

Specs express their update equations with Python arithmetic operators plus the
few operations below. A backend realises a spec by handing it an object that
implements this protocol for its own array type; it never rewrites the maths.
"""

from __future__ import annotations

from typing import Any, Protocol

Array = Any
"""An array of the backend in use (``numpy.ndarray``, ``torch.Tensor``, ...)."""


class ArrayOps(Protocol):
    """Operations a backend provides to run specs on its arrays."""

    def heaviside(self, x: Array) -> Array:
        """1 where ``x > 0``, else 0, in the dtype of ``x``."""

    def clip(self, x: Array, low: float, high: float) -> Array:
        """``x`` limited to ``[low, high]``."""

    def detach(self, x: Array) -> Array:
        """``x`` cut from any gradient graph (identity for forward-only backends)."""

    def exp(self, x: Array) -> Array: ...

    def abs(self, x: Array) -> Array: ...

    def sigmoid(self, x: Array) -> Array:
        """``1 / (1 + exp(-x))``, evaluated without overflow."""

    def where(self, condition: Array, a: Array, b: Array) -> Array: ...

    def zeros_like(self, x: Array) -> Array: ...

    def zeros(self, shape: tuple[int, ...], like: Array) -> Array:
        """Zeros of ``shape`` in the dtype and on the device of ``like``."""

    def winner_mask(self, x: Array) -> Array:
        """1 at the largest entry along dimension 1 of each sample, 0 elsewhere."""

    def bernoulli(self, probabilities: Array, generator: Any = None) -> Array:
        """Independent 0/1 draws with the given probabilities, same dtype."""

    def repeat_time(self, x: Array, num_steps: int) -> Array:
        """``x`` repeated along a new leading time dimension of length ``num_steps``."""

    def concat_time(self, first: Array, second: Array) -> Array:
        """Join two time series along the leading dimension."""

    def tanh(self, x: Array) -> Array: ...

    def log(self, x: Array) -> Array: ...

    def relu(self, x: Array) -> Array: ...

    def cat(self, arrays: list[Array], dim: int) -> Array:
        """Join arrays along an existing dimension ``dim``."""

    def stack(self, arrays: list[Array], dim: int = 0) -> Array:
        """Join arrays along a new dimension ``dim``."""

    def cumsum(self, x: Array, dim: int) -> Array: ...

    def einsum(self, equation: str, *operands: Array) -> Array: ...

    def linear(self, x: Array, weight: Array, bias: Array | None) -> Array:
        """``x @ weight.T + bias`` over the last dimension (a dense layer)."""

    def conv2d(self, x: Array, weight: Array, bias: Array | None, padding: tuple[int, int]) -> Array:
        """2-D cross-correlation of ``x [N, C, H, W]`` with ``weight [O, C, kH, kW]``, stride 1,
        zero ``padding`` (rows, columns)."""

    def max_pool2d(self, x: Array, kernel: int) -> Array:
        """Maximum over non-overlapping ``kernel x kernel`` windows (stride = kernel)."""

    def avg_pool2d(self, x: Array, kernel: int) -> Array:
        """Mean over non-overlapping ``kernel x kernel`` windows (stride = kernel)."""

    def arange(self, n: int, like: Array) -> Array:
        """``0, 1, ..., n - 1`` in the dtype and on the device of ``like``."""

    def rand_like(self, x: Array, generator: Any = None) -> Array:
        """Uniform draws on [0, 1) shaped like ``x``."""

    def as_dtype_of(self, x: Array, like: Array) -> Array:
        """``x`` converted to the dtype of ``like`` (differentiable; ``x`` itself if it already is)."""

    def causal_filter(self, x: Array, taps: Array) -> Array:
        """Causal filter along time: ``out[t] = sum_j taps[..., j] * x[t - j]`` (``x[t] = 0`` for ``t < 0``).

        ``x`` is ``[time, batch, channels]``; ``taps`` is ``[K]`` (one filter for all
        channels) or ``[channels, K]`` (one per channel), in the dtype of ``x``.
        """

    def log_softmax(self, x: Array, dim: int) -> Array:
        """``x - log(sum(exp(x)))`` along ``dim``, evaluated without overflow."""

    def sum(self, x: Array, dim: int | None = None) -> Array:
        """Sum over dimension ``dim``, or over every entry (a 0-d array) when ``dim`` is None."""

    def max(self, x: Array, dim: int) -> Array:
        """Largest entry along ``dim``; its gradient goes to that entry (the first one on ties)."""

    def from_numpy(self, data: Any, like: Array) -> Array:
        """NumPy ``data`` as a constant array in the dtype and on the device of ``like``."""

    def nearest_level(self, x: Array, levels: Any) -> Array:
        """Each entry of ``x`` replaced by the nearest of ``levels`` (a sorted 1-D NumPy array),
        the lower one when two are equally near; in the dtype and on the device of ``x``, no gradient."""

    def round(self, x: Array) -> Array:
        """Nearest integer, ties to even (as ``torch.round``); zero gradient."""

    def amax(self, x: Array) -> Array:
        """Largest entry of all of ``x`` (0-d); its gradient is shared evenly among tied entries."""

    def amin(self, x: Array) -> Array:
        """Smallest entry of all of ``x`` (0-d); its gradient is shared evenly among tied entries."""

    def astype(self, x: Array, dtype: str) -> Array:
        """``x`` converted to the NumPy-named ``dtype`` (``"float32"``, ``"int64"``), on its device."""

    def to_numpy(self, x: Array) -> Any:
        """A NumPy copy of ``x``, cut from any gradient graph (for host-side index maths and checks)."""
