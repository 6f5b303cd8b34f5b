"""Fixtures of snnx-ipu's tests: a recording stand-in for poptorch, or none at all."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest


def _fake_module() -> types.ModuleType:
    path = Path(__file__).with_name("fake_poptorch.py")
    spec = importlib.util.spec_from_file_location("snnx_ipu_tests_fake_poptorch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_poptorch(monkeypatch) -> types.ModuleType:
    """A fresh recording ``poptorch`` (see fake_poptorch.py) importable as ``poptorch``."""
    module = _fake_module().new_poptorch()
    monkeypatch.setitem(sys.modules, "poptorch", module)
    return module


@pytest.fixture
def no_poptorch(monkeypatch) -> None:
    """``import poptorch`` fails, as on any machine without the Poplar SDK."""
    monkeypatch.setitem(sys.modules, "poptorch", None)
