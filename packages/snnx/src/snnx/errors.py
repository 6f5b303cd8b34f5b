"""Exceptions raised by snnx.

Every error names what was wrong and how to fix it. Each class also derives from
the built-in exception a Python user would expect (``ValueError``, ``TypeError``,
``LookupError``, ``RuntimeError``), so existing ``except`` clauses keep working.
"""

from __future__ import annotations


class SnnxError(Exception):
    """Base class of every error raised by snnx itself."""


class BackendNotFoundError(SnnxError, LookupError):
    """A backend name that no installed plugin provides."""


class BackendUnavailableError(SnnxError, RuntimeError):
    """A backend (or device) that is installed but cannot run here."""


class ParameterRangeError(SnnxError, ValueError):
    """A neuron, surrogate or encoder parameter outside its valid range."""


class StateShapeError(SnnxError, ValueError):
    """A state tensor whose shape does not match the input."""


class InputDtypeError(SnnxError, TypeError):
    """An input of a dtype the operation cannot use."""


class InputShapeError(SnnxError, ValueError):
    """An input array (network output, targets, weights) of a shape the operation cannot use."""
