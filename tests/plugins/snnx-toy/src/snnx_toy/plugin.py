"""Entry point ``toy`` of group ``snnx``."""

from snnx.hookspecs import hookimpl


@hookimpl
def snnx_backends():
    from snnx_toy.backend import ToyAcceleratorBackend, ToyBackend

    return [ToyBackend(), ToyAcceleratorBackend()]
