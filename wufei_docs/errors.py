"""One error family for everything a user can get wrong; the CLI maps it to exit status 1.

    WufeiError                  base: carries a Chinese message for the user
    ├── InputError (ValueError) an enterprise/evaluation file is wrong; holds located Problems
    ├── TemplateError           a (user) template cannot be rendered
    ├── OutputError (OSError)   the output folder is locked, final, or cannot be written
    └── MissingToolError        an optional external program (LibreOffice) is not installed

Anything else that escapes is a bug and may show a traceback.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as the source format allows."""

    path: str  # field path, e.g. waste.streams[0].code
    message: str  # Chinese, without the path
    where: str = ""  # "第14行" for YAML, "自评!D14" for a workbook, "" when unknown

    def __str__(self) -> str:
        if "!" in self.where:  # a workbook cell: the cell is what the user looks for, the path follows
            field = f"（{self.path}）" if self.path else ""
            return f"{self.where}: {self.message}{field}"
        prefix = f"{self.where} " if self.where else ""
        field = f"{self.path}: " if self.path else ""
        return f"{prefix}{field}{self.message}"


class WufeiError(Exception):
    """Base of all errors meant for the user; str(e) is the Chinese message."""


class InputError(WufeiError, ValueError):
    """An input file is invalid; `problems` lists every problem found, not just the first."""

    def __init__(self, source: str | Path | None, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.source = str(source) if source is not None else None
        self.problems = problems
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{head}{self.problems[0]}"
        lines = [f"{head}发现 {len(self.problems)} 个问题："]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class TemplateError(WufeiError):
    """A template is broken or tried something the sandbox forbids."""


class OutputError(WufeiError, OSError):
    """The output location cannot be used (locked, final, not writable, outside the folder)."""


class MissingToolError(WufeiError):
    """An optional external program is missing; the message says how to install it."""


# errno → why, in Chinese: the one table every message about a system error uses (files/oserrors.py adds
# the path); Python's own text is English and never shown.
REASONS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "文件系统只读",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EEXIST: "文件已存在",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EISDIR: "该位置是一个文件夹",
    errno.ENOENT: "文件或文件夹不存在",
    errno.EBUSY: "设备或资源忙",
    errno.ETXTBSY: "文件正被其他程序使用",
    errno.ELOOP: "符号链接循环",
    errno.EIO: "读写出错（磁盘或设备故障）",
    errno.EMFILE: "打开的文件过多",
    errno.ENFILE: "打开的文件过多",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EXDEV: "不能跨磁盘移动",
    errno.EFBIG: "文件过大",
    errno.EINVAL: "文件名或参数无效",
    errno.EILSEQ: "文件名含有无效的字符",
    errno.ENOMEM: "内存不足",
    errno.EAGAIN: "资源暂时不可用，请稍后重试",
    errno.ESTALE: "网络文件已失效",
    errno.ENXIO: "设备不存在",
    errno.ENODEV: "设备不存在",
    errno.EMLINK: "链接过多",
}


def os_reason(e: OSError) -> str:
    """Why a system call failed, in Chinese."""
    if e.errno in REASONS:
        return REASONS[e.errno]
    return f"系统错误（错误码 {e.errno}）" if e.errno else "系统错误"
