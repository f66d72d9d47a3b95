"""Synthetic packages for the writer tests: real enterprise data, real scores, small real .docx files.

`wufei build` renders the real documents; these tests only need bytes that change when the data change,
plus the `extra` snapshot the renderer hands to `write_package`.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from wufei_docs.model import Enterprise
from wufei_docs.package.writer import Package
from wufei_docs.scoring.score import score

DOCS = ("申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx")


def small_docx(*lines: str) -> bytes:
    from docx import Document

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_package(data: dict[str, Any], templates: str = "t1", tool: str = "0.1.0", pdf: bool = False) -> Package:
    """What the documents layer hands to write_package for one enterprise."""
    enterprise = Enterprise.model_validate(data)
    result = score(enterprise)
    plain = enterprise.model_dump(mode="json")
    unit = plain["unit"]
    files = {
        DOCS[0]: small_docx(unit["name"], f"职工 {unit['staff']} 人", f"总分 {result.total:g}"),
        DOCS[1]: small_docx(*(f"{i.id} {i.score:g}" for i in result.items)),
        DOCS[2]: small_docx(unit["name"], unit["address"]),
    }
    if pdf:
        files["PDF/申报书.pdf"] = b"%PDF-1.4 " + files[DOCS[0]][:64]
    fingerprint = hashlib.sha256(
        json.dumps([plain, templates, tool], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    manifest = {
        "tool_version": tool,
        "rubric": result.rubric,
        "input_sha256": hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest(),
        "score": {"total": result.total, "verdict": result.verdict},
    }
    return Package(files, manifest, fingerprint, {"input": plain, "score": result.to_json()})


def tree(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under `folder` → (inode, mtime_ns, sha256): equal trees mean nothing was touched."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(folder).as_posix()] = (
                st.st_ino,
                st.st_mtime_ns,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return out


def contents(folder: Path) -> dict[str, str]:
    """Every file under `folder` → sha256 (what a reader sees, whatever the inode)."""
    return {name: sha for name, (_ino, _mtime, sha) in tree(folder).items()}


def docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)
