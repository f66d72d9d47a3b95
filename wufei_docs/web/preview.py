"""Pages of a package's PDFs as images, so that a clerk sees the documents in the browser before printing.

The PDFs are those `wufei build --pdf` wrote into the package folder (the current version only); each page is
rendered once by poppler's `pdftoppm` into the workspace's hidden `.preview/` folder, named by the PDF's hash,
so a new version never shows an old page. A browser names a document by its position in the list, never by a
path.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SMALL_DPI = 40  # a thumbnail: an A4 page is ~330 px high
LARGE_DPI = 110  # a readable page


@dataclass(frozen=True)
class Document:
    name: str  # 申报书 …
    path: Path
    pages: int


def available() -> bool:
    return shutil.which("pdftoppm") is not None and shutil.which("pdfinfo") is not None


def documents(package: Path) -> list[Document]:
    """The current version's PDFs in the package folder, in name order, each with its page count."""
    if not package.is_dir() or not available():
        return []
    found = []
    for path in sorted(package.glob("*.pdf")):
        if path.is_file() and not path.is_symlink():
            pages = _page_count(path)
            if pages:
                found.append(Document(path.stem, path, pages))
    return found


def page_png(document: Document, page: int, cache: Path, *, large: bool = False) -> bytes:
    """Page `page` (1-based) of `document` as PNG, rendered once and kept under `cache`."""
    if not 1 <= page <= document.pages:
        raise ValueError(page)
    dpi = LARGE_DPI if large else SMALL_DPI
    digest = hashlib.sha256(document.path.read_bytes()).hexdigest()[:32]
    target = cache / f"{digest}-{dpi}-{page}.png"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            root = Path(tmp) / "page"
            cmd = ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
            subprocess.run([*cmd, str(document.path), str(root)], check=True, capture_output=True, timeout=60)
            root.with_suffix(".png").replace(target)
    return target.read_bytes()


def _page_count(path: Path) -> int:
    try:
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[-1])
    return 0
