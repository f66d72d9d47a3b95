"""县 pages (placeholder while the county pages are built)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
