"""The errors snnx-nir raises: all are ``ValueError``s, each message names the file, node or edge."""

from __future__ import annotations


class NIRError(ValueError):
    """Base class of every snnx-nir error."""


class NIRFileError(NIRError):
    """The file cannot be read as a NIR graph: missing, unreadable, truncated, not HDF5 or not NIR."""


class NIRGraphError(NIRError):
    """The graph is inconsistent: unknown node type, dangling edge, shape mismatch, unsupported cycle."""


class NIRMappingError(NIRError):
    """A node or module has no snnx equivalent (the message says why and what to do instead)."""
