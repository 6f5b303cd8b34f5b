"""The ``snnx`` console script."""
