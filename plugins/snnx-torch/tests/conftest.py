"""Fixtures shared by the torch backend's tests."""

from __future__ import annotations

import pytest

from snnx_torch.fused import native


@pytest.fixture(params=["compiled", "tensor-ops"])
def scan_implementation(request, monkeypatch) -> str:
    """Run a test once with the compiled CPU scans and once with the tensor-operation scans."""
    if request.param == "tensor-ops":
        monkeypatch.setenv("SNNX_NATIVE_KERNELS", "0")
    else:
        monkeypatch.delenv("SNNX_NATIVE_KERNELS", raising=False)
        if native.library() is None:
            pytest.skip(f"the compiled CPU scans are unavailable here: {native.status()}")
    return request.param
