"""The enterprise file as strict, typed models (FORMAT.md §1) plus the county evaluation (§5).

Field-level rules live here (types, ranges, formats, check digits); rules that need the rubric or
several sections at once live in `validation.py`. Unknown fields are errors, never silence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

ENTERPRISE_FORMAT = "wufei/enterprise-1"
EVALUATION_FORMAT = "wufei/evaluation-1"
DEFAULT_RUBRIC = "ganzhou-2023"
OWNERSHIPS = ("国有", "集体", "民营", "中外合资", "港澳台", "外商独资")
Role = Literal["producer", "disposer", "self_facility"]

# C0/C1 control characters, Unicode line/paragraph separators and the two non-characters XML cannot hold:
# text that passes these checks is written into the documents exactly as typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_CONTROL_ONELINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE = re.compile(r"(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?|1[3-9]\d{9}|400-?\d{3}-?\d{4}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_HW_CODE = re.compile(r"(\d{3})-(\d{3})-(\d{2})")
_EVIDENCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,19}")


def fail(message: str) -> PydanticCustomError:
    """A validation error whose message is shown to the user as is (Chinese)."""
    return PydanticCustomError("wufei", message)


def _numbers_as_text(value: Any) -> Any:
    # Phone numbers, postcodes and codes are often typed without quotes in YAML/Excel.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _one_line(value: str) -> str:
    if _CONTROL_ONELINE.search(value):
        raise fail("不能包含换行符或控制字符")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise fail("不能包含控制字符")
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _mobile(value: str) -> str:
    value = value.replace(" ", "")
    if not _MOBILE.fullmatch(value):
        raise fail(f"“{value}” 不是有效的手机号码（11 位，以 1 开头）")
    return value


def _phone(value: str) -> str:
    compact = value.replace(" ", "")
    if not _PHONE.fullmatch(compact):
        raise fail(f"“{value}” 不是有效的电话号码（如 0797-8888888 或 13907970000）")
    return compact


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise fail(f"“{value}” 不是有效的电子邮箱")
    return value


def _uscc(value: str) -> str:
    from wufei_docs.uscc import UsccError, validate

    value = value.strip().upper()
    try:
        return validate(value)
    except UsccError as e:
        if e.kind == "length":
            raise fail(f"“{value}” 不是 18 位统一社会信用代码") from None
        if e.kind == "checksum":
            raise fail(f"“{value}” 的校验位不正确，请核对统一社会信用代码") from None
        raise fail(f"“{value}” 不是有效的统一社会信用代码") from None


def valid_hazardous_code(code: str) -> bool:
    """名录 code NNN-NNN-NN whose last two digits are a class HW01–HW40 or HW45–HW50."""
    m = _HW_CODE.fullmatch(code)
    if not m:
        return False
    klass = int(m.group(3))
    return 1 <= klass <= 40 or 45 <= klass <= 50


def _half_points(value: float) -> float:
    if value < 0:
        raise fail(f"{_num(value)} 不能小于 0")
    doubled = value * 2
    if doubled in (float("inf"), float("-inf")):  # a float near the largest there is
        raise fail(f"{_num(value)} 过大")
    if doubled != int(doubled):
        raise fail(f"{_num(value)} 不是 0.5 的整数倍")
    return value


def _num(value: float) -> str:
    return f"{value:g}"


Line = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
ShortLine = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_one_line)]
Text = Annotated[str, Field(max_length=20000), AfterValidator(_multi_line)]
Tonnes = Annotated[float, Field(ge=0, allow_inf_nan=False)]
NumText = BeforeValidator(_numbers_as_text)
Code = Annotated[str, NumText, Field(max_length=100), AfterValidator(_one_line)]  # codes, ids, USCC keys


def _blank(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, dict) and all(_blank(v) for v in value.values())


class Strict(BaseModel):
    """Forbids unknown fields; blank cells/values count as not filled in (so 'missing', not 'bad')."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    keep_blank: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_blank(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        blank = cls.blank_fields(data)
        return {k: v for k, v in data.items() if k not in blank} if blank else data

    @classmethod
    def blank_fields(cls, data: dict[Any, Any]) -> set[str]:
        """The fields given with a blank value, which count as not filled in."""
        out = set()
        for key, value in data.items():
            info = cls.model_fields.get(key) if isinstance(key, str) else None
            if (
                info is not None
                and key not in cls.keep_blank
                and (
                    value is None
                    or (isinstance(value, str) and not value.strip())
                    or (isinstance(value, dict) and not info.is_required() and _blank(value))
                )
            ):
                out.add(key)
        return out


