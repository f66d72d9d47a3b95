"""Reading a county bundle (folder or zip) for import: only `bundle.json` is read, and checked.

The contract is docs/BUNDLE.md. A zip is never extracted: its member names are checked, bundle.json is
read with a size and compression-ratio limit, and package folders are only looked up in the listing.
Unknown keys are tolerated (a newer `wufei bundle` may add some); missing or mistyped ones are errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wufei_docs.errors import InputError, Problem, os_reason

BUNDLE_FORMAT = "wufei/bundle-1"
BUNDLE_JSON = "bundle.json"
MAX_JSON_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 50_000
MAX_RATIO = 200  # uncompressed / compressed size of bundle.json
MAX_NAME = 1024
MAX_TEXT = 200  # one-line texts: names, counties, verdicts
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
    missing: tuple[str, ...]  # package folders/files named in bundle.json but absent


def read_bundle(path: Path) -> Bundle:
    """Read and check one bundle; raise InputError listing every problem."""
    path = Path(path)
    if path.is_file() and path.name == BUNDLE_JSON:
        path = path.parent
    if path.is_dir():
        raw, prefix, exists = _from_folder(path)
    elif path.is_file():
        raw, prefix, exists = _from_zip(path)
    else:
        raise InputError(path, "找不到推荐包（应为 wufei bundle 生成的文件夹或 zip 文件）")
    sha = hashlib.sha256(raw).hexdigest()
    data = _parse_json(path, raw)
    return _check(path.resolve(), prefix, sha, data, exists)


def _from_folder(folder: Path) -> tuple[bytes, str, Any]:
    target = folder / BUNDLE_JSON
    if not target.is_file():
        raise InputError(folder, f"文件夹中没有 {BUNDLE_JSON}，不是 wufei bundle 生成的推荐包")
    if target.stat().st_size > MAX_JSON_BYTES:
        raise InputError(target, f"文件过大（超过 {MAX_JSON_BYTES // 1024 // 1024} MB）")

    def exists(rel: str) -> bool:
        return (folder / rel).exists()

    return target.read_bytes(), "", exists


def _from_zip(path: Path) -> tuple[bytes, str, Any]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError(path, "不是有效的 zip 文件，也不是推荐包文件夹") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise InputError(path, f"zip 中的文件过多（{len(infos)} 个，上限 {MAX_ZIP_MEMBERS}）")
        names = [i.filename for i in infos]
        bad = [n for n in names if _unsafe_member(n)]
        if bad:
            raise InputError(path, f"zip 中有不安全的文件名（{_shorten(bad[0])}），拒绝读取")
        if len(set(names)) != len(names):
            raise InputError(path, "zip 中有重名文件，拒绝读取")
        candidates = [i for i in infos if i.filename == BUNDLE_JSON or _one_level_down(i.filename)]
        if len(candidates) != 1:
            found = "没有" if not candidates else "有多个"
            raise InputError(path, f"zip 中{found} {BUNDLE_JSON}（应在根目录或唯一的顶层文件夹中）")
        info = candidates[0]
        raw = _read_member(zf, info, path)
    prefix = info.filename[: -len(BUNDLE_JSON)]
    listing = {n.rstrip("/") for n in names}
    for name in list(listing):  # folders are often not members of their own: add every parent
        parts = name.split("/")
        listing.update("/".join(parts[:i]) for i in range(1, len(parts)))

    def exists(rel: str) -> bool:
        return (prefix + rel).rstrip("/") in listing

    return raw, prefix, exists


def _unreadable(e: Exception) -> str:
    """Why a member cannot be read, without zipfile's English text (an encrypted member's is a ZipInfo repr)."""
    if isinstance(e, RuntimeError) and "encrypted" in str(e):
        return "文件已加密（设有密码），请用 wufei bundle 重新生成推荐包"
    if isinstance(e, NotImplementedError):
        return "使用了不支持的压缩方式"
    if isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile) and e.errno:
        return os_reason(e)
    return "文件已损坏"


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """Read one member with limits that do not trust the zip's own size fields."""
    if info.file_size > MAX_JSON_BYTES:
        raise InputError(path, f"{info.filename} 过大（超过 {MAX_JSON_BYTES // 1024 // 1024} MB）")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        raise InputError(path, f"{info.filename} 的压缩比异常（可能是压缩炸弹），拒绝读取")
    try:
        with zf.open(info) as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as e:
        raise InputError(path, f"无法读取 {info.filename}：{_unreadable(e)}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise InputError(path, f"{info.filename} 过大（超过 {MAX_JSON_BYTES // 1024 // 1024} MB）")
    return raw


def _one_level_down(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[1] == BUNDLE_JSON and bool(parts[0])


def _unsafe_member(name: str) -> bool:
    """A member name that could point outside a folder or hide something (even though we never extract)."""
    if not name or len(name) > MAX_NAME or name.startswith("/") or "\\" in name:
        return True
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return True
    parts = name.rstrip("/").split("/")
    return any(p in ("", ".", "..") for p in parts) or ":" in parts[0]


def safe_relative(name: str) -> bool:
    """A relative path from bundle.json (package folder, file name) that stays inside the bundle."""
    return isinstance(name, str) and not _unsafe_member(name) and not name.endswith("/")


def _shorten(text: str, limit: int = 80) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "…"


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
        data = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except UnicodeDecodeError:
        raise InputError(path, f"{BUNDLE_JSON} 不是 UTF-8 编码") from None
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
                return _shorten(here)
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


class _Checker:
    """Collects located problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

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
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1000:
            self.add(f"{where}{key}", "应为分数（数字）或 null")
            return None
        return float(value)


def _check(path: Path, prefix: str, sha: str, data: Any, exists: Any) -> Bundle:
    source = path / BUNDLE_JSON if not prefix and path.is_dir() else path
    if not isinstance(data, dict):
        raise InputError(source, f"{BUNDLE_JSON} 应为 JSON 对象")
    c = _Checker()
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
    entries = [e for i, raw in enumerate(raw_entries) if (e := _entry(c, raw, f"enterprises[{i}]."))]
    _duplicates(c, entries)
    if c.problems:
        raise InputError(source, c.problems)
    assert county and rubric_id and date
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
        missing=tuple(_missing(entries, exists)),
    )


def _check_rubric(c: _Checker, rubric_id: str, county: str | None) -> None:
    from wufei_docs.scoring.rubric import load_rubric

    try:
        rubric = load_rubric(rubric_id)
    except InputError:
        c.add("rubric", f"未知的评价指标 “{rubric_id}”")
        return
    if county and county not in rubric.counties:
        c.add("county", f"“{county}” 不是{rubric.title}所列的县（市、区）")


def _date(c: _Checker, value: Any, where: str) -> dt.date | None:
    if not isinstance(value, str):
        c.add(where, "缺少日期（应为 YYYY-MM-DD）")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        c.add(where, f"“{_shorten(value)}” 不是有效日期（应为 YYYY-MM-DD）")
        return None


def _entry(c: _Checker, raw: Any, where: str) -> Entry | None:
    if not isinstance(raw, dict):
        c.add(where.rstrip("."), "应为 JSON 对象")
        return None
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
    reason = raw.get("reason") if isinstance(raw.get("reason"), str) else None
    self_total, evaluated = c.number(raw, "self_total", where), c.number(raw, "evaluated_total", where)
    if recommended is True and evaluated is None and "evaluated_total" in raw:
        c.add(f"{where}evaluated_total", "推荐的单位应有核定分")
    files = _files(c, raw.get("files", {}), f"{where}files")
    if len(c.problems) > before:
        return None
    assert uscc and name and county and isinstance(recommended, bool)
    return Entry(uscc, name, county, folder, self_total, evaluated, verdict, recommended, reason, files)


def _uscc(c: _Checker, value: Any, where: str) -> str | None:
    from wufei_docs.uscc import UsccError, validate

    if not isinstance(value, str):
        c.add(where, "缺少统一社会信用代码")
        return None
    try:
        return validate(value.strip().upper())
    except UsccError:
        c.add(where, f"“{_shorten(value)}” 不是有效的统一社会信用代码")
        return None


def _files(c: _Checker, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        c.add(where, "应为 文件名 → sha256 的对象")
        return {}
    files: dict[str, str] = {}
    for name, digest in value.items():
        if not safe_relative(name):
            c.add(where, f"文件名 “{_shorten(str(name))}” 不安全")
        elif not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            c.add(f"{where}.{name}", "应为 64 位十六进制 sha256")
        else:
            files[name] = digest
    return files


def _duplicates(c: _Checker, entries: list[Entry]) -> None:
    seen: set[str] = set()
    for e in entries:
        if e.uscc in seen:
            c.add("enterprises", f"统一社会信用代码 {e.uscc} 出现了多次")
        seen.add(e.uscc)


def _missing(entries: list[Entry], exists: Any) -> list[str]:
    missing: list[str] = []
    for e in entries:
        if not e.recommended or e.folder is None:
            continue
        if not exists(e.folder):
            missing.append(e.folder)
            continue
        missing += [f"{e.folder}/{name}" for name in e.files if not exists(f"{e.folder}/{name}")]
    return missing
