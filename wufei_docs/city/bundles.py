"""Reading a county bundle (folder or zip) for import: `bundle.json`, checked, and the files it lists.

The contract is docs/BUNDLE.md. Where the bytes come from (folder or zip, never extracted) is `sources`;
here bundle.json is parsed (size and nesting depth checked first) and held to its contract; what the
data must mean (scores, verdicts, counties, dates, file hashes) is checked by `checks`.
Unknown keys are tolerated (a newer `wufei bundle` may add some); missing or mistyped ones are errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wufei_docs.city.sources import BUNDLE_JSON, Source, open_source, shorten, unsafe_member
from wufei_docs.errors import InputError, Problem

BUNDLE_FORMAT = "wufei/bundle-1"
MAX_TEXT = 200  # one-line texts: names, counties, verdicts
MAX_DEPTH = 32  # nesting of bundle.json (a real one has 4): deeper is refused before parsing, never recursed
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Entry:
    """One enterprise line of bundle.json."""

    uscc: str
    name: str
    county: str
    folder: str | None
    self_total: float | None
    evaluated_total: float | None
    verdict: str | None
    recommended: bool
    reason: str | None
    files: dict[str, str]
    self_verdict: str | None = None
    received: str | None = None  # as written in bundle.json: checked as dates by `checks`
    evaluated: str | None = None
    index: int = 0  # position in bundle.json's enterprises

    @property
    def label(self) -> str:
        return f"{self.name}（{self.uscc}）"


@dataclass(frozen=True)
class Bundle:
    """What import needs from one bundle: where it is, who sent it, and its enterprises."""

    path: Path  # the folder or zip, absolute
    prefix: str  # folder inside the zip holding bundle.json ("" at the root or for folders)
    sha256: str  # of the bundle.json bytes: identifies the bundle whatever its location
    format: str
    tool_version: str | None
    rubric: str
    county: str
    evaluators: tuple[str, ...]
    date: dt.date
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Parsed:
    """bundle.json read and held to its contract: the Bundle (None when it cannot be read further), the raw
    data, the problems so far, and the source (to hash the files it lists)."""

    where: Path
    bundle: Bundle | None
    data: dict[str, Any]
    checker: Checker
    source: Source


def parse_bundle(path: Path) -> Parsed:
    """Read bundle.json from a bundle folder or zip and check its structure (not yet what it claims)."""
    path = Path(path)
    if path.is_file() and path.name == BUNDLE_JSON:
        path = path.parent
    source = open_source(path)
    sha = hashlib.sha256(source.raw).hexdigest()
    where = path / BUNDLE_JSON if path.is_dir() else path
    data = _parse_json(where, source.raw)
    c = Checker()
    bundle = _check(c, path.resolve(), source.prefix, sha, data)
    return Parsed(where, bundle, data, c, source)


def safe_relative(name: str) -> bool:
    """A relative path from bundle.json (package folder, file name) that stays inside the bundle."""
    return isinstance(name, str) and not unsafe_member(name) and not name.endswith("/")


def _parse_json(path: Path, raw: bytes) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        dup = next((k for k in keys if keys.count(k) > 1), None)
        if dup is not None:
            raise ValueError(f"键 “{dup}” 重复")
        return dict(pairs)

    def no_constants(name: str) -> Any:
        raise ValueError(f"不支持的数值 {name}")

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, f"{BUNDLE_JSON} 不是 UTF-8 编码") from None
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise InputError(
            path,
            f"{BUNDLE_JSON} 的嵌套层数过深（{depth} 层，上限 {MAX_DEPTH} 层），不是 wufei bundle 生成的内容，拒绝读取",
        )
    try:
        data = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except json.JSONDecodeError as e:
        raise InputError(path, f"{BUNDLE_JSON} 第{e.lineno}行：JSON 格式错误（{e.msg}）") from None
    except ValueError as e:  # our hooks' Chinese messages; Python's digit limit is English
        said = str(e) if re.search("[\u4e00-\u9fff]", str(e)) else "含有位数过多的数字或无效的值"
        raise InputError(path, f"{BUNDLE_JSON}：{said}") from None
    where = _bad_text(data, "")
    if where is not None:
        raise InputError(
            path, f"{BUNDLE_JSON} {where or '(根)'}：含有控制字符或无效的 Unicode 字符（不是 wufei bundle 生成的内容）"
        )
    return data


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: linear and fast
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def nesting_depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings, found without recursion (json.loads and any walk of
    its result would recurse once per level)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _bad_text(value: Any, where: str) -> str | None:
    """The path of the first string (key or value) that no enterprise file could have produced: control
    characters or lone surrogates (`"\\ud800"` in JSON), which the register and the documents cannot hold."""
    if isinstance(value, str):
        return where if _BAD_CHARS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if _BAD_CHARS.search(key):
                return shorten(here)
            found = _bad_text(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _bad_text(item, f"{where}[{i}]")
            if found is not None:
                return found
    return None


# ---- checking the contract -------------------------------------------------------------------------


class Checker:
    """Collects located problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.who = ""  # the enterprise being checked, named in each problem

    def add(self, where: str, message: str, who: str | None = None) -> None:
        self.problems.append(Problem(where, message, self.who if who is None else who))

    def text(self, d: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
        value = d.get(key)
        if value is None and optional and key in d:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}{key}", "缺少或不是文字" if key not in d else "应为非空文字")
            return None
        if any(c in value for c in "\n\r\t\u2028\u2029") or len(value) > MAX_TEXT:
            self.add(f"{where}{key}", f"应为一行文字（不超过 {MAX_TEXT} 字）")
            return None
        return value.strip()

    def number(self, d: dict[str, Any], key: str, where: str) -> float | None:
        if key not in d:
            self.add(f"{where}{key}", "缺少此项")
            return None
        value = d[key]
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            self.add(f"{where}{key}", "应为分数（数字）或 null")
            return None
        return float(value)


