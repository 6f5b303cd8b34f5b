"""Imports every fused kernel module shipped with snnx-torch, so each registers itself."""
