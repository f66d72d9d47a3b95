"""The `wufei` command: a thin Typer layer over the library (options in, one library call, print).

`app` holds the root and the enterprise commands (init, validate, score); each other group lives in its
own module and registers itself on `app` when imported here.
"""

from __future__ import annotations

from wufei_docs.cli import city, county, documents, revisions, serve, workbook  # noqa: F401 - register their commands
from wufei_docs.cli.app import app, main

__all__ = ["app", "main"]
