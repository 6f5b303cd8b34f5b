"""Registers the built-in NumPy reference backend."""

from __future__ import annotations

from snnx.hookspecs import hookimpl


@hookimpl
def snnx_backends():
    from snnx.numpy_backend.backend import NumpyBackend

    return [NumpyBackend()]
