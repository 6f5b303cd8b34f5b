"""snnx-toy: a third-party snnx backend in miniature, for snnx's tests.

It runs specs forward on its own array type (``ToyArray``) using only snnx's
public plugin API, and registers an extra backend that is never available.
"""
