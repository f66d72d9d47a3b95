"""What changed between two versions of a package, and the 修改说明 that tells the county.

A version keeps a snapshot of its data (`extra`: the plain input and `ScoreResult.to_json()`) in its
manifest; comparing two snapshots gives every changed field (old → new, with a Chinese label) and every
changed score (items, total, verdict). The note is written as .docx (公文 layout) and as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

NOTE_DOCX, NOTE_TXT = "修改说明.docx", "修改说明.txt"
EMPTY = "（空）"

_UNIT = {
    "name": "单位全称", "uscc": "统一社会信用代码", "address": "详细地址", "county": "所在县（市、区）",
    "area_m2": "占地面积（平方米）", "staff": "单位规模（职工人数）", "roles": "单位类型",
    "soil_key_unit": "土壤污染重点监管单位", "legal_rep": "法定代表人", "ownership": "单位性质",
    "founded": "成立日期", "postcode": "邮政编码", "products": "主导产品", "profile": "单位简介",
    "head.name": "负责人姓名", "head.phone": "负责人联系方式", "contact.name": "联系人姓名",
    "contact.mobile": "联系人手机号码", "contact.email": "联系人电子邮箱",
    "industry.code": "所属行业代码", "industry.name": "所属行业名称",
}  # fmt: skip
_TOP = {"format": "文件格式", "rubric": "评价指标", "application.type": "建设申报类型",
        "application.date": "申报日期", "application.summary": "主要工作",
        "waste.manifests.total": "转移联单总数", "waste.manifests.electronic": "电子转移联单数"}  # fmt: skip
_YEAR = {"output_value": "工业总产值（万元）", "general_t": "一般工业固体废物产生量（吨）",
         "hazardous_t": "危险废物产生量（吨）"}  # fmt: skip
_STREAM = {"name": "名称", "kind": "类别", "code": "危险废物代码", "node": "产生节点", "generated_t": "产生量（吨）",
           "utilized_t": "利用量（吨）", "disposed_t": "处置量（吨）", "stored_t": "贮存量（吨）",
           "destination": "去向（接收单位）", "method": "利用处置方式"}  # fmt: skip
_ITEM = {"score": "自评分", "note": "自评说明", "evidence": "支撑材料编号", "na": "不适用理由"}
_EVIDENCE = {"id": "编号", "title": "名称", "file": "文件"}
_VALUES = {"hazardous": "危险废物", "general": "一般工业固体废物", "producer": "固体废物产生单位",
           "disposer": "固体废物处置利用单位", "self_facility": "自建危废利用处置设施"}  # fmt: skip
_LISTS = {"waste.streams": ("固废台账", "name", _STREAM), "evidence": ("支撑材料清单", "id", _EVIDENCE)}
_MANIFEST = {"tool_version": "工具版本", "rubric": "评价指标", "template": "模板", "templates": "模板",
             "options": "生成选项", "pdf": "生成 PDF"}  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One changed value: `path` is the field path (or item id), `label` what a reader calls it."""

    path: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Changes:
    fields: tuple[Change, ...] = ()  # the enterprise's data
    scores: tuple[Change, ...] = ()  # item scores that changed, then 总分 and 结论 (always listed)
    other: tuple[Change, ...] = ()  # tool version, templates, other snapshot data
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 已更新/新增/删除/未变 → names
    comparable: bool = True  # False when the older version kept no data snapshot

    @property
    def scored(self) -> tuple[Change, ...]:
        """Changed item and hard-item scores (not the totals)."""
        return tuple(c for c in self.scores if c.path.startswith(("items.", "vetoes.")))

    @property
    def count(self) -> int:
        return len(self.fields) + len(self.scored) + len(self.other)

    def summary(self) -> str:
        """One line, e.g. 数据变化 2 处，得分变化 1 项，总分 105 → 103，结论 达标."""
        parts = [f"数据变化 {len(self.fields)} 处", f"得分变化 {len(self.scored)} 项"]
        totals = {c.path: c for c in self.scores}
        if "total" in totals:
            t = totals["total"]
            parts.append(f"总分 {t.old} → {t.new}" if t.old != t.new else f"总分 {t.new}（未变）")
        if "verdict" in totals:
            v = totals["verdict"]
            parts.append(f"结论 {v.old} → {v.new}" if v.old != v.new else f"结论 {v.new}（未变）")
        if self.other:
            parts.append(f"其他变化 {len(self.other)} 处")
        return "，".join(parts)


