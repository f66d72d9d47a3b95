"""View-model parts only the 申报书 needs: the waste ledger, the work narrative, the evidence list."""

from __future__ import annotations

from typing import Any

from wufei_docs.model import Enterprise
from wufei_docs.render.derived import derived_note, manifest_rate_text, safe_rate_text
from wufei_docs.render.numfmt import num, total
from wufei_docs.scoring.rubric import Rubric
from wufei_docs.scoring.score import ScoreResult

KINDS = {"hazardous": "危险废物", "general": "一般工业固体废物"}


def ledger_view(e: Enterprise) -> dict[str, Any]:
    """The stream ledger as table rows plus column sums, 安全处理率 and the manifest counts."""
    streams = e.waste.streams
    rows = [
        {
            "no": str(n),
            "name": s.name,
            "kind": KINDS[s.kind],
            "code": s.code or "",
            "kind_code": f"{KINDS[s.kind]}\n{s.code}" if s.code else KINDS[s.kind],
            "node": s.node or "",
            "generated": num(s.generated_t),
            "utilized": num(s.utilized_t),
            "disposed": num(s.disposed_t),
            "stored": num(s.stored_t),
            "destination": s.destination or "",
            "method": s.method or "",
        }
        for n, s in enumerate(streams, 1)
    ]
    m = e.waste.manifests
    years = sorted(e.waste.years)
    view = {
        "year": str(years[-1]) if years else "",
        "rows": rows,
        "generated": num(total(s.generated_t for s in streams)),
        "utilized": num(total(s.utilized_t for s in streams)),
        "disposed": num(total(s.disposed_t for s in streams)),
        "stored": num(total(s.stored_t for s in streams)),
        "hazardous": num(total(s.generated_t for s in streams if s.kind == "hazardous")),
        "general": num(total(s.generated_t for s in streams if s.kind == "general")),
        "safe_rate": safe_rate_text(e),
        "manifests_total": str(m.total),
        "manifests_electronic": str(m.electronic),
        "manifests_rate": manifest_rate_text(e),
    }
    view["summary"] = _ledger_sentence(view)
    return view


def _ledger_sentence(v: dict[str, Any]) -> str:
    if not v["rows"]:
        return "未填写固体废物台账。"
    year = f"{v['year']}年" if v["year"] else ""
    text = (
        f"{year}共产生工业固体废物{v['generated']}吨，其中危险废物{v['hazardous']}吨、一般工业固体废物"
        f"{v['general']}吨；综合利用{v['utilized']}吨，处置{v['disposed']}吨，年末合规贮存{v['stored']}吨，"
        f"安全处理率{v['safe_rate']}。"
    )
    if v["manifests_total"] == "0":
        return text + "本年度无危险废物转移联单。"
    return (
        text + f"危险废物转移联单{v['manifests_total']}份，其中电子联单{v['manifests_electronic']}份，"
        f"电子化率{v['manifests_rate']}。"
    )


def work_view(e: Enterprise, rubric: Rubric, own: ScoreResult, numerals: str) -> list[dict[str, Any]]:
    """三、创建工作开展情况: one section per category, one entry per item with a note or evidence."""
    sections = []
    for k, cat in enumerate(rubric.categories):
        entries = []
        for item in cat.items:
            s = own.item(item.id)
            if not (s.note or s.evidence):
                continue
            text = derived_note(e, item, s) if item.rule and s.applicable else s.note
            if s.evidence:
                text = _end(text, "；") + f"支撑材料：{'、'.join(s.evidence)}"
            text = _end(text, "。")
            mark = "不适用" if not s.applicable else f"得{num(s.score)}分"
            entries.append(
                {"id": item.id, "title": item.title, "label": f"{item.id} {item.title}（{mark}）", "text": text}
            )
        heading = f"（{numerals[k] if k < len(numerals) else k + 1}）{cat.name}"
        sections.append({"id": cat.id, "heading": heading, "entries": entries})
    return sections


def _end(text: str, mark: str) -> str:
    """Close a sentence with `mark` unless it already ends with punctuation (or is empty)."""
    if not text or text[-1] in "。；;.!！?？）)":
        return text
    return text + mark


def evidence_view(e: Enterprise) -> list[dict[str, Any]]:
    """五、支撑材料清单 with the items that cite each document."""
    cited: dict[str, list[str]] = {}
    for item_id, claim in e.items.items():
        for ref in claim.evidence:
            cited.setdefault(ref, []).append(item_id)
    return [
        {"no": str(n), "id": ev.id, "title": ev.title, "file": ev.file or "", "cited": "、".join(cited.get(ev.id, []))}
        for n, ev in enumerate(e.evidence, 1)
    ]
