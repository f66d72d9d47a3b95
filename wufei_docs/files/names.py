"""The names of the files and folders wufei writes, owned here so that every stage spells them one way."""

from __future__ import annotations

MANIFEST = "manifest.json"  # a package's record of itself (FORMAT.md §4)
HISTORY = "历史版本"  # earlier versions of a package: DIR/历史版本/<n>/
JOURNAL = ".wufei-journal.json"  # a half-done switch of a package folder, finished or undone by the next run
CACHE_DIR = ".wufei"  # a bundle's records for its re-runs (hidden: never zipped)
TEMPLATE_STORE = "templates"  # under CACHE_DIR: compiled templates kept between runs
ENTERPRISE_FOLDER = "企业"  # a bundle's package folders: OUT/企业/<unit>/
DEFAULT_DB = "wufei-register.db"  # the city register when no --db is given
