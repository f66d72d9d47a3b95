"""The rubric as data: loads `rubrics/<id>.yaml` into typed, read-only objects.

The scorer, the validator and every document read the rubric from here, so a clause's id,
wording and points exist in exactly one place (the YAML file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from wufei_docs.errors import InputError

ALL_ROLES = "all"


@dataclass(frozen=True)
class Item:
    """One scored clause (e.g. A1.6) of the rubric."""

    id: str
    max: float
    title: str
    text: str
    method: str
    category: str
    subcategory: str
    bonus: bool
    rule: str | None = None  # derived: computed from data by this rule
    check: str | None = None  # checked: claim kept, data cross-checked by this rule
    applies_if: str | None = None  # unit flag that makes the item applicable
    applies_label: str | None = None  # who the item applies to, in words
    na_reason: str | None = None  # reason shown when `applies_if` is false

    @property
    def how(self) -> str:
        if self.rule:
            return "derived"
        if self.check:
            return "checked"
        return "claimed"


@dataclass(frozen=True)
class Row:
    """One 评价内容 paragraph of the official table; it may hold several items."""

    text: str
    method: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Subcategory:
    id: str
    name: str
    max: float
    rows: tuple[Row, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for r in self.rows for i in r.items)


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    max: float
    bonus: bool
    subcategories: tuple[Subcategory, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.subcategories for i in s.items)


@dataclass(frozen=True)
class HardItem:
    """A 硬性指标 (veto item); `applies_to` is a role key or "all"."""

    id: str
    applies_to: str
    title: str
    text: str

    def applies(self, roles: Collection[str]) -> bool:
        return self.applies_to == ALL_ROLES or self.applies_to in roles


@dataclass(frozen=True)
class Rubric:
    id: str
    title: str
    city: str
    issuer: str
    issued: dt.date
    scheme: str
    application_type: str
    base_max: float
    bonus_max: float
    pass_threshold: float
    na_policy: str
    bonus_counts_toward_pass: bool
    evaluation_days: int
    window_start: dt.date
    window_end: dt.date
    target_count: int
    target_year: int
    note: str
    counties: tuple[str, ...]
    roles: dict[str, str]
    hard_label: str
    hard_sublabel: str
    hard_method: str
    hard_items: tuple[HardItem, ...]
    categories: tuple[Category, ...]
    items_by_id: dict[str, Item] = field(repr=False, default_factory=dict)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for c in self.categories for i in c.items)

    def item(self, item_id: str) -> Item:
        return self.items_by_id[item_id]

    def hard_item(self, item_id: str) -> HardItem | None:
        return next((h for h in self.hard_items if h.id == item_id), None)

    def category(self, cat_id: str) -> Category:
        return next(c for c in self.categories if c.id == cat_id)


RUBRIC_DIR = Path(__file__).resolve().parent / "rubrics"  # package data, always a real folder (setuptools)


def available_rubrics() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in RUBRIC_DIR.iterdir() if p.name.endswith(".yaml"))


@cache
def load_rubric(rubric_id: str) -> Rubric:
    """Load a bundled rubric by id; unknown ids are an input error naming the choices."""
    if rubric_id not in available_rubrics():
        choices = "、".join(available_rubrics())
        raise InputError(None, f"rubric: 未知的评价指标 “{rubric_id}”，可用：{choices}")
    data = (RUBRIC_DIR / f"{rubric_id}.yaml").read_bytes()
    kept = _kept_path(data)
    rubric = _read_kept(kept)
    if rubric is None:
        from wufei_docs._raw import safe_loader

        rubric = _build(safe_loader().load(data.decode("utf-8")))
        _keep(kept, rubric)
    return rubric


def _kept_path(data: bytes) -> Path:
    """Where the built rubric is kept between processes (the user's cache folder, see sealed.py): every
    command would otherwise parse the YAML again (~5 ms). Keyed by the YAML's bytes, this module's code
    and the Python version."""
    import hashlib
    import sys

    from wufei_docs.files.sealed import key_folder

    h = hashlib.sha256(data + b"\0" + Path(__file__).read_bytes() + b"\0" + sys.version.encode())
    return key_folder() / "rubrics" / f"{h.hexdigest()}.pickle"


def _read_kept(path: Path) -> Rubric | None:
    import pickle

    from wufei_docs.files import sealed

    data = sealed.read_bytes(path)
    if data is None:
        return None
    try:
        rubric = pickle.loads(data)  # sealed: written by this user's own runs
    except Exception:
        return None
    return rubric if isinstance(rubric, Rubric) else None


def _keep(path: Path, rubric: Rubric) -> None:
    import pickle

    from wufei_docs.files import sealed

    sealed.write_bytes(path, pickle.dumps(rubric, pickle.HIGHEST_PROTOCOL))  # nothing happens if it cannot


def _build(d: dict[str, Any]) -> Rubric:
    categories = tuple(_category(c) for c in d["categories"])
    items = {i.id: i for c in categories for i in c.items}
    hard = d["hard"]
    return Rubric(
        id=d["id"],
        title=d["title"],
        city=d["city"],
        issuer=d["issuer"],
        issued=d["issued"],
        scheme=d["scheme"],
        application_type=d["application_type"],
        base_max=float(d["base_max"]),
        bonus_max=float(d["bonus_max"]),
        pass_threshold=float(d["pass_threshold"]),
        na_policy=d.get("na_policy", "prorate"),
        bonus_counts_toward_pass=bool(d.get("bonus_counts_toward_pass", True)),
        evaluation_days=int(d.get("evaluation_days", 15)),
        window_start=d["window"]["start"],
        window_end=d["window"]["end"],
        target_count=int(d["target"]["count"]),
        target_year=int(d["target"]["year"]),
        note=d["note"],
        counties=tuple(d["counties"]),
        roles=dict(d["roles"]),
        hard_label=hard["label"],
        hard_sublabel=hard["sublabel"],
        hard_method=hard["method"],
        hard_items=tuple(HardItem(**h) for h in hard["items"]),
        categories=categories,
        items_by_id=items,
    )


def _category(c: dict[str, Any]) -> Category:
    bonus = bool(c.get("bonus", False))
    subs = tuple(
        Subcategory(
            id=s["id"],
            name=s["name"],
            max=float(s["max"]),
            rows=tuple(
                Row(
                    text=r["text"],
                    method=r["method"],
                    items=tuple(
                        Item(
                            id=i["id"],
                            max=float(i["max"]),
                            title=i["title"],
                            text=i["text"],
                            method=r["method"],
                            category=c["id"],
                            subcategory=s["id"],
                            bonus=bonus,
                            rule=i.get("rule"),
                            check=i.get("check"),
                            applies_if=i.get("applies_if"),
                            applies_label=i.get("applies_label"),
                            na_reason=i.get("na_reason"),
                        )
                        for i in r["items"]
                    ),
                )
                for r in s["rows"]
            ),
        )
        for s in c["subcategories"]
    )
    return Category(id=c["id"], name=c["name"], max=float(c["max"]), bonus=bonus, subcategories=subs)
