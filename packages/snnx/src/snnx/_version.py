"""The version shared by every snnx distribution (they move in lock-step)."""

__version__ = "0.1.0"
