"""The results table of one workload, and the description of the machine that produced it.

Columns, for an implementation with median time m and quartiles Q₁, Q₃:
``median ms`` = m; ``IQR ms`` = Q₃ - Q₁ (and as % of m, the noise seen);
``× floor`` = m / min(m of the two floor rows); ``× snnTorch`` = m / m(snnTorch);
``saved`` = bytes saved for backward; ``loss`` = the loss of the first call (equal
values mean equal computations: snnTorch and both snnx rows must agree).
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata

import torch

from benchmarks.implementations import FLOOR, REFERENCE
from benchmarks.timing import Stats

PACKAGES = ("snnx", "snnx-torch", "snntorch", "spikingjelly", "norse")
"""Distributions whose versions the report lists."""


@dataclass(frozen=True)
class Row:
    """One implementation's results, or why it has none (``unavailable``)."""

    name: str
    role: str = ""
    stats: Stats | None = None
    saved: int | None = None
    loss: float | None = None
    unavailable: str | None = None


def _ratio(value: float | None, base: float | None) -> str:
    return "–" if value is None or not base else f"{value / base:.2f}×"


def _size(count: int | None) -> str:
    if count is None:
        return "–"
    return f"{count / 2**20:.1f} MiB" if count >= 2**20 else f"{count / 2**10:.1f} KiB"


def table(rows: list[Row]) -> str:
    """A Markdown table of ``rows``, then one line per unavailable implementation."""
    floors = [row.stats.median for row in rows if row.role == FLOOR and row.stats is not None]
    floor = min(floors) if floors else None
    reference = next((row.stats.median for row in rows if row.role == REFERENCE and row.stats), None)
    lines = [
        "| implementation | median ms | IQR ms (% of median) | × floor | × snnTorch "
        "| saved for backward | loss |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    notes = []
    for row in rows:
        if row.stats is None:
            lines.append(f"| {row.name} | not available | – | – | – | – | – |")
            notes.append(f"- {row.name}: not available: {row.unavailable}")
            continue
        median, iqr = row.stats.median, row.stats.iqr
        loss = "–" if row.loss is None else f"{row.loss:.6g}"
        lines.append(
            f"| {row.name} | {median * 1e3:.2f} | {iqr * 1e3:.2f} ({100 * iqr / median:.0f}%) "
            f"| {_ratio(median, floor)} | {_ratio(median, reference)} | {_size(row.saved)} | {loss} |"
        )
    return "\n".join(lines + ([""] if notes else []) + notes)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[str]:
    """Lines describing the machine and software: CPU, cores, threads, versions."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{package} {_version(package)}" for package in PACKAGES)
    return [
        f"- CPU: {_cpu_model()}, {cores} cores available to the process",
        f"- torch {torch.__version__}, {torch.get_num_threads()} intra-op threads; "
        f"Python {sys.version.split()[0]} on {platform.platform()}",
        f"- {versions}",
    ]


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, or ``n/a`` where the OS has none."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"
