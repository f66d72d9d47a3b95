"""The Jinja sandbox every template (built-in or user's) runs in, and its Chinese error messages.

Jinja's `ImmutableSandboxedEnvironment` already refuses Python internals (`__class__`, `__globals__`,
…), changes to the data (`unit.pop(…)`, `hard.append(…)`) and ranges over 100 000 items. On top of that:

- methods: only those in `SAFE_METHODS` may be called (`unit.items()`, `name.strip()`, …); the same list
  tells `wufei templates check` which names are methods rather than unknown fields;
- globals: `range`, `dict` and `namespace` only — `joiner`, `cycler` and `lipsum` print a memory address
  or random text, and two builds of the same data must give the same bytes;
- size: a template may not ask for huge amounts of memory in one step (`'a' * 10**9`, huge powers, huge
  widths such as `'%999999999s'`, `'{:999999999}'`, `|center(10**9)`), nor build texts past the budgets
  of `budget.py` step by step (loops, macros, namespaces, chained filters); every loop iteration, call,
  filter and written chunk is counted, so a hostile template stops in seconds;
- output: filters that would insert text unescaped (`|safe`, `|urlize`, `|xmlattr`) are refused (input is
  always text), and a value whose text holds a memory address is never written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from wufei_docs.errors import TemplateError
from wufei_docs.render import budget
from wufei_docs.render.budget import ITEM_UNITS, MAX_TEXT, check_size, made, measure

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_COUNT = 1_000_000  # the largest repeat count, width or length a template may ask for
MAX_EXPONENT_BITS = 100_000  # 2**100000 has ~30 000 digits: plenty for any document
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"{[^{}]*:([^{}]*)}")
_DIGITS = re.compile(r"\d+")
_UNSAFE_ATTRIBUTE = re.compile(r"attribute '([^']*)' of '([^']*)' object")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

# The methods a template may call, by kind of value (anything else callable is refused). The checker
# (`check.py`) treats these names as known, so `templates check` and the renderer agree.
SAFE_METHODS: dict[str, frozenset[str]] = {
    "text": frozenset(
        [
            "capitalize",
            "casefold",
            "center",
            "count",
            "endswith",
            "find",
            "format",
            "index",
            "isalnum",
            "isalpha",
            "isdecimal",
            "isdigit",
            "islower",
            "isnumeric",
            "isspace",
            "istitle",
            "isupper",
            "join",
            "ljust",
            "lower",
            "lstrip",
            "partition",
            "removeprefix",
            "removesuffix",
            "replace",
            "rfind",
            "rindex",
            "rjust",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "swapcase",
            "title",
            "upper",
            "zfill",
        ]
    ),
    "mapping": frozenset({"get", "items", "keys", "values"}),
    "sequence": frozenset({"count", "index"}),
    "loop": frozenset({"changed", "cycle"}),
}
GLOBALS = ("range", "dict", "namespace")  # Jinja's others (joiner, cycler, lipsum) are not offered
_MUTATORS = frozenset(
    [
        "append",
        "extend",
        "insert",
        "pop",
        "popitem",
        "remove",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    ]
)
MACRO_STEPS = 10  # a macro call costs as much as ten loop iterations (it sets up a frame and a buffer)
LOOP_FILTER = "wufei_counted"  # wraps every `for` loop's iterable (added by the parser, see _count_loops)


class TooBig(TemplateError):
    """A template asked for more memory than any document needs."""


def method_kind(obj: Any) -> str:
    from jinja2.runtime import LoopContext

    if isinstance(obj, str):
        return "text"
    if isinstance(obj, dict):
        return "mapping"
    if isinstance(obj, list | tuple):
        return "sequence"
    return "loop" if isinstance(obj, LoopContext) else ""


def is_safe_method(obj: Any, name: str) -> bool:
    return name in SAFE_METHODS.get(method_kind(obj), frozenset())


def make_environment(**options: Any) -> ImmutableSandboxedEnvironment:
    """A sandboxed environment with size limits and budgets (see the module docstring)."""
    from jinja2.runtime import Macro
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Environment(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%", "+"})
        code_generator_class = _code_generator()

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return made(super().call_binop(context, operator, left, right))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            budget.current().step(MACRO_STEPS if isinstance(__obj, Macro) else 1)
            _check_args(args, kwargs)
            args = _check_method(__obj, args, kwargs)
            return made(super().call(__context, __obj, *args, **kwargs))

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if not super().is_safe_attribute(obj, attr, value):
                return False
            return not callable(value) or isinstance(value, Macro) or is_safe_method(obj, attr)

        def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
            wrapped = super().wrap_str_format(value)
            if wrapped is None:
                return None
            _check_brace_format(value.__self__)
            return _checked_format(value.__self__, value.__name__ == "format_map", wrapped)

        def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
            return _count_loops(super()._parse(source, name, filename))

        def budget_buffer(self) -> list[str]:
            return _CountedBuffer()

        def budget_concat(self, join: Callable[[Iterable[Any]], str], values: tuple[Any, ...]) -> str:
            check_size(sum(measure(v) for v in values))
            joined = join(values)
            made(joined)
            return joined

    env = Environment(**options)
    env.globals = {name: env.globals[name] for name in GLOBALS}
    env.filters = {name: _guarded(name, f) for name, f in env.filters.items()}
    for name in RAW_FILTERS:
        env.filters[name] = _refused_filter(name)
    env.filters["sum"] = _numbers_only(env.filters["sum"])
    env.filters[LOOP_FILTER] = _Counted
    return env


def _code_generator() -> type:
    """Jinja's code generator with two changes: the buffers of `{% set %}`, macros and call blocks count
    what is written into them, and `~` checks the size of what it joins before joining."""
    from jinja2.compiler import CodeGenerator, Frame

    class Generator(CodeGenerator):
        def buffer(self, frame: Frame) -> None:
            frame.buffer = self.temporary_identifier()
            self.writeline(f"{frame.buffer} = environment.budget_buffer()")

        def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
            if frame.eval_ctx.volatile:
                join = "(markup_join if context.eval_ctx.volatile else str_join)"
            else:
                join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
            self.write(f"environment.budget_concat({join}, (")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    return Generator


def _count_loops(tree: nodes.Template) -> nodes.Template:
    """Every `{% for %}` iterates through `_Counted`, so each iteration is a step of the budget."""
    from jinja2 import nodes

    for loop in list(tree.find_all(nodes.For)):
        loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno)
    return tree


class _Counted:
    """An iterable that counts its items against the document's budget (keeps len() for `loop.length`)."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        spend = budget.current().step
        for item in self.items:
            spend()
            yield item

    def __len__(self) -> int:
        return len(self.items)


