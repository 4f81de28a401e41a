"""Declarations of the task catalog, one module per plugin family.

Each module exposes ``TYPES``, a tuple of :class:`compiler.catalog.TaskType`.
``ALL_TYPES`` gathers them in this order; ``compiler.catalog`` indexes them.
"""

from __future__ import annotations

from compiler.catalog_data import core, jdbc, plugins, scripts

__all__ = ["ALL_TYPES"]

ALL_TYPES = (*core.TYPES, *scripts.TYPES, *jdbc.TYPES, *plugins.TYPES)
