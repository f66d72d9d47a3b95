"""YAML reading: safe, duplicate keys rejected, aliases refused, line numbers kept for messages."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wufei_docs._raw import Loc, RawDocument, c_loader, read_text
from wufei_docs.errors import InputError, Problem

MAX_DEPTH = 40
MAX_FLOW_DEPTH = 200  # far above any real file; brackets in texts rarely stay open
_BRACKETS = re.compile(r"[\[\]{}]")


class _AliasFound(Exception):
    pass


def load_yaml(path: Path) -> RawDocument:
    text, notices = read_text(path)
    data = _fast_plain(text)
    if data is not _SLOW:
        return RawDocument(str(path), data, _lazy_lines(text, path), notices)
    tree = parse_yaml(text, path)
    data = to_plain(tree, path)
    return RawDocument(str(path), data, lambda loc: _line_of(tree, loc), notices)


_SLOW = object()


def _fast_plain(text: str) -> Any:
    """Plain data via ruamel's C parser (about 6x faster than the round-trip parser), or _SLOW.

    Only for plain documents: text with `&`, `*`, `!` or `<<` (anchors, aliases, tags, merge keys) and
    anything the C parser rejects take the round-trip path, which gives the located error messages.
    Both use the same YAML 1.2 resolver, so they return the same data (tests/test_loaders.py)."""
    if any(mark in text for mark in ("&", "*", "!", "<<", "%YAML")):
        return _SLOW
    yaml = c_loader()
    if yaml is None:
        return _SLOW
    try:
        return _plain(yaml.load(text), set(), 0)
    except Exception:  # any YAML error, duplicate key, depth: let the round-trip path explain it
        return _SLOW


def _lazy_lines(text: str, path: Path) -> Callable[[Loc], str]:
    """Line numbers are only needed for messages: parse with positions on first use."""

    @functools.cache
    def tree() -> Any:
        return parse_yaml(text, path)

    def locate(loc: Loc) -> str:
        try:
            return _line_of(tree(), loc)
        except InputError:
            return ""

    return locate


def parse_yaml(text: str, source: str | Path) -> Any:
    """Round-trip parse (keeps positions); any YAML error becomes a located InputError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    if _flow_depth(text) > MAX_FLOW_DEPTH:
        raise InputError(source, "YAML 嵌套层次过深（[ ] 或 { } 嵌套过多）")
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as e:
        raise InputError(source, [_yaml_problem(e)]) from None
    except ReaderError as e:  # a raw control character in the file (YAML allows only printable text)
        line = f"第{text[: e.position].count(chr(10)) + 1}行" if isinstance(e.position, int) else ""
        code = f"U+{e.character:04X}" if isinstance(e.character, int) else ""
        raise InputError(
            source, [Problem("", f"YAML 格式错误：含有不允许的控制字符 {code}，请删除该字符", line)]
        ) from None
    except YAMLError as e:
        raise InputError(source, f"YAML 格式错误：{e}") from None
    except RecursionError:
        raise InputError(source, "YAML 嵌套层次过深") from None
    except (ValueError, OverflowError) as e:  # ruamel builds dates while parsing: 2025-02-30 fails here
        try:  # read such values as text: validation then reports them with every other problem
            return _values_as_text().load(text)
        except Exception:
            raise InputError(source, [_bad_value(text, e)]) from None