def compare(
    old_extra: dict[str, Any] | None,
    new_extra: dict[str, Any],
    old_manifest: dict[str, Any] | None = None,
    new_manifest: dict[str, Any] | None = None,
    files: dict[str, tuple[str, ...]] | None = None,
) -> Changes:
    """Every difference between two snapshots (and manifests), labelled for the 修改说明."""
    other = _manifest_changes(old_manifest or {}, new_manifest or {})
    if old_extra is None:
        return Changes(other=other, files=files or {}, comparable=False)
    fields = _data_changes(old_extra.get("input"), new_extra.get("input"))
    scores = score_changes(old_extra.get("score"), new_extra.get("score"))
    for key in sorted((set(old_extra) | set(new_extra)) - {"input", "score"}):
        other += _data_changes(old_extra.get(key), new_extra.get(key), prefix=key)
    return Changes(fields, scores, other, files or {})


# --- data fields ------------------------------------------------------------------------------


def _data_changes(old: Any, new: Any, prefix: str = "") -> tuple[Change, ...]:
    """Changed leaves; a list row present on one side only is one change (the whole row)."""
    leaves_o, rows_o = _flatten(old, prefix)
    leaves_n, rows_n = _flatten(new, prefix)
    lone = set(rows_o) ^ set(rows_n)
    out = []
    for path in [*leaves_n, *(p for p in leaves_o if p not in leaves_n)]:
        if path.split("]")[0] + "]" in lone:
            continue
        (parts_o, v_old), (parts_n, v_new) = leaves_o.get(path, ((), None)), leaves_n.get(path, ((), None))
        if not _same(v_old, v_new):
            a, b = show(v_old), show(v_new)
            if isinstance(v_old, str) and isinstance(v_new, str):
                a, b = _clip_pair(a, b)
            out.append(Change(path, label(parts_n or parts_o), a, b))
    for slot in [*(s for s in rows_n if s in lone), *(s for s in rows_o if s in lone)]:
        parts, row = rows_n.get(slot) or rows_o[slot]
        fields = _LISTS.get(slot.rsplit("[", 1)[0], ("", "", {}))[2]
        text = "；".join(f"{fields.get(k, k)}：{show(v)}" for k, v in row.items() if v not in (None, "", []))
        whole = label((*parts, "")).rstrip()
        out.append(Change(slot, whole, EMPTY if slot in rows_n else text, text if slot in rows_n else "（删除）"))
    return tuple(out)


Leaves = dict[str, tuple[tuple[Any, ...], Any]]
Rows = dict[str, tuple[tuple[Any, ...], dict[str, Any]]]


def _flatten(value: Any, prefix: str = "") -> tuple[Leaves, Rows]:
    """path → (parts for the label, leaf value), and list rows by slot; rows are matched by name/id."""
    leaves: Leaves = {}
    rows: Rows = {}

    def walk(node: Any, path: str, parts: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k), (*parts, str(k)))
        elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            key = _LISTS.get(path, ("", "", {}))[1]
            for i, row in enumerate(node):
                ident = row.get(key) if key else None
                slot = f"{path}[{ident}]" if ident is not None and _unique(node, key) else f"{path}[{i}]"
                row_parts = (*parts, (i, ident))
                rows[slot] = (row_parts, row)
                for k, v in row.items():
                    walk(v, f"{slot}.{k}", (*row_parts, str(k)))
        elif node is not None:
            leaves[path] = (parts, node)

    if value is not None:
        walk(value, prefix, tuple(prefix.split(".")) if prefix else ())
    return leaves, rows


def _unique(rows: list[dict[str, Any]], key: str) -> bool:
    values = [r.get(key) for r in rows]
    return None not in values and len(set(map(str, values))) == len(values)


