"""Round-robin timing in one process, summarised by median and interquartile range.

Each repetition runs every case once, in an order rotated by one place per
repetition, so slow phases of a noisy machine hit all cases alike. Each timed call
comes straight after ``settle`` untimed calls of the same case, as in a training
loop, where a step follows a step of the same network: without them a case would
always run after the same other case and inherit the allocator and cache state it
left (measured on W1: the case after the folded floor ran 8-15 % slower than the
same case elsewhere; snnx.run at 1.23x of the floor without settling, 1.12x with
it). The first ``warmup`` repetitions are discarded. Garbage collection runs between
repetitions and is off during them. Summary of samples x₁..xₙ: median m = Q₂,
IQR = Q₃ - Q₁ (quartiles by linear interpolation between samples).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stats:
    """Median and quartiles of one case's timings, in seconds."""

    samples: tuple[float, ...]
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        if len(samples) < 2:
            value = samples[0]
            return cls(tuple(samples), value, value, value)
        q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(tuple(samples), median, q1, q3)


def round_robin(
    cases: dict[str, Callable[[], object]],
    repetitions: int,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    settle: int = 1,
) -> dict[str, Stats]:
    """Time every case ``warmup + repetitions`` times, interleaved; stats of the last ``repetitions``.

    Before each timed call, the case runs ``settle`` more times untimed (see the module notes).
    """
    if repetitions < 1:
        raise ValueError(f"repetitions must be at least 1, got {repetitions}.")
    if settle < 0:
        raise ValueError(f"settle must be at least 0, got {settle}.")
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repetition in range(warmup + repetitions):
        shift = repetition % len(names)
        gc.collect()
        gc.disable()
        try:
            for name in names[shift:] + names[:shift]:
                for _ in range(settle):
                    cases[name]()
                start = clock()
                cases[name]()
                elapsed = clock() - start
                if repetition >= warmup:
                    samples[name].append(elapsed)
        finally:
            gc.enable()
    return {name: Stats.of(values) for name, values in samples.items()}
