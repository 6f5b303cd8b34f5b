"""An entry point that fails to import, to prove a broken plugin cannot break snnx."""

raise ImportError("snnx-toy's deliberately broken plugin (used by snnx's tests)")
