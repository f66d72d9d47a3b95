"""CLI commands for county (registered on the shared app)."""

from __future__ import annotations

from .app import app, handled  # noqa: F401
