"""Rendering: score + data → view model → .docx through the template engine (sandboxed Jinja), and PDF copies."""
