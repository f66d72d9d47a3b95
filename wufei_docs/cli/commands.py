"""Registers the command groups that live in their own modules (one module per concern)."""

from __future__ import annotations

from wufei_docs.cli import city, county, documents, revisions, workbook  # noqa: F401
