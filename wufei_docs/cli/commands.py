"""Registers the command groups that live in their own modules (one module per concern)."""

from __future__ import annotations

from . import city, county, documents, revisions, serve, workbook  # noqa: F401
