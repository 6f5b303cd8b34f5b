"""The buffer pool of the compiled scans reuses memory only once nothing refers to it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import snnx
from snnx_torch.fused import buffers, native
from snnx_torch.fused.buffers import BufferPool

LARGE = (256, 1024)  # 1 MiB of float32: pooled
LIKE = torch.empty(0)


def test_a_freed_buffer_is_handed_out_again_and_a_held_one_is_not():
    pool = BufferPool()
    first = pool.empty(LARGE, LIKE)
    address = first.data_ptr()
    second = pool.empty(LARGE, LIKE)
    assert second.data_ptr() != address
    del first
    third = pool.empty(LARGE, LIKE)
    assert third.data_ptr() == address
    assert third.shape == LARGE and third.dtype == torch.float32 and third.is_contiguous()


@pytest.mark.parametrize("holder", ["view", "numpy", "autograd"])
def test_views_arrays_and_saved_tensors_keep_a_buffer_in_use(holder):
    pool = BufferPool()
    buffer = pool.empty(LARGE, LIKE).fill_(1.0)
    address = buffer.data_ptr()
    if holder == "view":
        kept = buffer[1:]
    elif holder == "numpy":
        kept = buffer.numpy()
    else:
        weight = torch.ones((), requires_grad=True)
        kept = (buffer * weight).sum()  # MulBackward saves `buffer`
    del buffer
    other = pool.empty(LARGE, LIKE)
    assert other.data_ptr() != address
    del kept
    assert pool.empty(LARGE, LIKE).data_ptr() == address


def test_small_buffers_dtypes_shapes_and_a_resized_buffer():
    pool = BufferPool()
    small = pool.empty((4, 4), LIKE)
    assert small.shape == (4, 4)
    assert not pool._buffers  # below MIN_BYTES: torch's allocator
    doubles = pool.empty((128, 1024), torch.empty(0, dtype=torch.float64))
    assert doubles.dtype == torch.float64
    address = doubles.data_ptr()
    del doubles
    floats = pool.empty((256, 1024), LIKE)  # the same bytes, another dtype and shape: a buffer of its own
    assert floats.dtype == torch.float32 and floats.data_ptr() != address
    grown = pool.empty((128, 1024), torch.empty(0, dtype=torch.float64))
    grown.resize_(256, 1024)  # grows the shared storage in place
    del grown
    again = pool.empty((128, 1024), torch.empty(0, dtype=torch.float64))
    assert again.shape == (128, 1024) and again.is_contiguous()
    again.fill_(2.0)
    assert bool((again == 2.0).all())


def test_another_device_is_never_served_from_the_pool():
    pool = BufferPool()
    cpu = pool.empty(LARGE, LIKE)
    del cpu
    meta = pool.empty(LARGE, torch.empty(0, device="meta"))
    assert meta.device.type == "meta"


def test_the_pool_keeps_at_most_max_bytes_and_releases(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_BYTES", 2 * 2**20)
    pool = BufferPool()
    held = [pool.empty(LARGE, LIKE) for _ in range(3)]
    assert pool._kept == 2 * 2**20
    third = held.pop().data_ptr()
    assert all(third != kept.data_ptr() for kept in held)
    pool.release()
    assert pool._kept == 0 and not pool._buffers


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("SNNX_BUFFER_POOL", "0")
    pool = BufferPool()
    pool.empty(LARGE, LIKE)
    assert not pool._buffers


@pytest.mark.skipif(native.library() is None, reason=f"compiled CPU scans unavailable: {native.status()}")
def test_outputs_of_successive_runs_never_share_memory():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 2048), snnx.Leaky(beta=0.9, init_hidden=True))
    x = torch.rand(20, 16, 64) * 2  # spikes [20, 16, 2048]: 2.5 MiB, pooled
    first = snnx.run(net, x)
    kept = first.clone()
    second = snnx.run(net, torch.rand(20, 16, 64) * 2)
    assert first.data_ptr() != second.data_ptr()
    assert torch.equal(first, kept)
    address = first.data_ptr()
    del first
    third = snnx.run(net, x)
    assert third.data_ptr() == address  # reused once released
    assert torch.equal(third, kept)
