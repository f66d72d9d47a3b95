"""Shared checks of the hostile-input catalogue (tests/test_hostile_*.py).

Every case ends in one of two outcomes, and these helpers assert them:
- `documents_open(folder)`: exit 0 and every .docx opens with python-docx and every XML member parses;
- `refused(result, *words)`: exit 1, a Chinese message naming the problem, no traceback;
and, either way, `Tree(tmp_path, out)` proves nothing appeared, changed or vanished outside the output folder
(and `Tree(out)` that a failed run left the output folder byte-identical).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, full_marks
from tests.docx_helpers import all_text, open_docx

# Text that breaks naive XML, templates, CDATA, terminals and bidi rendering; every piece must come out literally.
XML_BREAKERS = "& < > \" ' &amp; </w:t></w:r><w:r><w:t> ]]> <?xml version='1.0'?> <!-- x --> <![CDATA[ y"
TEMPLATE_CODE = "{{ 7*7 }} {% for x in y %}{% endfor %} {%p if 1 %} {# c #} {{ unit.name }} {%tr endfor %}"
UNICODE = "𠀀𪚥😀👨\u200d👩\u200d👧 \u202eRTL\u202c \u200bZW \u2066iso\u2069 \ufeffBOM ﷽ \U0010fffd"
HOSTILE_LINE = f"{XML_BREAKERS} {TEMPLATE_CODE} {UNICODE}"
HOSTILE_TEXT = f"{HOSTILE_LINE}\n第二行\t制表符\n\n  缩进行 {TEMPLATE_CODE}"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


# --- outcome 1: documents that open -----------------------------------------------------------


def xml_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels"))}


def docx_opens(data: bytes, name: str = "") -> str:
    """Every XML member is well-formed (defusedxml: no DTD tricks), python-docx opens it; returns its text."""
    from defusedxml import ElementTree

    for member, raw in xml_members(data).items():
        try:
            ElementTree.fromstring(raw)
        except Exception as e:  # pragma: no cover - the failure message is the point
            raise AssertionError(f"{name}:{member} is not well-formed XML: {e}") from e
    document = open_docx(data)
    texts = all_text(document)
    for section in document.sections:
        for part in (section.header, section.footer):
            texts += [p.text for p in part.paragraphs]
    return "\n".join(texts)


def documents_open(folder: Path) -> dict[str, str]:
    """Every .docx below `folder` (not in 历史版本) opens; name → text."""
    texts = {}
    for path in sorted(folder.rglob("*.docx")):
        if "历史版本" not in path.relative_to(folder).parts:
            texts[path.relative_to(folder).as_posix()] = docx_opens(path.read_bytes(), path.name)
    assert texts, f"no documents in {folder}"
    return texts


def built(result: Any, out: Path) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return documents_open(out)


# --- outcome 2: a clear refusal --------------------------------------------------------------


def refused(result: Any, *words: str) -> str:
    """Exit 1 with a Chinese message containing `words`, and no traceback; returns the message."""
    message = result.stderr or result.output
    assert result.exit_code == 1, f"exit {result.exit_code}: {result.output}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # handled, not crashed
    assert "Traceback" not in result.output
    assert CHINESE.search(message), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


# --- nothing outside the output folder ---------------------------------------------------------


class Tree:
    """A record of every entry below `root` (files by content, links by target), minus `skip` folders."""

    def __init__(self, root: Path, *skip: Path) -> None:
        self.root, self.skip = root, [s.absolute() for s in skip]
        self.before = self.read()

    def read(self) -> dict[str, str]:
        entries: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath)
            dirnames[:] = [d for d in dirnames if (here / d).absolute() not in self.skip]
            for name in [*dirnames, *filenames]:
                path = here / name
                if path.absolute() in self.skip:
                    continue
                rel = path.relative_to(self.root).as_posix()
                if path.is_symlink():
                    entries[rel] = f"link → {os.readlink(path)}"
                elif path.is_dir():
                    entries[rel] = "dir"
                else:
                    entries[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        return entries

    def unchanged(self) -> None:
        after = self.read()
        added = sorted(set(after) - set(self.before))
        removed = sorted(set(self.before) - set(after))
        changed = sorted(k for k in set(after) & set(self.before) if after[k] != self.before[k])
        assert not (added or removed or changed), f"added {added}, removed {removed}, changed {changed}"


# --- the real program in a subprocess ---------------------------------------------------------


def run_wufei(*args: Any, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m wufei_docs ARGS` as a user runs it: real stdout/stderr, real exit status."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "wufei_docs", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def dump(data: Any) -> str:
    """YAML text of `data` on unfolded lines: ruamel folds long double-quoted lines and, after an escaped
    U+FEFF, forgets the backslash that keeps the fold from becoming a space (a bug of the dumper, not of
    reading); one line per value avoids it."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 1_000_000
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def hostile_enterprise() -> tuple[dict[str, Any], dict[str, str]]:
    """full_marks() with hostile text in every free-text field, each led by its own marker so the test can
    tell which field came out where; returns (data, field → the exact text written)."""
    data = full_marks()
    placed: dict[str, str] = {}

    def put(node: dict[str, Any], key: str, field: str, limit: int, multiline: bool = False) -> None:
        text = f"«{field}»" + (HOSTILE_TEXT if multiline else HOSTILE_LINE)
        text = text[:limit].rstrip()
        node[key] = text
        placed[field] = text

    u = data["unit"]
    u["soil_key_unit"] = False
    put(u, "name", "unit.name", 100)
    put(u, "address", "unit.address", 200)
    put(u, "legal_rep", "unit.legal_rep", 50)
    put(u, "products", "unit.products", 200)
    put(u, "profile", "unit.profile", 20000, multiline=True)
    put(u["head"], "name", "unit.head.name", 50)
    put(u["contact"], "name", "unit.contact.name", 50)
    u["industry"] = {"code": "C3240"}
    put(u["industry"], "name", "unit.industry.name", 50)
    a = data["application"]
    put(a, "summary", "application.summary", 20000, multiline=True)
    for i, stream in enumerate(data["waste"]["streams"]):
        for key in ("name", "node", "destination", "method"):
            put(stream, key, f"waste.streams[{i}].{key}", 200)
    put(data["waste"]["streams"][1], "code", "waste.streams[1].code", 100)
    data["items"]["A1.1"]["evidence"] = ["E01"]
    put(data["items"]["A1.1"], "note", "items.A1.1.note", 20000, multiline=True)
    data["items"]["B1.2"] = {}
    put(data["items"]["B1.2"], "na", "items.B1.2.na", 200)
    put(data["evidence"][0], "title", "evidence[0].title", 200)
    put(data["evidence"][0], "file", "evidence[0].file", 196)
    data["evidence"][0]["file"] += ".pdf"  # FORMAT.md §1: an evidence file is a .pdf/.jpg/.png/.docx
    placed["evidence[0].file"] += ".pdf"
    return data, placed


# Fields whose text is kept in the data but printed in no document (the official forms have no place for it).
NOT_PRINTED = {"application.type", "compliance.H1.note"}
