"""DistributedDataParallel: one step on two processes equals one step on the whole batch.

Two CPU processes (gloo) each take half of a batch, run a small spiking network
over time, and take one SGD step under ``DistributedDataParallel`` with its
default arguments. DDP averages the gradients of the two halves, so with a loss
that is a mean over the batch every process must end with exactly the
parameters of one single-process step on the whole batch. This holds only if
DDP leaves each process's hidden state alone: it broadcasts rank 0's *buffers*
before every forward call, so the neurons keep their state outside the buffers.

The workers are started with ``fork`` rather than ``spawn``: a spawned worker
re-imports torch and ``torch._dynamo`` (which DDP loads on construction), over
ten seconds on a busy two-core machine; a forked one inherits them.
"""

from __future__ import annotations

import datetime
import os
import socket
import time

import pytest
import torch
import torch._dynamo  # DDP imports it on construction; forked workers inherit it
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

import snnx

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch built without torch.distributed")

WORLD = 2
WORKER_TIMEOUT_S = 240
"""A worker that hangs fails the test (and is killed) instead of stalling the whole run."""
T, BATCH, FEATURES = 6, 8, 4
LR = 0.5


def make_net() -> nn.Sequential:
    """The same float64 network on every process (a fixed seed), learnable beta and threshold."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(FEATURES, 6),
        snnx.Leaky(beta=0.8, threshold=0.6, learn_beta=True, learn_threshold=True, init_hidden=True),
        nn.Linear(6, 3),
        snnx.Leaky(beta=0.7, learn_beta=True, learn_threshold=True, init_hidden=True, output=True),
    ).double()


class SequenceForward(nn.Module):
    """``net`` over a whole sequence in one call: each neuron runs ``forward_sequence``."""

    def __init__(self, net: nn.Sequential) -> None:
        super().__init__()
        self.net = net

    def forward(self, x_seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        snnx.utils.reset(self.net)
        h = x_seq
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                h = layer(h)  # Linear maps the last dimension, so [T, B, in] -> [T, B, out]
            else:
                spk, mem = layer.forward_sequence(h)
                h = spk
        return spk, mem


class Runner(nn.Module):
    """``snnx.run(net, x_seq)`` as a module, so DDP sees one forward call per sequence."""

    def __init__(self, net: nn.Sequential) -> None:
        super().__init__()
        self.net = net

    def forward(self, x_seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return snnx.run(self.net, x_seq)


def step_loop(model: nn.Module, x_seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The snnTorch-style loop: one forward call of ``model`` per time step."""
    snnx.utils.reset(model)
    spikes, mems = zip(*(model(x) for x in x_seq))
    return torch.stack(spikes), torch.stack(mems)


def sequence(model: nn.Module, x_seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return model(x_seq)


def run_wrapped(model: nn.Module, x_seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return snnx.run(model, x_seq)


MODES = {
    # name: (wrap the network before DDP, run the (DDP-wrapped) model over x_seq)
    "step_loop": (lambda net: net, step_loop),
    "forward_sequence": (SequenceForward, sequence),
    "snnx.run inside DDP": (Runner, sequence),
    "snnx.run over DDP": (lambda net: net, run_wrapped),
}


def data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x_seq = 1.5 * torch.rand(T, BATCH, FEATURES, generator=generator, dtype=torch.float64)
    target = torch.rand(T, BATCH, 3, generator=generator, dtype=torch.float64)
    return x_seq, target


def sgd_step(model: nn.Module, params: list[nn.Parameter], run, x_seq, target) -> None:
    """One SGD step on a loss that is a mean over the batch (so DDP's averaging matches it)."""
    spk, mem = run(model, x_seq)
    loss = (mem - target).pow(2).mean() + spk.mean()
    optimiser = torch.optim.SGD(params, lr=LR)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()


def worker(rank: int, port: int, out_dir: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD, timeout=datetime.timedelta(seconds=60))
    try:
        x_seq, target = data()
        half = slice(rank * BATCH // WORLD, (rank + 1) * BATCH // WORLD)
        results = {}
        for name, (wrap, run) in MODES.items():
            net = make_net()
            model = nn.parallel.DistributedDataParallel(wrap(net))
            sgd_step(model, list(net.parameters()), run, x_seq[:, half], target[:, half])
            results[name] = {key: value.detach().clone() for key, value in net.named_parameters()}
            # DDP's reducer holds the process group: let it go while the group is alive (a reducer
            # outliving destroy_process_group tears gloo down late, and its thread join can hang)
            del model
        torch.save(results, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> list[dict[str, dict[str, torch.Tensor]]]:
    """The parameters each of the two processes ends with, per mode."""
    out_dir = tmp_path_factory.mktemp("ddp")
    workers = mp.start_processes(
        worker, args=(free_port(), str(out_dir)), nprocs=WORLD, join=False, start_method="fork"
    )
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while not workers.join(timeout=1):
        if time.monotonic() > deadline:
            for process in workers.processes:
                process.kill()
            pytest.fail(f"the {WORLD} DDP workers did not finish within {WORKER_TIMEOUT_S} s (killed)")
    return [torch.load(out_dir / f"rank{rank}.pt") for rank in range(WORLD)]


@pytest.mark.parametrize("mode", MODES)
def test_ddp_step_on_two_halves_equals_one_step_on_the_whole_batch(ranks, mode):
    if mode.startswith("snnx.run") and not hasattr(snnx, "run"):
        pytest.skip("snnx.run is not available in this build")
    x_seq, target = data()
    net = make_net()
    before = {key: value.detach().clone() for key, value in net.named_parameters()}
    wrap, run = MODES[mode]
    sgd_step(wrap(net), list(net.parameters()), run, x_seq, target)
    expected = dict(net.named_parameters())
    assert {"1.beta", "1.threshold", "3.beta", "3.threshold"} <= set(expected)
    for key, value in expected.items():
        assert not torch.equal(value, before[key]), f"{key} did not change: the comparison would be empty"
        for rank in range(WORLD):
            torch.testing.assert_close(ranks[rank][mode][key], value, rtol=1e-10, atol=1e-12, msg=key)
