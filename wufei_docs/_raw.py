"""What every loader hands to validation: plain data plus a way to say where a field came from."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wufei_docs.errors import InputError, Problem, os_reason

Loc = tuple[str | int, ...]
# Real files are 10–200 KB; the pure-Python YAML parser needs ~20 s per MB of dense YAML, so 2 MB bounds a run.
MAX_TEXT_BYTES = 2 * 1024 * 1024


@dataclass
class RawDocument:
    """Plain Python data (dicts, lists, scalars) read from one file.

    `locate` turns a field path into "第14行" or "自评!D14" so that every problem names its place.
    `notices` are things the user should know that are not errors (e.g. the file was GB18030).
    `problems` are what the loader itself found (e.g. a workbook cell holding a formula without a
    saved result); validation reports them together with its own, all at once.
    `describe` (a workbook) turns a field path and a message into the words its user knows.
    """

    source: str
    data: Any
    locate: Callable[[Loc], str] = lambda loc: ""
    notices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # how the format names a field and words a message (a workbook: “H1 是否满足”, no YAML syntax)
    describe: Callable[[Loc, str], tuple[str, str]] | None = None


def read_text(path: Path, *, limit: int = MAX_TEXT_BYTES) -> tuple[str, list[str]]:
    """Read a text file the way Windows users save them: UTF-8 (with or without BOM), UTF-16 with
    BOM, or GBK/GB18030 (Notepad's “ANSI” on Chinese Windows), the last with a notice."""
    data = read_bytes(path, limit=limit)
    if not data.strip():
        raise InputError(path, "文件是空的")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise InputError(path, "文件不是有效的 UTF-16 文本") from None
    if b"\x00" in data:
        raise InputError(path, "这不是文本文件（含有二进制内容），请提供 YAML 或 Excel（.xlsx）文件")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(path, "无法识别文件编码，请另存为 UTF-8 编码") from None
    return text, ["文件不是 UTF-8 编码，已按 GB18030（GBK）读取；建议另存为 UTF-8"]


def read_bytes(path: Path, *, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(path, f"文件过大（{size / 1048576:.1f} MB），上限为 {limit / 1048576:.0f} MB")
        if path.is_dir():
            raise InputError(path, "这是一个文件夹，不是文件")
        if not path.is_file():
            raise InputError(path, "不是普通文件")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "文件不存在") from None
    except IsADirectoryError:
        raise InputError(path, "这是一个文件夹，不是文件") from None
    except PermissionError:
        raise InputError(path, "没有读取权限") from None
    except OSError as e:  # a symlink loop, a name too long, a disk error…
        raise InputError(path, f"无法读取文件：{os_reason(e)}") from None


def format_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) and out and not out.endswith("years"):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def safe_loader() -> Any:
    """A safe YAML 1.2 loader for trusted files (the bundled rubrics): the C parser when available."""
    from ruamel.yaml import YAML

    return c_loader() or YAML(typ="safe")


@functools.cache
def c_loader() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.resolver import VersionedResolver

    class Yaml12Resolver(VersionedResolver):
        """YAML 1.2 resolution, as for any document without a %YAML directive (those take the slow path),
        without working the version out again for every scalar (a third of the loading time)."""

        @property
        def processing_version(self) -> Any:
            return (1, 2)

        @property
        def versioned_resolver(self) -> Any:
            cached: Any = self.__dict__.get("_yaml12")
            if cached is None:
                cached = self.__dict__["_yaml12"] = super().versioned_resolver
            return cached

    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = Yaml12Resolver
    if "CParser" not in yaml.Parser.__name__:  # ruamel.yaml.clib not installed
        return None
    yaml.allow_duplicate_keys = False
    return yaml
