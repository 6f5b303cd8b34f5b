"""The NumPy reference backend (forward only), built into the core."""
