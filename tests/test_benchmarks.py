"""The benchmark harness (``benchmarks/``, ``nox -s bench``) on tiny sizes: correctness only, no timing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import implementations  # noqa: E402
from benchmarks.cli import BUILDERS, main, training_step  # noqa: E402
from benchmarks.implementations import FLOOR, REFERENCE  # noqa: E402
from benchmarks.memory import SavedBytes, saved_bytes  # noqa: E402
from benchmarks.report import Row, table  # noqa: E402
from benchmarks.timing import Stats, round_robin  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

TINY = {"steps": 3, "batch": 2}


def tiny(name):
    return WORKLOADS[name](**TINY)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_each_implementation_runs_forward_and_backward(name, build):
    workload = tiny(name)
    implementation = build(workload, "cpu")
    if not implementation.available:
        pytest.skip(f"{implementation.name} not available here: {implementation.unavailable}")
    x, y = workload.data()
    out = implementation.forward(x)
    assert out.shape[:2] == (workload.steps, workload.batch)
    loss = training_step(implementation, workload, x, y)()
    assert torch.isfinite(loss)
    grads = [parameter.grad for parameter in implementation.parameters()]
    assert grads and all(grad is not None and torch.isfinite(grad).all() for grad in grads)
    # The readout depends on the first layer's weights, so they must receive a gradient.
    assert grads[0].abs().sum() > 0


def _loss_and_grads(implementation, workload):
    x, y = workload.data()
    loss = training_step(implementation, workload, x, y)()
    return loss.detach(), [parameter.grad for parameter in implementation.parameters()]


@pytest.mark.parametrize("name", sorted(WORKLOADS))
@pytest.mark.parametrize(
    ("left", "right"),
    [
        (implementations.floor_folded, implementations.floor_steps),
        (implementations.snnx_loop, implementations.snnx_run),
        (implementations.snnx_loop, implementations.snntorch_loop),
    ],
    ids=["floor", "snnx.run", "snntorch"],
)
def test_implementations_of_the_same_maths_agree(name, left, right):
    workload = tiny(name)
    first, second = left(workload, "cpu"), right(workload, "cpu")
    for implementation in (first, second):
        if not implementation.available:
            pytest.skip(f"{implementation.name} not available here: {implementation.unavailable}")
    loss_a, grads_a = _loss_and_grads(first, workload)
    loss_b, grads_b = _loss_and_grads(second, workload)
    torch.testing.assert_close(loss_a, loss_b)
    assert len(grads_a) == len(grads_b)
    for grad_a, grad_b in zip(grads_a, grads_b):
        torch.testing.assert_close(grad_a, grad_b)


@pytest.mark.skipif(
    importlib.util.find_spec("snntorch") is not None, reason="snntorch is installed here, so its row runs"
)
def test_missing_peer_is_reported_not_raised():
    implementation = implementations.snntorch_loop(tiny("W1"), "cpu")
    assert not implementation.available
    assert "snntorch" in implementation.unavailable


def test_saved_bytes_counts_each_storage_once():
    a = torch.randn(1000, requires_grad=True)  # 4000 bytes
    with SavedBytes() as counter:
        (a * a).sum()  # saves `a` twice: one storage
    assert counter.nbytes == 4000
    with SavedBytes() as counter:
        (a[:500].sin() + a[500:].cos()).sum()  # two views of one storage
    assert counter.nbytes == 4000
    b = torch.randn(10, dtype=torch.float64, requires_grad=True)
    count, loss = saved_bytes(lambda: a.exp().sum() + (b * b).sum())  # exp saves its 4000-byte result
    assert count == 4000 + 80
    assert a.grad is not None and not loss.requires_grad


def _clocked_cases(costs):
    """Cases that advance a fake clock by their cost, and the list of calls they make."""
    now = [0.0]
    calls = []

    def case(name, cost):
        def run():
            calls.append(name)
            now[0] += cost

        return run

    return {name: case(name, cost) for name, cost in costs.items()}, calls, lambda: now[0]


def test_round_robin_rotates_order_and_drops_warmup():
    cases, calls, clock = _clocked_cases({"a": 1.0, "b": 3.0})
    stats = round_robin(cases, 3, warmup=1, clock=clock, settle=0)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert stats["a"].samples == (1.0, 1.0, 1.0)
    assert stats["b"].median == 3.0 and stats["b"].iqr == 0.0


def test_round_robin_times_each_case_right_after_its_own_untimed_call():
    cases, calls, clock = _clocked_cases({"a": 1.0, "b": 3.0})
    stats = round_robin(cases, 2, warmup=0, clock=clock)  # settle=1 by default
    assert calls == ["a", "a", "b", "b", "b", "b", "a", "a"]
    assert stats["a"].samples == (1.0, 1.0) and stats["b"].samples == (3.0, 3.0)  # untimed calls not counted
    with pytest.raises(ValueError, match="settle"):
        round_robin(cases, 2, settle=-1)


def test_stats_are_median_and_interquartile_range():
    stats = Stats.of([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (stats.median, stats.q1, stats.q3, stats.iqr) == (3.0, 2.0, 4.0, 2.0)


def test_report_table_ratios_and_unavailable_rows():
    def timed(ms):
        return Stats.of([ms / 1e3 * 0.9, ms / 1e3, ms / 1e3 * 1.1])

    rows = [
        Row("floor folded", FLOOR, timed(10.0), saved=3 * 2**20, loss=1.5),
        Row("floor steps", FLOOR, timed(20.0), saved=3 * 2**20, loss=1.5),
        Row("snnTorch", REFERENCE, timed(40.0), saved=2048, loss=2.0),
        Row("snnx.run", "", timed(15.0), saved=2**20, loss=2.0),
        Row("Norse", unavailable="not installed"),
    ]
    text = table(rows)
    lines = text.splitlines()
    assert lines[0].startswith("| implementation | median ms | IQR ms")
    assert "| snnx.run | 15.00 | 1.50 (10%) | 1.50× | 0.38× | 1.0 MiB | 2 |" in lines
    assert "| snnTorch | 40.00 | 4.00 (10%) | 4.00× | 1.00× | 2.0 KiB | 2 |" in lines
    assert "| Norse | not available | – | – | – | – | – |" in lines
    assert lines[-1] == "- Norse: not available: not installed"


def test_command_line_writes_the_report(tmp_path, capsys):
    output = tmp_path / "report.md"
    argv = ["--workloads", "W1", "--steps", "2", "--batch", "2", "--repetitions", "1", "--warmup", "0"]
    assert main([*argv, "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    assert "python -m benchmarks --workloads W1 --steps 2" in report
    assert "## W1" in report and "T=2, B=2" in report
    assert "| snnx.run |" in report and "| floor (T·B folded) | " in report
    assert report.strip().splitlines()[-1].startswith("- load average")
    assert "## W1" in capsys.readouterr().out
