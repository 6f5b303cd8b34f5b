"""Parity with snnTorch 1.0.0, the test-only oracle (run by ``nox -s parity``).

Every comparison goes through the ``parity`` fixture, which asserts agreement
within float32 tolerance and keeps count; the session ends with a summary: how
many cases and values were compared and the largest errors seen.

Tolerance: ``|ours - theirs| <= 1e-5 * max(1, max|theirs|) + 1e-5 * |theirs|``, so
absolute 1e-5 for values of order one; arrays with larger entries (gradients
summed over many steps reach hundreds) are allowed float32 rounding relative to
their largest entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

snntorch = pytest.importorskip(
    "snntorch", reason="parity tests compare against snntorch==1.0.0; run them with `nox -s parity`"
)

ATOL = 1e-5
RTOL = 1e-5


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


@dataclass
class ParityLedger:
    """Counts of what was compared, and the worst absolute error with its place."""

    cases: set[str] = field(default_factory=set)
    arrays: int = 0
    values: int = 0
    worst: float = 0.0
    worst_where: str = "-"
    worst_relative: float = 0.0
    worst_relative_where: str = "-"

    def compare(self, case: str, what: str, ours: Any, theirs: Any, atol: float = ATOL) -> None:
        """Assert ``ours`` equals snnTorch's ``theirs`` within tolerance, and record it."""
        a, b = _numpy(ours), _numpy(theirs)
        where = f"{case}: {what}"
        assert a.shape == b.shape, f"{where}: shape {a.shape} != snnTorch {b.shape}"
        error = float(np.max(np.abs(a - b))) if a.size else 0.0
        self.cases.add(case)
        self.arrays += 1
        self.values += a.size
        relative = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0
        if error > self.worst:
            self.worst, self.worst_where = error, where
        if relative > self.worst_relative:
            self.worst_relative, self.worst_relative_where = relative, where
        scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, atol=atol * scale, rtol=RTOL, err_msg=where)


LEDGER = ParityLedger()


@pytest.fixture
def parity() -> ParityLedger:
    return LEDGER


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not LEDGER.arrays:
        return
    terminalreporter.write_sep("=", "parity with snnTorch 1.0.0")
    terminalreporter.write_line(
        f"{len(LEDGER.cases)} cases, {LEDGER.arrays} arrays ({LEDGER.values} values) compared "
        f"(tolerance atol {ATOL:g} + rtol {RTOL:g})"
    )
    terminalreporter.write_line(f"largest absolute error {LEDGER.worst:.3g} at {LEDGER.worst_where}")
    terminalreporter.write_line(
        f"largest error relative to max(1, |snnTorch value|) {LEDGER.worst_relative:.3g} "
        f"at {LEDGER.worst_relative_where}"
    )
