"""to_numpy and require_ndim: what inputs become, and the errors for what they cannot."""

from __future__ import annotations

import numpy as np
import pytest

from snnx_spikeplot.arrays import require_ndim, to_numpy


def test_torch_tensor_that_requires_grad_becomes_its_values():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    tensor = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_(True) * 2
    array = to_numpy(tensor, "data")
    assert isinstance(array, np.ndarray)
    np.testing.assert_array_equal(array, [[0, 2, 4], [6, 8, 10]])


def test_non_contiguous_torch_tensor_keeps_its_layout():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    tensor = torch.arange(6.0).reshape(2, 3).t()
    np.testing.assert_array_equal(to_numpy(tensor, "data"), np.arange(6.0).reshape(2, 3).T)


def test_nested_lists_and_numpy_arrays_become_arrays():
    np.testing.assert_array_equal(to_numpy([[1, 0], [0, 1]], "data"), np.eye(2))
    assert to_numpy([[True, False]], "data").dtype == bool
    source = np.array([[0.5, 1.0]])
    np.testing.assert_array_equal(to_numpy(source, "data"), source)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (object(), r"data must be a NumPy array.*got builtins\.object"),
        ("0101", r"data must be a NumPy array.*got builtins\.str"),
        (np.array(["a", "b"]), r"data must hold numbers.*dtype <U1"),
        ([[1, 0], [1]], r"data must be a rectangular array.*ragged"),
    ],
)
def test_what_is_not_numbers_is_a_type_error_naming_the_argument(value, expected):
    with pytest.raises(TypeError, match=expected):
        to_numpy(value, "data")


def test_a_torch_module_is_not_data():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    with pytest.raises(TypeError, match=r"spk must be a NumPy array.*Linear"):
        to_numpy(torch.nn.Linear(2, 2), "spk")


def test_require_ndim_names_function_argument_axes_and_shape():
    require_ndim(np.zeros((3, 4)), (2,), "data", "raster", "[time, neurons]")
    with pytest.raises(ValueError) as info:
        require_ndim(np.zeros((3, 4, 5)), (2,), "data", "raster", "[time, neurons]")
    assert str(info.value) == "raster: data must be 2-D [time, neurons], got shape (3, 4, 5)"
    with pytest.raises(ValueError, match=r"^traces: spk must be 1-D or 2-D \[t\], got shape \(\)$"):
        require_ndim(np.zeros(()), (1, 2), "spk", "traces", "[t]")
