"""Every test draws off-screen (Agg) and closes its figures."""

from __future__ import annotations

import gc

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Tests may inspect an animation's artists without rendering it; matplotlib warns when it is collected.
    config.addinivalue_line("filterwarnings", "ignore:Animation was deleted without rendering anything")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
    gc.collect()  # collect this test's animations while its warning filters apply


@pytest.fixture(params=["numpy", "list", "torch"])
def as_input(request):
    """Converts a NumPy array into one of the input kinds the plots accept."""
    if request.param == "numpy":
        return lambda array: array.copy()
    if request.param == "list":
        return lambda array: array.tolist()
    torch = pytest.importorskip("torch", reason="torch is not installed; tensor inputs cannot be tested")
    return lambda array: torch.tensor(array, dtype=torch.float32, requires_grad=True)