def _check(c: Checker, path: Path, prefix: str, sha: str, data: Any) -> Bundle | None:
    """The contract's structure; None (with the problems in `c`) when the bundle cannot be read further."""
    source = path / BUNDLE_JSON if not prefix and path.is_dir() else path
    if not isinstance(data, dict):
        raise InputError(source, f"{BUNDLE_JSON} 应为 JSON 对象")
    fmt = data.get("format")
    if fmt != BUNDLE_FORMAT:
        raise InputError(source, f"format: 应为 “{BUNDLE_FORMAT}”，实际为 “{fmt}”（不是本工具能读取的推荐包）")
    rubric_id = c.text(data, "rubric", "")
    county = c.text(data, "county", "")
    if rubric_id:
        _check_rubric(c, rubric_id, county)
    date = _date(c, data.get("date"), "date")
    evaluators = data.get("evaluators", [])
    if not isinstance(evaluators, list) or not all(isinstance(e, str) for e in evaluators):
        c.add("evaluators", "应为文字列表")
        evaluators = []
    raw_entries = data.get("enterprises")
    if not isinstance(raw_entries, list):
        c.add("enterprises", "缺少或不是列表")
        raw_entries = []
    entries = [e for i, raw in enumerate(raw_entries) if (e := _entry(c, raw, i))]
    _duplicates(c, entries)
    if not (county and rubric_id and date) or len(entries) < len(raw_entries):
        return None
    tool_version = data.get("tool_version")
    return Bundle(
        path=path,
        prefix=prefix,
        sha256=sha,
        format=fmt,
        tool_version=tool_version if isinstance(tool_version, str) else None,
        rubric=rubric_id,
        county=county,
        evaluators=tuple(evaluators),
        date=date,
        entries=tuple(entries),
    )


