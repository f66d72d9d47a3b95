"""The budgets of one document's render: what a template may cost before it is stopped.

A template is a program: loops, macros, namespaces and filters can build text that doubles at every step
(`{% set ns.s = ns.s ~ ns.s %}` forty times, sixteen chained `|replace`). The sandbox (`sandbox.py`) calls
this module at every loop iteration, call, filter, operator and written chunk, so a hostile template
stops with a `TemplateError` naming the budget, in seconds and with little memory, and a real document
(well under a tenth of every budget) never notices:

- steps: loop iterations and calls (methods and filters 1, macros 10) per document;
- output: characters written into the document, or captured by `{% set %}`/macro bodies, per document;
- built: characters (list items count ITEM_UNITS each) produced by operators, filters and methods, per document;
- text: the longest single text or list a template may make (checked before it is made where the size
  can be known in advance: `~`, `+`, `*`, `%`, `|replace`, `|join`, `|indent`, `|wordwrap`, `.format`);
- time: wall-clock seconds per document.

One Budget lives for the render of one document (`document()`), in a context variable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from wufei_docs.errors import TemplateError

MAX_STEPS = 200_000  # a real document takes under 100 (a county of 500 enterprises a few thousand)
MAX_OUTPUT_CHARS = 20_000_000  # ~20 MB of XML; the largest real document is under 1 MB
MAX_BUILT = 20_000_000
MAX_TEXT = 2_000_000
MAX_SECONDS = 10.0  # a real document renders in under 0.1 s
ITEM_UNITS = 16  # a list item (a reference, usually to an object of its own: ~40 bytes) counts as 16 characters


class OverBudget(TemplateError):
    """A template went over one of the budgets of a document."""


def _wan(n: int) -> str:
    """1_000_000 → '100 万', 125_000 → '12.5 万' (how a Chinese reader counts; a unit follows directly)."""
    return f"{n / 10_000:g} 万" if n >= 10_000 and n % 1_000 == 0 else f"{n} "


@dataclass
class Budget:
    """What one document's render has used so far."""

    started: float = field(default_factory=time.monotonic)
    steps: int = 0
    output: int = 0
    built: int = 0

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise OverBudget(f"循环和调用次数超过 {_wan(MAX_STEPS)}次（每份文档的上限）")
        self.clock()

    def clock(self) -> None:
        if time.monotonic() - self.started > MAX_SECONDS:
            raise OverBudget(f"生成时间超过 {MAX_SECONDS:g} 秒（每份文档的上限）")

    def wrote(self, chars: int) -> None:
        self.output += chars
        if self.output > MAX_OUTPUT_CHARS:
            raise OverBudget(
                f"生成的内容超过 {_wan(MAX_OUTPUT_CHARS)}字符（约 {MAX_OUTPUT_CHARS // 1_000_000} MB，每份文档的上限）"
            )

    def made(self, size: int) -> None:
        """A text or list of `size` was made (its size already checked against MAX_TEXT)."""
        self.built += size
        if self.built > MAX_BUILT:
            raise OverBudget(f"模板运算产生的文字累计超过 {_wan(MAX_BUILT)}字符（每份文档的上限）")
        self.clock()


_CURRENT: ContextVar[Budget | None] = ContextVar("wufei_render_budget", default=None)


def current() -> Budget:
    """The budget of the document being rendered. Outside `document` (Jinja folding constants while it
    compiles) a fresh one each time: the engine renders every document inside `document`."""
    return _CURRENT.get() or Budget()


@contextmanager
def document() -> Iterator[Budget]:
    """A fresh budget for the render of one document."""
    token = _CURRENT.set(Budget())
    try:
        yield _CURRENT.get() or Budget()
    finally:
        _CURRENT.reset(token)


def too_long(size: int) -> OverBudget:
    return OverBudget(f"单个文字或列表将超过上限（文字 {_wan(MAX_TEXT)}字符，列表 {_wan(MAX_TEXT // ITEM_UNITS)}项）")


def check_size(size: int) -> None:
    """Before making a text or list of `size`."""
    if size > MAX_TEXT:
        raise too_long(size)


def made(value: Any) -> Any:
    """After making `value`: count it (texts by character, lists by item times ITEM_UNITS: each item is
    a reference and usually an object of its own; other values are small or lazy) and return it."""
    if isinstance(value, str | bytes):
        size = len(value)
    elif isinstance(value, list | tuple | dict | set | frozenset):
        size = len(value) * ITEM_UNITS
    else:
        return value
    check_size(size)
    current().made(size)
    return value


def measure(value: Any, limit: int = MAX_TEXT) -> int:
    """About how many characters str(value) has, without making it; stops counting past `limit`
    (a list of 100 000 references to one long text would print as 10¹¹ characters)."""
    from jinja2.utils import Namespace

    total = 0
    todo = [value]
    while todo and total <= limit:
        v = todo.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, list | tuple | set | frozenset):
            total += 2 + 2 * len(v)
            todo.extend(v)
        elif isinstance(v, dict):
            total += 2 + 4 * len(v)
            todo.extend(v.keys())
            todo.extend(v.values())
        elif isinstance(v, Namespace):
            total += 12
            todo.append(v._Namespace__attrs)
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 2
        else:
            total += 32
    return total
