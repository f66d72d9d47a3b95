"""Reading produced .docx files in tests: table grids with their merges, runs, raw XML parts."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Cell:
    text: str
    span: int  # gridSpan (1 when absent)
    vmerge: str | None  # "restart", "continue" or None


def open_docx(path: Path | bytes) -> Any:
    import docx

    return docx.Document(io.BytesIO(path) if isinstance(path, bytes) else str(path))


def grid(table: Any) -> list[list[Cell]]:
    """Each row's real <w:tc> cells (not python-docx's repeated merged cells) with span and vMerge."""
    from docx.table import _Cell

    rows = []
    for tr in table._tbl.iter(f"{W}tr"):
        cells = []
        for tc in tr.iter(f"{W}tc"):
            tcpr = tc.find(f"{W}tcPr")
            span, vmerge = 1, None
            if tcpr is not None:
                gs = tcpr.find(f"{W}gridSpan")
                if gs is not None:
                    span = int(gs.get(f"{W}val"))
                vm = tcpr.find(f"{W}vMerge")
                if vm is not None:
                    vmerge = vm.get(f"{W}val") or "continue"
            cells.append(Cell(_Cell(tc, table).text, span, vmerge))
        rows.append(cells)
    return rows


def xml_parts(data: bytes) -> dict[str, str]:
    """Every XML member of a .docx as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xml", ".rels"))}


def runs_without_east_asian_font(data: bytes) -> list[str]:
    """Texts of runs (body, headers, footers) whose rPr lacks rFonts/@w:eastAsia."""
    from lxml import etree

    bad = []
    for name, xml in xml_parts(data).items():
        if not name.startswith("word/") or not any(k in name for k in ("document", "header", "footer")):
            continue
        root = etree.fromstring(xml.encode("utf-8"))
        for r in root.iter(f"{W}r"):
            fonts = r.find(f"{W}rPr/{W}rFonts")
            if fonts is None or not fonts.get(f"{W}eastAsia"):
                bad.append(f"{name}: {''.join(r.itertext())!r}")
    return bad


def all_text(document: Any) -> list[str]:
    """Paragraph texts of the body and of every table cell."""
    texts = [p.text for p in document.paragraphs]
    for t in document.tables:
        for row in t.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


def patch_docx(path: Path, old: str, new: str, part: str = "word/document.xml") -> None:
    """Replace text in one XML part of a .docx (to simulate a user's edit in Word)."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == part:
                text = data.decode("utf-8")
                assert old in text, f"{old!r} not in {part}"
                data = text.replace(old, new, 1).encode("utf-8")
            z.writestr(info, data)
    path.write_bytes(out.getvalue())
