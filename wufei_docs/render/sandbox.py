"""The Jinja sandbox every template (built-in or user's) runs in, and its Chinese error messages.

Jinja's `ImmutableSandboxedEnvironment` already refuses Python internals (`__class__`, `__globals__`,
…), changes to the data (`unit.pop(…)`, `hard.append(…)`) and ranges over 100 000 items. On top of
that, a template may not ask for huge amounts of memory in one step: repeating a text or a list
(`'a' * 10**9`), huge powers, huge widths (`'%999999999s'`, `'{:999999999}'`, `|center(10**9)`,
`.ljust(10**9)`), and the whole output of one document part is capped while it is produced. Filters
that would insert text unescaped (`|safe`, `|urlize`, `|xmlattr`) are refused: input is always text.
Deliberately slow templates (nested loops that print nothing) are not stopped: Ctrl-C ends the run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from wufei_docs.errors import TemplateError

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_COUNT = 1_000_000  # the largest repeat count, width or length a template may ask for
MAX_EXPONENT_BITS = 100_000  # 2**100000 has ~30 000 digits: plenty for any document
MAX_OUTPUT_CHARS = 64 * 1024 * 1024  # one rendered XML part; real ones are well under 5 MB
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"{[^{}]*:([^{}]*)}")
_DIGITS = re.compile(r"\d+")
_UNSAFE_ATTRIBUTE = re.compile(r"attribute '([^']*)' of '([^']*)' object")


class TooBig(TemplateError):
    """A template asked for more memory than any document needs."""


def make_environment(**options: Any) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment with size limits (see the module docstring)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Environment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            _check_args(args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            wrapped = super().wrap_str_format(value)
            if wrapped is None:
                return None
            _check_brace_format(value.__self__)
            return wrapped

    env = Environment(**options)
    env.filters = {name: _guarded(f, formats=name == "format") for name, f in env.filters.items()}
    for name in RAW_FILTERS:
        env.filters[name] = _refused_filter(name)
    return env


# Filters whose result is inserted unescaped: with them a unit name could add XML to the document.
RAW_FILTERS = ("safe", "urlize", "xmlattr")


def _refused_filter(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise TemplateError(f"模板中不能使用 |{name}：填写的文字总是作为文字输出，不能成为文档的 XML 代码")

    return refuse


def render_limited(chunks: Iterable[str]) -> str:
    """Join a template's output, stopping as soon as it grows past MAX_OUTPUT_CHARS."""
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise TooBig(f"生成的内容超过 {MAX_OUTPUT_CHARS // 1024 // 1024} MB（循环次数或重复内容过多）")
        out.append(chunk)
    return "".join(out)


def explain_security(message: str) -> str:
    """Jinja's SecurityError text → a Chinese sentence (the original kept in brackets)."""
    m = _UNSAFE_ATTRIBUTE.search(message)
    if m:
        what = "修改数据" if not m.group(1).startswith("_") else "读取 Python 内部属性"
        return f"不允许访问 “{m.group(1)}”（沙箱禁止在模板中{what}；{message}）"
    return f"沙箱不允许的操作（{message}）"


def explain_runtime(error: Exception) -> str:
    """Messages of errors the sandbox raises at run time, in Chinese where we know them."""
    text = str(error)
    if "Range too big" in text:
        from jinja2.sandbox import MAX_RANGE

        return f"range() 的范围过大（沙箱上限 {MAX_RANGE} 项）"
    if "no loader" in text:
        return "模板不能引用其他文件（include、import、extends），每个模板须是一个完整的 Word 文档"
    return text


# --- the checks --------------------------------------------------------------------------------


def _too_big(what: str) -> TooBig:
    return TooBig(f"{what}过大（模板中的重复次数、宽度或长度上限为 {MAX_COUNT}）")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_COUNT


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_COUNT:
                raise _too_big("重复生成的内容")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
        if right > 0 and abs(left).bit_length() * right > MAX_EXPONENT_BITS:
            raise _too_big("乘方结果")
    elif operator == "%" and isinstance(left, str):
        for spec in _PERCENT_SPEC.finditer(left):
            if "*" in spec.group(0) or any(g and g.isdigit() and int(g) > MAX_COUNT for g in spec.groups()):
                raise _too_big("格式宽度")


def _check_brace_format(text: str) -> None:
    for spec in _BRACE_SPEC.findall(text):
        if any(int(d) > MAX_COUNT for d in _DIGITS.findall(spec)):
            raise _too_big("格式宽度")


def _check_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if any(_count(v) for v in (*args, *kwargs.values())):
        raise _too_big("参数")


def _guarded(f: Callable[..., Any], *, formats: bool = False) -> Callable[..., Any]:
    """A filter that refuses huge numeric arguments (`|center(10**9)`, `|indent(10**9)`…); the `format`
    filter also has its format string checked."""
    skip = 2 if getattr(f, "jinja_pass_arg", None) else 1  # (context or environment,) value, arguments…

    @functools.wraps(f)  # keeps Jinja's pass_context/pass_environment marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_args(args[skip:], kwargs)
        if formats and args:
            _check_binop("%", args[skip - 1], None)
        return f(*args, **kwargs)

    return guarded
