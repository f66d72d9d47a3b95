"""A package's fingerprint: known before rendering, so a bundle re-run can tell which packages are current.

Its own small module: a re-run computes it for each changed file in the main process, which then need not
import the package writer (build, package, revisions: ~9 ms).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from wufei_docs._version import __version__
from wufei_docs.files.jsonfmt import canonical
from wufei_docs.render.templates import TEMPLATE_NAMES, template_path


def fingerprint(
    source_bytes: bytes,
    rubric_id: str,
    *,
    templates: Path | None = None,
    evaluation: Any = None,
    evaluated: bool = False,
    evidence: str = "",
) -> str:
    """sha256 over tool version, rubric, input bytes, evaluation entry, template bytes and options:
    equal fingerprints mean a rebuild would give the same documents. Pass the values you will
    give `build_package` (`evaluated` = whether a `self_result` is passed; `evidence` = the evidence files'
    names and hashes, package/evidence.fingerprint_part). Whether PDFs are made is not part of it: a PDF is a
    rendering of the documents, and adding or dropping --pdf is no new version."""
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(label.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)

    add("version", __version__.encode())
    add("rubric", rubric_id.encode())
    add("input", source_bytes)
    add("evaluation", canonical(evaluation))
    for name in TEMPLATE_NAMES:
        add(f"template:{name}", template_path(name, templates).read_bytes())
    add("options", canonical(options(templates=templates, evaluated=evaluated)))
    if evidence:  # absent for a package without evidence files: its fingerprint stays what it was
        add("evidence", evidence.encode())
    return h.hexdigest()


def options(*, templates: Path | None, evaluated: bool) -> dict[str, Any]:
    """The options that change the documents (manifest.json `options`)."""
    return {"templates": "custom" if templates is not None else "builtin", "evaluated": evaluated}
