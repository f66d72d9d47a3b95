"""The `wufei` command: a thin Typer layer over the library (options in, one library call, print)."""

from __future__ import annotations

from wufei_docs.cli.app import app, main

__all__ = ["app", "main"]