class Head(Strict):
    name: ShortLine
    phone: Annotated[str, NumText, AfterValidator(_phone)]


class Contact(Strict):
    name: ShortLine
    mobile: Annotated[str, NumText, AfterValidator(_mobile)]
    email: Annotated[str, Field(max_length=100), AfterValidator(_email)]


class Industry(Strict):
    code: Annotated[str, Field(pattern=r"^[A-T]\d{4}$")]
    name: ShortLine


class Unit(Strict):
    name: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(_one_line)]
    uscc: Annotated[str, NumText, AfterValidator(_uscc)]
    address: Line
    county: ShortLine
    area_m2: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    staff: Annotated[int, Field(ge=1)]
    head: Head
    contact: Contact
    roles: Annotated[list[Role], Field(min_length=1)]
    soil_key_unit: bool
    legal_rep: ShortLine | None = None
    industry: Industry | None = None
    ownership: Literal[OWNERSHIPS] | None = None  # type: ignore[valid-type]
    founded: dt.date | None = None
    postcode: Annotated[str, NumText, Field(pattern=r"^\d{6}$")] | None = None
    products: Line | None = None
    profile: Text | None = None

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: list[str]) -> list[str]:
        if len(set(roles)) != len(roles):
            raise fail("单位类型重复")
        return roles

    @field_validator("founded")
    @classmethod
    def _founded_past(cls, founded: dt.date | None) -> dt.date | None:
        if founded is not None and founded > dt.date.today():
            raise fail(f"成立日期 {founded} 晚于今天")
        return founded


class Application(Strict):
    type: ShortLine = "无废工厂"
    date: dt.date
    summary: Text = Field(min_length=1)


class HardAnswer(Strict):
    met: bool | None = None  # None: not answered (allowed only where the item does not apply)
    note: Text | None = None


class YearData(Strict):
    output_value: Annotated[float, Field(allow_inf_nan=False)]  # 工业总产值, 万元
    general_t: Tonnes
    hazardous_t: Tonnes

    @field_validator("output_value")
    @classmethod
    def _positive_output(cls, value: float) -> float:
        if value <= 0:
            raise fail(f"工业总产值 {_num(value)} 万元必须大于 0")
        return value


class Stream(Strict):
    name: Line
    kind: Literal["hazardous", "general"]
    code: Code | None = None
    node: Line | None = None
    generated_t: Tonnes
    utilized_t: Tonnes = 0.0
    disposed_t: Tonnes = 0.0
    stored_t: Tonnes = 0.0
    destination: Line | None = None
    method: Line | None = None

    @model_validator(mode="after")
    def _check(self) -> Stream:
        if self.kind == "hazardous" and self.code and not valid_hazardous_code(self.code):
            raise PydanticCustomError("wufei_at", "code\0“{code}” 不是有效的危险废物代码", {"code": self.code})
        handled = self.utilized_t + self.disposed_t + self.stored_t
        if handled > self.generated_t * 1.05 + 1e-9:
            raise fail(
                f"利用 {_num(self.utilized_t)} + 处置 {_num(self.disposed_t)} + 贮存 "
                f"{_num(self.stored_t)} = {_num(handled)} 吨，超过产生量 {_num(self.generated_t)} 吨的 105%"
            )
        return self