def label(parts: tuple[Any, ...]) -> str:
    """Chinese label of a field path, e.g. unit.staff → 单位规模（职工人数）."""
    names = [str(p) for p in parts if not isinstance(p, tuple)]
    dotted = ".".join(names)
    rows = [p for p in parts if isinstance(p, tuple)]
    if names[:1] == ["unit"] and ".".join(names[1:]) in _UNIT:
        return _UNIT[".".join(names[1:])]
    if dotted in _TOP:
        return _TOP[dotted]
    if names[:2] == ["waste", "years"] and len(names) == 4:
        return f"{names[2]}年 {_YEAR.get(names[3], names[3])}"
    if names[:1] == ["items"] and len(names) >= 3:
        return f"{names[1]} {_ITEM.get(names[2], names[2])}"
    if names[:1] == ["compliance"] and len(names) >= 3:
        return f"硬性指标 {names[1]} " + {"met": "是否满足", "note": "说明"}.get(names[2], names[2])
    for list_path, (title, _key, fields) in _LISTS.items():
        head = list_path.split(".")
        if rows and names[: len(head)] == head:
            index, ident = rows[0]
            who = f"（{ident}）" if ident is not None else ""
            return f"{title}第{index + 1}行{who}{fields.get(names[-1], names[-1])}"
    return dotted or "（整体）"


