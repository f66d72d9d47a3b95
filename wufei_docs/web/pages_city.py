"""市 pages (placeholder while the city pages are built)."""

from __future__ import annotations

from starlette.routing import Route

routes: list[Route] = []
