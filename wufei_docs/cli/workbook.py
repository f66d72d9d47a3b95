"""CLI commands for workbook (registered on the shared app)."""

from __future__ import annotations

from .app import app, handled  # noqa: F401
