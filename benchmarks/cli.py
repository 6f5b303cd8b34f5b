"""Command line of the benchmarks: choose workloads and repetitions, print (and save) the report."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable

import torch

from benchmarks import implementations, peers
from benchmarks.implementations import Implementation
from benchmarks.memory import saved_bytes
from benchmarks.report import Row, load_average, machine, table
from benchmarks.timing import round_robin
from benchmarks.workloads import WORKLOADS, Workload

BUILDERS: tuple[Callable[[Workload, str], Implementation], ...] = (
    implementations.floor_folded,
    implementations.floor_steps,
    implementations.snntorch_loop,
    peers.spikingjelly_multistep,
    peers.norse_lifbox,
    implementations.snnx_loop,
    implementations.snnx_run,
)
"""Every implementation, in the order of the table's rows."""


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Forward + backward time and saved-for-backward bytes of snnx, the floor and peers.",
    )
    arguments.add_argument("--workloads", nargs="+", choices=sorted(WORKLOADS), default=sorted(WORKLOADS))
    arguments.add_argument("--repetitions", type=int, default=20, help="timed calls per implementation")
    arguments.add_argument("--warmup", type=int, default=3, help="untimed rounds before timing")
    arguments.add_argument(
        "--settle", type=int, default=1, help="untimed calls of the same case right before each timed one"
    )
    arguments.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    arguments.add_argument("--steps", type=int, help="override every workload's number of time steps T")
    arguments.add_argument("--batch", type=int, help="override every workload's batch size B")
    arguments.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    arguments.add_argument("--output", help="also write the Markdown report to this file")
    return arguments


def training_step(
    implementation: Implementation, workload: Workload, x: torch.Tensor, y: torch.Tensor
) -> Callable[[], torch.Tensor]:
    """One timed call: clear the gradients, forward, loss, backward (and wait for the device)."""
    synchronize = torch.cuda.synchronize if x.is_cuda else (lambda: None)

    def step() -> torch.Tensor:
        implementation.zero_grad()
        loss = workload.loss(implementation.forward(x), y)
        loss.backward()
        synchronize()
        return loss

    return step


def benchmark(workload: Workload, repetitions: int, warmup: int, device: str, settle: int = 1) -> list[Row]:
    """Rows of every implementation of ``workload``: timings, saved bytes and the first loss."""
    x, y = workload.data(device)
    built = [build(workload, device) for build in BUILDERS]
    available = [item for item in built if item.available]
    first: dict[str, tuple[int, float]] = {}
    for item in available:
        item.zero_grad()
        count, loss = saved_bytes(lambda item=item: workload.loss(item.forward(x), y))
        first[item.name] = (count, loss.item())
    steps = {item.name: training_step(item, workload, x, y) for item in available}
    stats = round_robin(steps, repetitions, warmup, settle=settle)
    return [
        Row(item.name, item.role, stats[item.name], *first[item.name])
        if item.available
        else Row(item.name, item.role, unavailable=item.unavailable)
        for item in built
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parser().parse_args(argv)
    torch.set_num_threads(options.threads)
    sizes = {key: value for key, value in (("steps", options.steps), ("batch", options.batch)) if value}
    command = shlex.join(["python", "-m", "benchmarks", *argv])
    lines = [
        "## Setup",
        "",
        f"- command: `{command}` ({options.repetitions} timed repetitions after {options.warmup} "
        f"warm-up rounds, implementations interleaved round-robin in one process, each timed call "
        f"after {options.settle} untimed call(s) of the same implementation, forward + backward)",
        *machine(),
        f"- load average (1, 5, 15 min) at the start: {load_average()}",
    ]
    print("\n".join(lines), flush=True)
    for name in options.workloads:
        workload = WORKLOADS[name](**sizes)
        rows = benchmark(workload, options.repetitions, options.warmup, options.device, options.settle)
        section = [
            "",
            f"## {workload.name}: {workload.description}; T={workload.steps}, B={workload.batch}",
            "",
            table(rows),
        ]
        print("\n".join(section), flush=True)
        lines += section
    ending = f"\n- load average (1, 5, 15 min) at the end: {load_average()}"
    print(ending)
    if options.output:
        with open(options.output, "w", encoding="utf-8") as report:
            report.write("\n".join([*lines, ending]) + "\n")
    return 0
