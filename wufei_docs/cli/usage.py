"""Chinese wording for the command-line usage errors raised by click (wrong or missing arguments)."""

from __future__ import annotations

from typing import Any


def explain(error: Any) -> str:
    """A Chinese message for a click UsageError (matched by class name, so it does not depend on where
    typer keeps its copy of click), followed by how to get help."""
    kind = type(error).__name__
    param = getattr(error, "param", None)
    hint = getattr(error, "param_hint", None) or (param and "/".join(getattr(param, "opts", []) or [param.name]))
    hint = " / ".join(hint) if isinstance(hint, list | tuple) else hint
    if kind == "MissingParameter":
        text = f"缺少参数 {hint}" if hint else "缺少参数"
    elif kind == "NoSuchOption":
        text = f"没有这个选项：{getattr(error, 'option_name', '')}"
        possibilities = getattr(error, "possibilities", None)
        if possibilities:
            text += f"（是否想用 {'、'.join(sorted(possibilities))}？）"
    elif kind == "BadParameter":
        text = f"参数 {hint} 的值无效：{getattr(error, 'message', '')}"
    elif kind == "BadOptionUsage":
        text = f"选项用法错误：{getattr(error, 'message', '')}"
    elif kind in ("NoArgsIsHelpError",):
        return str(getattr(error, "message", "")) or error.format_message()
    elif str(getattr(error, "message", "")).startswith("No such command"):
        text = "没有这个命令：" + str(error.message).split("'")[1] if "'" in str(error.message) else "没有这个命令"
    else:
        text = error.format_message()
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "wufei"
    return f"错误：{text}\n用法见：{command} --help"
