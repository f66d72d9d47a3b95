"""Field-by-field validation of data that failed as a whole: every problem in one pass, plus the values
that are valid, so that cross-field and rubric rules still run on them.

pydantic stops at a model whose fields failed: a wrong phone number in `unit` would hide the model's own
cross-field rules (`Strict.cross`) and every rubric rule reading `unit.county`. The walker validates each
field on its own, recursing into nested models and into each entry of a mapping or list, then runs the
model's cross-field rules on the fields that are valid. A failed field is `BAD` in the partial values.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from wufei_docs._raw import Loc
from wufei_docs.model import BAD, Strict

Found = list[tuple[Loc, str]]
Translate = Callable[[ValidationError], Iterator[tuple[Loc, str]]]


@dataclass(frozen=True)
class Partial:
    """A model some of whose fields failed: attribute access gives the value, or BAD."""

    model: type[Strict]
    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__["values"]
        return values.get(name, BAD)


def walk(model: type[Strict], data: Any, loc: Loc, found: Found, translate: Translate) -> Any:
    """The model instance when `data` is valid, else a Partial (or BAD when it is not even a mapping);
    every problem is appended to `found` as (field path, message). The top level is always walked field by
    field: a blank mapping there is dropped by the model unread, but its keys are still checked."""
    walker = _Walker(found, translate)
    return walker.model_fields_of(model, data, loc) if isinstance(data, dict) else walker.model(model, data, loc)


class _Walker:
    def __init__(self, found: Found, translate: Translate) -> None:
        self.found = found
        self.translate = translate

    def model(self, model: type[Strict], data: Any, loc: Loc) -> Any:
        if not isinstance(data, dict):
            return self.leaf(model, data, loc)
        try:
            return model.model_validate(data)
        except ValidationError:
            return self.model_fields_of(model, data, loc)

    def model_fields_of(self, model: type[Strict], data: dict[Any, Any], loc: Loc) -> Partial:
        """Each field on its own, then the model's cross-field rules on the valid ones."""
        blank = model.blank_fields(data)
        fields = model.model_fields
        for key in data:
            if key not in fields:
                self.found.append(((*loc, key), f"未知字段（可用字段：{'、'.join(fields)}）"))
        values: dict[str, Any] = {}
        for name, info in fields.items():
            if name in blank and not loc and isinstance(data[name], dict) and data[name]:
                blank = blank - {name}  # a top-level mapping of empty entries still has its keys checked
            if name not in data or name in blank:
                if info.is_required():
                    self.found.append(((*loc, name), "缺少必填项"))
                    values[name] = BAD
                else:
                    values[name] = info.get_default(call_default_factory=True)
                continue
            values[name] = self.value(_annotation(model, name), data[name], (*loc, name))
        for sub, message in model.cross(values):
            self.found.append(((*loc, *sub), message))
        return Partial(model, values)

    def value(self, annotation: Any, data: Any, loc: Loc) -> Any:
        inner, optional = _unwrap(annotation)
        if optional and data is None:
            return None
        if isinstance(inner, type) and issubclass(inner, Strict):
            return self.model(inner, data, loc)
        origin = typing.get_origin(inner)
        if origin is dict and isinstance(data, dict):
            key_type, value_type = typing.get_args(inner)
            out: dict[Any, Any] = {}
            for key, item in data.items():
                valid_key = self.leaf(key_type, key, (*loc, key))
                value = self.value(value_type, item, (*loc, key))
                if valid_key is not BAD:
                    out[valid_key] = value
            return out
        if origin is list and isinstance(data, list) and _has_model(inner):
            (item_type,) = typing.get_args(inner)
            return [self.value(item_type, item, (*loc, index)) for index, item in enumerate(data)]
        return self.leaf(annotation, data, loc)

    def leaf(self, annotation: Any, data: Any, loc: Loc) -> Any:
        try:
            return _adapter(annotation).validate_python(data)
        except ValidationError as e:
            self.found.extend(((*loc, *sub), message) for sub, message in self.translate(e))
            return BAD


def _annotation(model: type[Strict], name: str) -> Any:
    info = model.model_fields[name]
    return Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type inside `X | None`, whether None is allowed); Annotated with constraints stays a leaf."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def _has_model(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    return bool(args) and isinstance(args[0], type) and issubclass(args[0], Strict)


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    key = repr(annotation) if not isinstance(annotation, type) else annotation
    adapter = _ADAPTERS.get(key)
    if adapter is None:
        adapter = _ADAPTERS[key] = TypeAdapter(annotation)
    return adapter


__all__ = ["BAD", "Partial", "walk"]