class Manifests(Strict):
    total: Annotated[int, Field(ge=0)]
    electronic: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _electronic_within_total(self) -> Manifests:
        if self.electronic > self.total:
            raise PydanticCustomError(
                "wufei_at",
                "electronic\0电子联单数 {e} 大于联单总数 {t}",
                {"e": self.electronic, "t": self.total},
            )
        return self


class Waste(Strict):
    years: dict[Annotated[int, Field(ge=1990, le=2100)], YearData]
    streams: list[Stream] = Field(default_factory=list)
    manifests: Manifests


class ItemClaim(Strict):
    score: Annotated[float, Field(allow_inf_nan=False), AfterValidator(_half_points)] | None = None
    note: Text | None = None
    evidence: list[Code] = Field(default_factory=list)
    na: Annotated[str, NumText, Field(max_length=200), AfterValidator(_one_line)] | None = None

    @field_validator("na")
    @classmethod
    def _na_reason(cls, na: str | None) -> str | None:
        if na is not None and not na.strip():
            raise fail("不适用（na）必须写明理由")
        return na

    keep_blank: ClassVar[frozenset[str]] = frozenset({"na"})

    @model_validator(mode="before")
    @classmethod
    def _na_has_reason(cls, data: Any) -> Any:
        # `na:`, `na: ''` or `na: true` all mean "not applicable" without saying why.
        if isinstance(data, dict) and "na" in data:
            na = data["na"]
            if na is None or isinstance(na, bool) or (isinstance(na, str) and not na.strip()):
                raise PydanticCustomError("wufei_at", "na\0不适用（na）必须写明理由", {})
        return data

    @model_validator(mode="after")
    def _score_or_na(self) -> ItemClaim:
        if self.na is not None and self.score is not None:
            raise fail("不能同时填写自评分（score）和不适用理由（na）")
        return self


EVIDENCE_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".docx")  # FORMAT.md §1: what `build` can bind


def _evidence_suffix(value: str) -> str:
    """Only the kinds a package can carry and bind (checked against the content by loading/evidence.py)."""
    name = value.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name or "." + name.rpartition(".")[2].lower() not in EVIDENCE_SUFFIXES:
        raise fail(f"“{value}” 的文件类型不受支持，可用：{' '.join(EVIDENCE_SUFFIXES)}")
    return value


class Evidence(Strict):
    id: Annotated[str, NumText, Field(pattern=_EVIDENCE_ID.pattern)]
    title: Line
    file: Annotated[Line, AfterValidator(_evidence_suffix)] | None = None  # relative to the enterprise file


def _format_check(expected: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value != expected:
            raise fail(f"未知的文件格式 “{value}”，应为 {expected}")
        return value

    return check


class Enterprise(Strict):
    format: Annotated[str, AfterValidator(_format_check(ENTERPRISE_FORMAT))]
    rubric: str = "ganzhou-2023"
    unit: Unit
    application: Application
    compliance: dict[str, HardAnswer] = Field(default_factory=dict)
    waste: Waste
    items: dict[str, ItemClaim] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)


# --- county evaluation (FORMAT.md §5) -------------------------------------------------------


class EnterpriseEvaluation(Strict):
    received: dt.date | None = None
    evaluated: dt.date | None = None
    scores: dict[str, Annotated[float, Field(allow_inf_nan=False), AfterValidator(_half_points)]] = Field(
        default_factory=dict
    )
    compliance: dict[str, bool] = Field(default_factory=dict)
    opinion: Text | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> EnterpriseEvaluation:
        if self.received and self.evaluated and self.evaluated < self.received:
            raise PydanticCustomError(
                "wufei_at", "evaluated\0验收日期 {e} 早于受理日期 {r}", {"e": self.evaluated, "r": self.received}
            )
        return self


class Evaluation(Strict):
    format: Annotated[str, AfterValidator(_format_check(EVALUATION_FORMAT))]
    county: ShortLine
    evaluators: list[ShortLine] = Field(default_factory=list)
    enterprises: dict[Code, EnterpriseEvaluation] = Field(default_factory=dict)
