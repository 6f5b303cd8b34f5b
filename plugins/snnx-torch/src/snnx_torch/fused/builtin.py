"""Imports every fused kernel module shipped with snnx-torch, so each registers itself."""

from snnx_torch.fused import alpha, lapicque, leaky, recurrent, synaptic  # noqa: F401