def _values_as_text() -> Any:
    """A parser that keeps impossible dates (2025-02-30) and over-long integers (Python refuses more than
    4300 digits) as text instead of failing on the first."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class ValuesAsText(RoundTripConstructor):
        def construct_yaml_int(self, node: Any) -> Any:
            try:
                return super().construct_yaml_int(node)
            except ValueError:
                return self.construct_scalar(node)

    ValuesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)
    ValuesAsText.add_constructor("tag:yaml.org,2002:int", ValuesAsText.construct_yaml_int)
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    yaml.Constructor = ValuesAsText
    return yaml


_DATE = re.compile(r"(?<![\d.])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")


def _bad_value(text: str, error: Exception) -> Problem:
    """Locate the impossible date that made the parser fail (the parser does not say where)."""
    for lineno, line in enumerate(text.split("\n"), 1):
        for m in _DATE.finditer(line):
            try:
                dt.date(*map(int, m.groups()))
            except ValueError:
                return Problem("", f"“{m.group(0)}” 不是有效的日期", f"第{lineno}行")
    return Problem("", "YAML 中有无法读取的值（日期或数字），请检查")


def _flow_depth(text: str) -> int:
    """How deep [ ] and { } nest, counted naively (brackets inside texts count too). The parser's time
    grows with the square of this depth, so ten thousand `[` would keep it busy for minutes."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
        if deepest > MAX_FLOW_DEPTH:
            break
    return deepest


def _yaml_problem(e: Any) -> Problem:
    mark = e.problem_mark or e.context_mark
    where = f"第{mark.line + 1}行" if mark is not None else ""
    from ruamel.yaml.constructor import DuplicateKeyError

    if isinstance(e, DuplicateKeyError):
        key = str(e.problem).split('"')[1] if '"' in str(e.problem) else ""
        return Problem(key, "重复的键（同一层级出现两次）", where)
    detail = (e.problem or e.context or "").strip()
    return Problem("", f"YAML 格式错误：{_translate(detail)}", where)


_YAML_MESSAGES = {
    "mapping values are not allowed here": "此处不允许出现“键: 值”（检查冒号与缩进）",
    "could not find expected ':'": "缺少冒号“:”",
    "found character '\\t' that cannot start any token": "不能使用 Tab 缩进，请改用空格",
    "expected <block end>, but found": "缩进不一致",
    "found undefined alias": "使用了未定义的别名",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合）",
    "while scanning a quoted scalar": "引号未闭合",
}


def _translate(detail: str) -> str:
    for english, chinese in _YAML_MESSAGES.items():
        if detail.startswith(english):
            return f"{chinese}（{detail}）"
    return detail


def to_plain(node: Any, source: str | Path) -> Any:
    """Copy ruamel's tree into plain dicts/lists/scalars, refusing aliases (billion-laughs)."""
    try:
        return _plain(node, set(), 0)
    except _AliasFound:
        raise InputError(source, "不支持 YAML 锚点与别名（& 和 *），请直接写出每个值") from None
    except RecursionError:
        raise InputError(source, "YAML 嵌套层次过深") from None


def _plain(node: Any, seen: set[int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise RecursionError
    if isinstance(node, dict):
        _mark(node, seen)
        return {_scalar(k): _plain(v, seen, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        _mark(node, seen)
        return [_plain(v, seen, depth + 1) for v in node]
    return _scalar(node)


def _mark(node: Any, seen: set[int]) -> None:
    if id(node) in seen or getattr(node, "merge", None):
        raise _AliasFound
    seen.add(id(node))


def _scalar(value: Any) -> Any:
    # ruamel returns str/int/float subclasses that remember formatting; data should be plain.
    if isinstance(value, bool) or value is None:
        return value
    for kind in (str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def _line_of(tree: Any, loc: Loc) -> str:
    """The line of the deepest part of `loc` that exists in the tree (1-based, as 第N行)."""
    node, line = tree, None
    for part in loc:
        key = _match_key(node, part)
        if key is _MISSING:
            break
        with contextlib.suppress(AttributeError, KeyError, IndexError, TypeError):
            lc: Any = node.lc  # ruamel's CommentedMap/CommentedSeq position info
            line = lc.key(key)[0] if isinstance(node, dict) else lc.item(key)[0]
        node = node[key]
    if line is None:
        return ""
    return f"第{line + 1}行"


_MISSING = object()


def _match_key(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        if part in node:
            return part
        for key in node:  # YAML int keys (years) appear as str in some paths and vice versa
            if str(key) == str(part):
                return key
        return _MISSING
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return part
    return _MISSING
