"""What a consistent county bundle is, checked from its files alone: bundle.json's hashes match the package
files, the lists, the letter and 汇总.txt show bundle.json's enterprises, and the zip holds exactly the
current files of OUT (byte for byte). Plus a snapshot of everything a run must leave untouched when it fails."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from openpyxl import load_workbook


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(out: Path) -> dict[str, str]:
    """Every file of OUT (hidden ones included: no debris may stay) and OUT.zip, by hash; the records in
    OUT/.wufei (caches, rewritten by every run) and the lock are left out."""
    result = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if rel.parts[0] in (".wufei", ".wufei.lock") or path.is_dir():
            continue
        result[rel.as_posix()] = sha(path.read_bytes())
    for path in sorted(out.parent.iterdir()):
        if path.name.startswith((out.name + ".", f".{out.name}.")) and path.is_file():
            result[f"../{path.name}"] = sha(path.read_bytes())
    return result


def current_files(out: Path, enterprises: list[dict[str, Any]]) -> dict[str, bytes]:
    """What the zip must hold: OUT's visible files, without earlier versions and the package folders of no
    current enterprise."""
    folders = {e["folder"] for e in enterprises}
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if rel.parts[0] == "企业" and (len(rel.parts) < 3 or f"企业/{rel.parts[1]}" not in folders):
            continue
        if rel.parts[0] == "企业" and len(rel.parts) > 3 and rel.parts[2] == "历史版本":
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def assert_consistent(out: Path, *, zipped: bool = True) -> dict[str, Any]:
    """The bundle in OUT agrees with itself; returns its bundle.json."""
    assert not (out / ".wufei-bundle-journal.json").exists()
    data = json.loads((out / "bundle.json").read_text("utf-8"))
    enterprises = data["enterprises"]
    for e in enterprises:
        for name, digest in e["files"].items():
            assert sha((out / e["folder"] / name).read_bytes()) == digest, (e["folder"], name)
        manifest = json.loads((out / e["folder"] / "manifest.json").read_text("utf-8"))
        assert manifest["files"] == e["files"]
    recommended = [e for e in enterprises if e["recommended"]]
    ws = load_workbook(out / "推荐名单.xlsx")
    assert [r[2] for r in ws["推荐名单"].iter_rows(min_row=3, values_only=True)] == [e["uscc"] for e in recommended]
    others = [r[2] for r in ws["未推荐"].iter_rows(min_row=3, values_only=True)]
    assert len(others) == len(enterprises) - len(recommended) + len(data["failed"])
    assert {u for u in others if u} == {e["uscc"] for e in enterprises if not e["recommended"]}
    listing = Document(out / "推荐名单.docx")
    assert [row.cells[2].text for row in listing.tables[0].rows[1:]] == [e["uscc"] for e in recommended]
    letter = "\n".join(p.text for p in Document(out / "推荐函.docx").paragraphs)
    for e in recommended:
        assert e["uscc"] in letter
    assert sum(1 for e in enterprises if e["uscc"] in letter) == len(recommended)
    summary = (out / "汇总.txt").read_text("utf-8").splitlines()
    assert summary[1].startswith(f"企业文件 {len(enterprises) + len(data['failed'])} 个：")
    assert f"推荐 {len(recommended)} 家" in summary[1]
    if zipped:
        with zipfile.ZipFile(out.with_name(out.name + ".zip")) as z:
            members = {i.filename.removeprefix(f"{out.name}/"): z.read(i) for i in z.infolist()}
        assert members == current_files(out, enterprises)
    return data


def outputs(out: Path) -> dict[str, Any]:
    """Every output except the cache; manifests and bundle.json without the version bookkeeping a
    correction adds (version, previous, 修改说明), so a re-run compares equal to a first run."""
    result: dict[str, Any] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if (
            not path.is_file()
            or rel.parts[0] == ".wufei"
            or "历史版本" in rel.parts
            or path.name.startswith("修改说明")
        ):
            continue
        if path.name in ("manifest.json", "bundle.json"):
            result[rel.as_posix()] = _strip(json.loads(path.read_text("utf-8")))
        else:
            result[rel.as_posix()] = path.read_bytes()
    return result


def _strip(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _strip(v) for k, v in data.items() if k not in ("version", "previous") and not k.startswith("修改说明")
        }
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data