def _check_rubric(c: Checker, rubric_id: str, county: str | None) -> None:
    from wufei_docs.scoring.rubric import load_rubric

    try:
        rubric = load_rubric(rubric_id)
    except InputError:
        c.add("rubric", f"未知的评价指标 “{rubric_id}”")
        return
    if county and county not in rubric.counties:
        c.add("county", f"“{county}” 不是{rubric.title}所列的县（市、区）")


def _date(c: Checker, value: Any, where: str) -> dt.date | None:
    if not isinstance(value, str):
        c.add(where, "缺少日期（应为 YYYY-MM-DD）")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        c.add(where, f"“{shorten(value)}” 不是有效日期（应为 YYYY-MM-DD）")
        return None


def _entry(c: Checker, raw: Any, index: int) -> Entry | None:
    where = f"enterprises[{index}]."
    if not isinstance(raw, dict):
        c.add(where.rstrip("."), "应为 JSON 对象")
        return None
    c.who = entry_label(raw)
    try:
        return _entry_fields(c, raw, where, index)
    finally:
        c.who = ""


def entry_label(raw: dict[str, Any]) -> str:
    """“名称（代码）” of an enterprise line as written, to say which enterprise a problem is about."""
    name, code = raw.get("name"), raw.get("uscc")
    name = shorten(name, 40) if isinstance(name, str) and name.strip() else "（无名称）"
    return f"{name}（{shorten(code, 24)}）" if isinstance(code, str) else name


def _entry_fields(c: Checker, raw: dict[str, Any], where: str, index: int) -> Entry | None:
    before = len(c.problems)
    uscc = _uscc(c, raw.get("uscc"), f"{where}uscc")
    name = c.text(raw, "name", where)
    county = c.text(raw, "county", where)
    folder = raw.get("folder")
    if folder is not None and not safe_relative(folder):
        c.add(f"{where}folder", "应为推荐包内的相对路径（不能含 .. 或以 / 开头）")
    recommended = raw.get("recommended")
    if not isinstance(recommended, bool):
        c.add(f"{where}recommended", "应为 true 或 false")
    verdict = c.text(raw, "verdict", where, optional=True)
    self_verdict = c.text(raw, "self_verdict", where, optional=True) if "self_verdict" in raw else None
    reason = raw.get("reason") if isinstance(raw.get("reason"), str) else None
    self_total, evaluated = c.number(raw, "self_total", where), c.number(raw, "evaluated_total", where)
    if recommended is True and evaluated is None and "evaluated_total" in raw:
        c.add(f"{where}evaluated_total", "推荐的单位应有核定分")
    files = _files(c, raw.get("files", {}), f"{where}files")
    if len(c.problems) > before:
        return None
    assert uscc and name and county and isinstance(recommended, bool)
    received, evaluated_on = (raw.get(k) if isinstance(raw.get(k), str) else None for k in ("received", "evaluated"))
    return Entry(uscc, name, county, folder, self_total, evaluated, verdict, recommended, reason, files,
                 self_verdict, received, evaluated_on, index)  # fmt: skip


def _uscc(c: Checker, value: Any, where: str) -> str | None:
    from wufei_docs._uscc import UsccError, validate

    if not isinstance(value, str):
        c.add(where, "缺少统一社会信用代码")
        return None
    try:
        return validate(value.strip().upper())
    except UsccError:
        c.add(where, f"“{shorten(value)}” 不是有效的统一社会信用代码")
        return None


def _files(c: Checker, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        c.add(where, "应为 文件名 → sha256 的对象")
        return {}
    files: dict[str, str] = {}
    for name, digest in value.items():
        if not safe_relative(name):
            c.add(where, f"文件名 “{shorten(str(name))}” 不安全")
        elif not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            c.add(f"{where}.{name}", "应为 64 位十六进制 sha256")
        else:
            files[name] = digest
    return files


def _duplicates(c: Checker, entries: list[Entry]) -> None:
    seen: set[str] = set()
    for e in entries:
        if e.uscc in seen:
            c.add("enterprises", f"统一社会信用代码 {e.uscc} 出现了多次")
        seen.add(e.uscc)