class _CountedBuffer(list):  # type: ignore[type-arg]
    """The list Jinja collects a captured block's output in, counting it as written."""

    def append(self, item: Any) -> None:
        budget.current().wrote(len(item))
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        items = tuple(items)
        budget.current().wrote(sum(len(i) for i in items))
        super().extend(items)


# Filters whose result is inserted unescaped: with them a unit name could add XML to the document.
RAW_FILTERS = ("safe", "urlize", "xmlattr")


def _refused_filter(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise TemplateError(f"模板中不能使用 |{name}：填写的文字总是作为文字输出，不能成为文档的 XML 代码")

    return refuse


def _numbers_only(f: Callable[..., Any]) -> Callable[..., Any]:
    """|sum adds numbers; joining lists with it (`|sum(start=[])`) takes quadratic time."""

    @functools.wraps(f)
    def summed(*args: Any, **kwargs: Any) -> Any:
        start = kwargs.get("start", args[3] if len(args) > 3 else 0)
        if not isinstance(start, int | float) or isinstance(start, bool):
            raise TemplateError("|sum 只能用于数字求和")
        return f(*args, **kwargs)

    return summed


def render_limited(chunks: Iterable[str]) -> str:
    """Join a template's output, counting it against the document's budget as it is produced."""
    out: list[str] = []
    wrote = budget.current().wrote
    for chunk in chunks:
        wrote(len(chunk))
        out.append(chunk)
    return "".join(out)


def printable(value: Any) -> Any:
    """What `{{ }}` may write: not a text past the size limit, not a memory address (a function, a
    method or an object without a readable form would make every build's bytes different)."""
    if isinstance(value, str | int | float):
        return value
    from jinja2 import Undefined

    if isinstance(value, Undefined):  # raises its own error when printed
        return value
    check_size(measure(value))
    if callable(value) and not _is_macro(value):
        raise TemplateError("模板输出了函数或方法本身（缺少括号？），不能写入文档")
    return value


def no_address(text: str) -> str:
    if _ADDRESS.search(text):
        raise TemplateError("模板输出了 Python 对象的内存地址，每次生成都会不同，不能写入文档")
    return text


def _is_macro(value: Any) -> bool:
    from jinja2.runtime import Macro

    return isinstance(value, Macro)


def explain_security(message: str) -> str:
    """Jinja's SecurityError text → a Chinese sentence (no Python repr, no English)."""
    m = _UNSAFE_ATTRIBUTE.search(message)
    if m is None:
        return "沙箱不允许的操作"
    name, kind = m.group(1), m.group(2)
    if name.startswith("_"):
        return f"不允许访问 “{name}”（沙箱禁止在模板中读取 Python 内部属性）"
    if name in _MUTATORS:
        return f"不允许访问 “{name}”（沙箱禁止在模板中修改数据）"
    allowed = sorted(SAFE_METHODS.get(_KINDS.get(kind, ""), ()))
    listed = f"；可用的方法：{'、'.join(allowed)}" if allowed else ""
    return f"不允许调用 “{name}”（模板中只能调用少数几个方法{listed}）"


_KINDS = {"str": "text", "Markup": "text", "dict": "mapping", "list": "sequence", "tuple": "sequence",
          "LoopContext": "loop"}  # fmt: skip


def explain_runtime(error: Exception) -> str:
    """Errors a template can raise at run time, in Chinese (never Python's English text or a repr)."""
    text = str(error)
    if "Range too big" in text:
        from jinja2.sandbox import MAX_RANGE

        return f"range() 的范围过大（沙箱上限 {MAX_RANGE} 项）"
    if "no loader" in text:
        return "模板不能引用其他文件（include、import、extends），每个模板须是一个完整的 Word 文档"
    if isinstance(error, ZeroDivisionError):
        return "除数为零"
    if isinstance(error, OverflowError) or "digits" in text:
        return "数值过大（超出可计算或可显示的范围）"
    if isinstance(error, ArithmeticError):
        return "数值运算出错（结果无效或超出范围）"
    if isinstance(error, LookupError):
        return "下标超出范围或字段不存在"
    if isinstance(error, TypeError):
        return "数据类型不符（例如文字与数字相加、对数字使用文字的方法）"
    if isinstance(error, ValueError):
        return "数值或参数无效（例如把非数字的文字当作数字）"
    return "模板运行出错（请用 wufei templates check 检查）"


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
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_EXPONENT_BITS:
            raise _too_big("乘积")
    elif operator == "+":
        if isinstance(left, str) and isinstance(right, str):
            check_size(len(left) + len(right))
        elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
            check_size((len(left) + len(right)) * ITEM_UNITS)
    elif operator == "**" and _is_int(left) and _is_int(right) and abs(left) > 1:
        if right > 0 and abs(left).bit_length() * right > MAX_EXPONENT_BITS:
            raise _too_big("乘方结果")
    elif operator == "%" and isinstance(left, str):
        for spec in _PERCENT_SPEC.finditer(left):
            if "*" in spec.group(0) or any(g and g.isdigit() and int(g) > MAX_COUNT for g in spec.groups()):
                raise _too_big("格式宽度")
        if right is not None:
            check_size(len(left) + left.count("%") * measure(right))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_brace_format(text: str) -> None:
    for spec in _BRACE_SPEC.findall(text):
        if any(int(d) > MAX_COUNT for d in _DIGITS.findall(spec)):
            raise _too_big("格式宽度")


def _check_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if any(_count(v) for v in (*args, *kwargs.values())):
        raise _too_big("参数")


def _check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Sizes known before a text method runs: `.replace`, `.join` (`.format`: `_checked_format`; the
    others make at most their input or their width). Returns the arguments to call with (`.join` of a generator: a list)."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    elif name == "join" and args:
        items = _bounded_list(args[0])
        check_size(measure(items) + len(owner) * len(items))
        return (items, *args[1:])
    return args


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        times = text.count(old) if old else len(text) + 1
        check_size(len(text) + times * max(0, len(new) - len(old)))


def _checked_format(template: str, mapping: bool, wrapped: Callable[..., str]) -> Callable[..., str]:
    """`text.format(…)`/`.format_map(…)` whose result size is checked before it is made."""

    @functools.wraps(wrapped)
    def checked(*args: Any, **kwargs: Any) -> str:
        values = (*args, *kwargs.values())
        if mapping and args and isinstance(args[0], dict):
            values = tuple(args[0].values())
        _check_format(template, "{", values)
        return wrapped(*args, **kwargs)

    return checked


def _check_format(template: str, marker: str, values: tuple[Any, ...]) -> None:
    longest = max((measure(v) for v in values), default=0)
    check_size(len(template) + template.count(marker) * longest)


def _bounded_list(items: Any) -> list[Any]:
    """`items` as a list, refused once it passes the text limit (a generator cannot be measured)."""
    if isinstance(items, list):
        return items
    out = []
    for item in items if not isinstance(items, str) else list(items):
        out.append(item)
        if len(out) * ITEM_UNITS > MAX_TEXT:
            raise budget.too_long(len(out))
    return out


# Filters that turn their value into text: a list of many references to one long text must be
# measured before it is printed.
_TEXT_FILTERS = frozenset(
    [
        "capitalize",
        "center",
        "e",
        "escape",
        "forceescape",
        "format",
        "indent",
        "lower",
        "pprint",
        "replace",
        "string",
        "striptags",
        "title",
        "tojson",
        "trim",
        "truncate",
        "upper",
        "urlencode",
        "wordcount",
        "wordwrap",
    ]
)


def _guarded(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that counts as a step, refuses huge numeric arguments (`|center(10**9)`) and results
    past the text limit, checking in advance what can be known in advance (`|replace`, `|join`, …)."""
    skip = 2 if getattr(f, "jinja_pass_arg", None) else 1  # (context or environment,) value, arguments…

    @functools.wraps(f)  # keeps Jinja's pass_context/pass_environment marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget.current().step()
        _check_args(args[skip:], kwargs)
        if len(args) >= skip:
            args = (*args[: skip - 1], *_before(name, args[skip - 1], args[skip:], kwargs))
        return made(f(*args, **kwargs))

    return guarded


def _before(name: str, value: Any, rest: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check a filter's call before it runs; returns (value, *arguments) to call it with."""
    if name in _TEXT_FILTERS and not isinstance(value, str):
        check_size(measure(value))
    text = value if isinstance(value, str) else ""

    def arg(i: int, key: str, default: Any) -> Any:
        return rest[i] if len(rest) > i else kwargs.get(key, default)

    if name == "replace":
        _check_replace(value, arg(0, "old", ""), arg(1, "new", ""))
    elif name == "join":
        items = _bounded_list(value)
        sep = arg(0, "d", "")
        check_size(measure(items) + (len(sep) if isinstance(sep, str) else 0) * len(items))
        return (items, *rest)
    elif name == "format":
        _check_format(text, "%", (*rest, *kwargs.values()))
        _check_binop("%", text, None)
    elif name == "indent":
        width = arg(0, "width", 4)
        per_line = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        check_size(len(text) + (text.count("\n") + 1) * per_line)
    elif name == "wordwrap":
        width, wrap = arg(0, "width", 79), arg(2, "wrapstring", None)
        lines = len(text) // max(width, 1) + 1 if isinstance(width, int) else len(text)
        check_size(len(text) + lines * (len(wrap) if isinstance(wrap, str) else 1))
    return (value, *rest)