def show(value: Any) -> str:
    """A value as a reader expects it: 是/否, 12.5, lists joined with 、, enums in Chinese."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, list):
        return "、".join(show(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{show(v)}" for k, v in value.items())
    text = str(value)
    return _VALUES.get(text, text)


def _number(value: float) -> str:
    value = round(value, 6)  # float noise such as 0.30000000000000004 is not a change anyone made
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(str(value)).normalize(), "f")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _clip_pair(a: str, b: str, keep: int = 20, limit: int = 120) -> tuple[str, str]:
    """Long texts that differ in a small part: show only the differing part with a little context."""
    if len(a) <= limit and len(b) <= limit:
        return a, b
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    lo = max(0, start - keep)

    def cut(s: str) -> str:
        hi = len(s) - max(0, end - keep)
        return ("……" if lo else "") + s[lo:hi] + ("……" if hi < len(s) else "")

    return cut(a), cut(b)


# --- scores -----------------------------------------------------------------------------------


def score_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[Change, ...]:
    """Changed item scores and hard items, changed base/bonus, and always 总分 and 结论."""
    if not old or not new:
        return ()
    titles = _item_titles(str(new.get("rubric") or ""))
    old_items = {i["id"]: i for i in old.get("items", [])}
    new_items = {i["id"]: i for i in new.get("items", [])}
    out = []
    for item_id in [*new_items, *(k for k in old_items if k not in new_items)]:
        a, b = _item_value(old_items.get(item_id)), _item_value(new_items.get(item_id))
        if a != b:
            title = titles.get(item_id, "")
            out.append(Change(f"items.{item_id}", f"{item_id} {title}".strip(), a, b))
    old_vetoes = {v["id"]: v for v in old.get("vetoes", [])}
    for v in new.get("vetoes", []):
        a, b = _veto_value(old_vetoes.get(v["id"])), _veto_value(v)
        if a != b:
            out.append(Change(f"vetoes.{v['id']}", f"硬性指标 {v['id']}", a, b))
    for key, name, always in (("base", "基本分", False), ("bonus", "附加分", False), ("total", "总分", True)):
        a, b = show(old.get(key)), show(new.get(key))
        if always or a != b:
            out.append(Change(key, name, a, b))
    out.append(Change("verdict", "结论", show(old.get("verdict")), show(new.get("verdict"))))
    return tuple(out)


def _item_value(item: dict[str, Any] | None) -> str:
    if item is None:
        return EMPTY
    if item.get("source") == "na":
        return "不适用"
    suffix = "（核定）" if item.get("source") == "evaluated" else ""
    return show(item.get("score")) + suffix


def _veto_value(veto: dict[str, Any] | None) -> str:
    if veto is None or not veto.get("applies", True):
        return "不适用"
    met = veto.get("met")
    return "未填写" if met is None else "满足" if met else "不满足"


def _item_titles(rubric_id: str) -> dict[str, str]:
    try:
        from wufei_docs.scoring.rubric import load_rubric

        rubric = load_rubric(rubric_id)
    except Exception:  # an unknown rubric only costs the titles
        return {}
    return {i.id: i.title for i in rubric.items}


def _manifest_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[Change, ...]:
    out = []
    for key, name in _MANIFEST.items():
        if key in old or key in new:
            a, b = old.get(key), new.get(key)
            if a != b and not isinstance(a, dict | list) and not isinstance(b, dict | list):
                out.append(Change(key, name, show(a), show(b)))
            elif a != b:
                out.append(Change(key, name, "（原设置）", "（已变化）"))
    return tuple(out)


# --- the note ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """Everything the 修改说明 says about one new version."""

    unit: str
    uscc: str
    version: int
    previous: int
    archived_to: str  # where the previous version's files are now, relative to the package folder
    date: str
    changes: Changes
    since_final: tuple[int, str, Changes] | None = None  # (final version, its date, changes since it)


def _sections(rev: Revision) -> list[tuple[str, list[str] | None, list[Change] | None, str]]:
    """The note as (heading, plain lines, table rows, table header kind) — shared by .txt and .docx."""
    c = rev.changes
    out: list[tuple[str, list[str] | None, list[Change] | None, str]] = []
    if not c.comparable:
        out.append(("一、数据变化", ["上一版本未保存数据快照，无法逐项比较；请对照历史版本中的文件。"], None, ""))
    elif c.fields:
        out.append((f"一、数据变化（{len(c.fields)} 项）", None, list(c.fields), "field"))
    else:
        out.append(("一、数据变化", ["申报数据没有变化。"], None, ""))
    totals = {x.path: x.new for x in c.scores}
    if any(x.old != x.new for x in c.scores):
        out.append(("二、得分变化", None, list(c.scores), "score"))
    elif c.scores:
        same = f"得分没有变化（总分 {totals.get('total')}，结论 {totals.get('verdict')}）。"
        out.append(("二、得分变化", [same], None, ""))
    else:
        out.append(("二、得分变化", ["无得分数据可比较。"], None, ""))
    lines = [f"{kind}：{'、'.join(names)}" for kind, names in c.files.items() if names]
    lines += [f"{x.label}：{x.old} → {x.new}" for x in c.other]
    out.append(("三、文件及其他变化", lines or ["无。"], None, ""))
    if rev.since_final:
        version, date, since = rev.since_final
        final = f"定稿（第 {version} 版，{date} 定稿报送）"
        if since.fields:
            out.append((f"四、与{final}相比的数据变化（{len(since.fields)} 项）", None, list(since.fields), "field"))
        else:
            out.append((f"四、与{final}相比的数据变化", ["没有变化。"], None, ""))
        changed = [x for x in since.scores if x.old != x.new]
        out.append(("五、与定稿相比的得分变化", None if changed else ["没有变化。"], changed or None, "score"))
    return out


def _intro(rev: Revision) -> list[str]:
    who = f"单位：{rev.unit}" + (f"（统一社会信用代码 {rev.uscc}）" if rev.uscc else "")
    return [
        *([who] if rev.unit else []),
        f"本版本：第 {rev.version} 版（{rev.date} 生成）",
        f"上一版本：第 {rev.previous} 版，原文件保存在 {rev.archived_to}/",
        f"{rev.changes.summary()}；变化前后的值逐项列出如下。",
    ]


def note_text(rev: Revision) -> str:
    """The 修改说明 as plain text (same content as the .docx)."""
    lines = ["修改说明", "", *_intro(rev)]
    for head, plain, rows, kind in _sections(rev):
        lines += ["", head]
        lines += [f"  {p}" for p in plain or []]
        for n, row in enumerate(rows or [], 1):
            prefix = f"  {n}. " if kind == "field" else "  "
            lines.append(f"{prefix}{row.label}：{row.old} → {row.new}" + ("（未变）" if row.old == row.new else ""))
    return "\n".join(lines) + "\n"


def note_context(rev: Revision) -> dict[str, Any]:
    """The view model of templates/修改说明.docx (the same sentences as note_text)."""
    headers = {"field": ["字段", "原值", "新值"], "score": ["项目", "原得分", "新得分"]}
    return {
        "intro": _intro(rev),
        "sections": [
            {
                "head": head,
                "lines": plain or [],
                "header": headers.get(kind, ["", "", ""]),
                "rows": [{"label": r.label, "old": r.old, "new": r.new} for r in rows or []],
            }
            for head, plain, rows, kind in _sections(rev)
        ],
    }


def note_docx(rev: Revision) -> bytes:
    """The 修改说明 as a .docx from the built-in template (A4, GB/T 9704 margins and fonts), rendered by
    the cached engine like every other document."""
    from wufei_docs.render.engine import render_docx
    from wufei_docs.render.templates import REVISION_NOTE, builtin_dir

    return render_docx(builtin_dir() / REVISION_NOTE, note_context(rev))
