"""The enterprise form: built from the model's fields and the rubric, read back into YAML-shaped data.

A form *state* is the enterprise data (FORMAT.md §1) with `waste.years` as a list of rows (so a blank
year can be added). `sections(state, rubric)` lays the form out; every field names the validation path
whose messages it shows (`unit.contact.email`, `waste.streams[0].code`, `items.A1.1.score`, …), so the
problems `validate` reports land beside the field they are about. `read_form` turns posted fields back
into a state and `to_data` into the data that validation, scoring and the saved YAML see.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "wufei/enterprise-1"
OWNERSHIPS = ("国有", "集体", "民营", "中外合资", "港澳台", "外商独资")
NUMBER_KINDS = ("int", "number")
YEAR_FIELDS = (
    ("output_value", "工业总产值（万元）"),
    ("general_t", "一般工业固废（吨）"),
    ("hazardous_t", "危险废物（吨）"),
)
STREAM_FIELDS = (
    ("name", "名称", "text"),
    ("kind", "类别", "select"),
    ("code", "危险废物代码", "text"),
    ("node", "产生节点", "text"),
    ("generated_t", "产生量（吨）", "number"),
    ("utilized_t", "利用量", "number"),
    ("disposed_t", "处置量", "number"),
    ("stored_t", "贮存量", "number"),
    ("destination", "去向（接收单位）", "text"),
    ("method", "利用处置方式", "text"),
)
ROWS = {"years", "streams", "evidence"}
EVIDENCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,19}")  # an evidence id (model.py) usable as a file name


@dataclass
class Field:
    name: str  # the form input's name
    label: str
    kind: str  # text · textarea · int · number · date · select · roles · email · tel
    value: Any
    err: str  # validation path whose messages show beside this field
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    hint: str = ""
    wide: bool = False


@dataclass
class Group:
    title: str
    fields: list[Field]
    err: str  # messages about the group as a whole (a stream row, an item)
    remove: str | None = None  # "streams:2": the button that removes this row
    note: str = ""  # e.g. 满分 and how the item is scored
    item: str | None = None  # rubric item id


@dataclass
class Section:
    id: str
    title: str
    groups: list[Group]
    err: str
    add: str | None = None  # "streams": the button that adds a row
    table: bool = False  # rows shown as a table


@dataclass
class Layout:
    sections: list[Section] = field(default_factory=list)

    def paths(self) -> list[str]:
        """Every place a message can be shown, most specific last."""
        out = []
        for s in self.sections:
            out.append(s.err)
            for g in s.groups:
                out.append(g.err)
                out += [f.err for f in g.fields]
        return list(dict.fromkeys(p for p in out if p))


# --- state <-> data ------------------------------------------------------------------------------------


def state_from_data(data: Any) -> dict[str, Any]:
    """Plain data of a file (possibly not valid yet) → form state."""
    state: dict[str, Any] = _plain(data) if isinstance(data, Mapping) else {}
    waste = mapping(state.get("waste"))
    state["waste"] = waste
    years = waste.get("years")
    if isinstance(years, dict):
        waste["years"] = [{"year": k, **(v if isinstance(v, dict) else {})} for k, v in years.items()]
    elif not isinstance(years, list):
        waste["years"] = []
    for key in ("streams",):
        if not isinstance(waste.get(key), list):
            waste[key] = []
    if not isinstance(state.get("evidence"), list):
        state["evidence"] = []
    return state


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping (data not validated yet may hold anything), else an empty one."""
    return value if isinstance(value, dict) else {}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {(k if isinstance(k, int) else str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_data(state: dict[str, Any]) -> dict[str, Any]:
    """Form state → enterprise data: years back to a mapping, blanks dropped."""
    data: dict[str, Any] = _drop_blank(_plain(state))
    waste = data.get("waste")
    if isinstance(waste, dict) and isinstance(waste.get("years"), list):
        years: dict[Any, Any] = {}
        for row in waste["years"]:
            row = dict(row)
            key = row.pop("year", None)
            years[key if key is not None else ""] = row
        waste["years"] = years
    return data


def _drop_blank(value: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _drop_blank(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if not _blank(v) or k == "roles"}
    if isinstance(value, list):
        return [v for v in (_drop_blank(v) for v in value) if not _blank(v)]
    return value


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


# --- reading a posted form -----------------------------------------------------------------------------

_INDEXED = re.compile(r"^(waste\.years|waste\.streams|evidence)\[(\d{1,4})\]\.(\w+)$")
_KINDS: dict[str, str] = {
    "unit.area_m2": "number",
    "unit.staff": "int",
    "waste.manifests.total": "int",
    "waste.manifests.electronic": "int",
    **{f"waste.years.{k}": "number" for k, _ in YEAR_FIELDS},
    "waste.years.year": "int",
    **{f"waste.streams.{k}": kind for k, _, kind in STREAM_FIELDS},
}


def read_form(pairs: Iterable[tuple[str, str]], rubric: Any) -> dict[str, Any]:
    """Posted (name, value) pairs → form state. Unknown names are ignored (never become fields)."""
    state: dict[str, Any] = {"format": FORMAT, "rubric": rubric.id, "unit": {}, "application": {}}
    rows: dict[str, dict[int, dict[str, Any]]] = {"waste.years": {}, "waste.streams": {}, "evidence": {}}
    roles: list[str] = []
    items = {i.id for i in rubric.items}
    hard = {h.id for h in rubric.hard_items}
    for name, raw in pairs:
        value = raw.strip() if isinstance(raw, str) else ""
        if name == "unit.roles":
            if value in rubric.roles:
                roles.append(value)
            continue
        m = _INDEXED.match(name)
        if m:
            table, index, key = m.group(1), int(m.group(2)), m.group(3)
            rows[table].setdefault(index, {})[key] = _typed(f"{table}.{key}", value)
            continue
        parts = name.split(".")
        if parts[0] == "items" and len(parts) == 4 and f"{parts[1]}.{parts[2]}" in items:
            _set(state, ["items", f"{parts[1]}.{parts[2]}", parts[3]], _item_value(parts[3], value))
        elif parts[0] == "compliance" and len(parts) == 3 and parts[1] in hard and parts[2] in ("met", "note"):
            _set(state, parts, _bool(value) if parts[2] == "met" else value)
        elif name in _SIMPLE:
            _set(state, parts, _bool(value) if name == "unit.soil_key_unit" else _typed(name, value))
    state["unit"]["roles"] = roles
    waste = state.setdefault("waste", {})
    waste["years"] = [rows["waste.years"][i] for i in sorted(rows["waste.years"])]
    waste["streams"] = [rows["waste.streams"][i] for i in sorted(rows["waste.streams"])]
    state["evidence"] = [rows["evidence"][i] for i in sorted(rows["evidence"])]
    return state


def _set(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for p in parts[:-1]:
        target = target.setdefault(p, {})
    target[parts[-1]] = value


def _typed(name: str, value: str) -> Any:
    kind = _KINDS.get(name)
    if kind not in NUMBER_KINDS or value == "":
        return value
    try:
        number = float(value)
    except ValueError:
        return value  # validation says "应为数字"
    if kind == "int" and number.is_integer() and "." not in value:
        return int(number)
    return int(number) if number.is_integer() and kind == "number" and abs(number) < 1e15 else number


def _bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


def _item_value(key: str, value: str) -> Any:
    if key == "score":
        return _typed("unit.area_m2", value)
    if key == "evidence":
        return [v for v in re.split(r"[\s,，、;；]+", value) if v]
    return value


# --- the layout ----------------------------------------------------------------------------------------


def _v(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_v(v) for v in value)
    return str(value)


def _get(state: Mapping[str, Any], path: str) -> Any:
    node: Any = state
    for p in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(p)
    return node


_UNIT = (
    ("unit.name", "单位全称", "text", "与营业执照一致"),
    ("unit.uscc", "统一社会信用代码", "text", "18 位"),
    ("unit.address", "详细地址", "text", ""),
    ("unit.county", "所在县（市、区）", "select", ""),
    ("unit.area_m2", "占地面积（平方米）", "number", ""),
    ("unit.staff", "单位规模（职工人数）", "int", ""),
    ("unit.head.name", "负责人姓名", "text", ""),
    ("unit.head.phone", "负责人联系方式", "tel", "如 0797-8888888"),
    ("unit.contact.name", "联系人姓名", "text", ""),
    ("unit.contact.mobile", "联系人手机号码", "tel", ""),
    ("unit.contact.email", "联系人电子邮箱", "email", ""),
    ("unit.roles", "单位类型", "roles", "可多选"),
    ("unit.soil_key_unit", "土壤污染重点监管单位", "select", "决定 D2.2 是否适用"),
    ("unit.legal_rep", "法定代表人", "text", "选填"),
    ("unit.industry.code", "所属行业代码", "text", "选填，如 C3240"),
    ("unit.industry.name", "所属行业名称", "text", "选填"),
    ("unit.ownership", "单位性质", "select", "选填"),
    ("unit.founded", "成立日期", "date", "选填"),
    ("unit.postcode", "邮政编码", "text", "选填"),
    ("unit.products", "主导产品", "text", "选填"),
    ("unit.profile", "单位简介", "textarea", "选填，可多段"),
)
_APPLICATION = (
    ("application.type", "建设申报类型", "text", ""),
    ("application.date", "申报日期", "date", ""),
    ("application.summary", "主要工作", "textarea", "附件2“主要工作”及申报书正文，可多段"),
)
_SIMPLE = {p for p, *_ in (*_UNIT, *_APPLICATION)} | {"waste.manifests.total", "waste.manifests.electronic"}


def _field(state: Mapping[str, Any], path: str, label: str, kind: str, hint: str, rubric: Any) -> Field:
    options: tuple[tuple[str, str], ...] = ()
    value = _get(state, path)
    if path == "unit.county":
        options = (("", "请选择"), *((c, c) for c in rubric.counties))
    elif path == "unit.soil_key_unit":
        options = (("", "请选择"), ("true", "是"), ("false", "否"))
    elif path == "unit.ownership":
        options = (("", "（不填）"), *((o, o) for o in OWNERSHIPS))
    elif path == "unit.roles":
        options = tuple(rubric.roles.items())
        value = list(value) if isinstance(value, list) else []
        return Field(path, label, kind, value, path, options, hint)
    return Field(path, label, kind, _v(value), path, options, hint, wide=kind == "textarea")


def sections(state: dict[str, Any], rubric: Any) -> Layout:
    layout = Layout()
    unit = [_field(state, p, label, kind, hint, rubric) for p, label, kind, hint in _UNIT]
    layout.sections.append(Section("unit", "单位信息", [Group("", unit, "unit")], "unit"))
    app = [_field(state, p, label, kind, hint, rubric) for p, label, kind, hint in _APPLICATION]
    layout.sections.append(Section("application", "申报信息", [Group("", app, "application")], "application"))
    layout.sections.append(_hard_section(state, rubric))
    layout.sections += _waste_sections(state)
    layout.sections += _item_sections(state, rubric)
    layout.sections.append(_evidence_section(state))
    return layout


def _hard_section(state: dict[str, Any], rubric: Any) -> Section:
    groups = []
    for h in rubric.hard_items:
        who = "所有单位" if h.applies_to == "all" else rubric.roles.get(h.applies_to, h.applies_to)
        base = f"compliance.{h.id}"
        met = _get(state, f"{base}.met")
        fields = [
            Field(f"{base}.met", "是否满足", "select", _v(met), f"{base}.met",
                  (("", "未填写"), ("true", "满足"), ("false", "不满足（一票否决）"))),
            Field(f"{base}.note", "说明", "text", _v(_get(state, f"{base}.note")), f"{base}.note", wide=True),
        ]  # fmt: skip
        groups.append(Group(f"{h.id} {h.title}", fields, base, note=f"适用：{who}"))
    return Section("compliance", "硬性指标（合规性要求，不满足一票否决）", groups, "compliance")


def _waste_sections(state: dict[str, Any]) -> list[Section]:
    waste = state.get("waste") or {}
    year_groups = []
    for i, row in enumerate(waste.get("years") or []):
        row = row if isinstance(row, dict) else {}
        err = f"waste.years.{_v(row.get('year'))}"
        fields = [Field(f"waste.years[{i}].year", "年度", "int", _v(row.get("year")), err)]
        fields += [
            Field(f"waste.years[{i}].{k}", label, "number", _v(row.get(k)), f"{err}.{k}") for k, label in YEAR_FIELDS
        ]
        year_groups.append(Group("", fields, "", remove=f"years:{i}"))
    years = Section(
        "years",
        "年度数据（至少最近两个完整年度，用于计算产生强度 A1.6）",
        year_groups,
        "waste.years",
        add="years",
        table=True,
    )
    stream_groups = []
    for i, row in enumerate(waste.get("streams") or []):
        row = row if isinstance(row, dict) else {}
        base = f"waste.streams[{i}]"
        fields = []
        for k, label, kind in STREAM_FIELDS:
            options = (("hazardous", "危险废物"), ("general", "一般工业固废")) if k == "kind" else ()
            fields.append(Field(f"{base}.{k}", label, kind, _v(row.get(k)), f"{base}.{k}", options))
        stream_groups.append(Group(f"第 {i + 1} 行", fields, base, remove=f"streams:{i}"))
    streams = Section(
        "streams", "固体废物台账（最近一年，每种固体废物一行）", stream_groups, "waste.streams", add="streams"
    )
    manifests = Section(
        "manifests",
        "转移联单（A3.1）",
        [
            Group(
                "",
                [
                    Field("waste.manifests.total", "联单总数", "int", _v(_get(state, "waste.manifests.total")), "waste.manifests.total"),
                    Field("waste.manifests.electronic", "其中电子联单数", "int", _v(_get(state, "waste.manifests.electronic")), "waste.manifests.electronic"),
                ],
                "waste.manifests",
            )
        ],
        "waste",
    )  # fmt: skip
    return [years, streams, manifests]


def _item_sections(state: dict[str, Any], rubric: Any) -> list[Section]:
    out = []
    items = mapping(state.get("items"))
    for cat in rubric.categories:
        groups = []
        for item in cat.items:
            claim = mapping(items.get(item.id))
            base = f"items.{item.id}"
            fields = [
                Field(
                    f"{base}.score", f"自评分（满分 {item.max:g}）", "number", _v(claim.get("score")), f"{base}.score"
                )
            ]
            if not item.bonus:
                na = _v(claim.get("na"))
                fields.append(Field(f"{base}.na", "不适用理由", "text", na, f"{base}.na", hint="合理缺项时填写"))
            evidence = _v(claim.get("evidence"))
            fields.append(
                Field(f"{base}.evidence", "支撑材料编号", "text", evidence, f"{base}.evidence", hint="如 E01, E02")
            )
            note = _v(claim.get("note"))
            fields.append(Field(f"{base}.note", "说明", "textarea", note, f"{base}.note", wide=True))
            how = []
            if item.rule:
                how.append("由填报数据自动计算")
            if item.applies_if:
                how.append(f"仅{item.applies_label or item.applies_if}适用")
            note = f"满分 {item.max:g}" + (f" · {'，'.join(how)}" if how else "")
            groups.append(Group(f"{item.id} {item.title}", fields, base, note=note, item=item.id))
        label = "附加分" if cat.bonus else "分"
        out.append(Section(f"cat-{cat.id}", f"{cat.id} {cat.name}（{cat.max:g} {label}）", groups, ""))
    if out:
        out[0].err = "items"
    return out


def _evidence_section(state: dict[str, Any]) -> Section:
    groups = []
    for i, row in enumerate(state.get("evidence") or []):
        row = row if isinstance(row, dict) else {}
        base = f"evidence[{i}]"
        fields = [
            Field(f"{base}.id", "编号", "text", _v(row.get("id")), f"{base}.id"),
            Field(f"{base}.title", "材料名称", "text", _v(row.get("title")), f"{base}.title"),
            Field(f"{base}.file", "文件（相对路径，选填）", "text", _v(row.get("file")), f"{base}.file"),
        ]
        groups.append(Group("", fields, base, remove=f"evidence:{i}"))
    return Section("evidence", "支撑材料清单", groups, "evidence", add="evidence", table=True)


# --- adding and removing rows ----------------------------------------------------------------------------


def add_row(state: dict[str, Any], what: str) -> None:
    waste = state.setdefault("waste", {})
    if what == "years":
        years = waste.setdefault("years", [])
        latest = max((r.get("year") for r in years if isinstance(r.get("year"), int)), default=dt.date.today().year - 2)
        years.append({"year": latest + 1})
    elif what == "streams":
        waste.setdefault("streams", []).append({"kind": "hazardous"})
    elif what == "evidence":
        evidence = state.setdefault("evidence", [])
        evidence.append({"id": f"E{len(evidence) + 1:02d}"})


def remove_row(state: dict[str, Any], spec: str) -> None:
    what, _, index = spec.partition(":")
    if what not in ROWS or not index.isdigit():
        return
    rows = state.get("evidence") if what == "evidence" else (state.get("waste") or {}).get(what)
    if isinstance(rows, list) and int(index) < len(rows):
        del rows[int(index)]


# --- messages ---------------------------------------------------------------------------------------------


def place_messages(problems: Iterable[tuple[str, str]], paths: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each (path, message) goes to the most specific place that shows it; the rest are general."""
    placed: dict[str, list[str]] = {p: [] for p in paths}
    general = []
    ranked = sorted(paths, key=len, reverse=True)
    for path, message in problems:
        if path in placed:
            placed[path].append(message)
            continue
        children = [p for p in paths if path and p.startswith((path + ".", path + "[")) and _leaf(p, paths)]
        if children:  # a whole object missing (unit.head): said beside each of its fields
            for child in children:
                placed[child].append(message)
            continue
        home = next((p for p in ranked if path.startswith((p + ".", p + "["))), None)
        if home is None:
            general.append(f"{path}: {message}" if path else message)
        else:
            placed[home].append(message)
    return placed, general


def _leaf(path: str, paths: list[str]) -> bool:
    return not any(p.startswith((path + ".", path + "[")) for p in paths)


def dom_id(path: str) -> str:
    """An element id for a path (letters and digits only, so any selector finds it)."""
    return "m-" + "".join(c if c.isalnum() and c.isascii() else f"_{ord(c):x}" for c in path)
