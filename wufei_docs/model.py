"""The enterprise file as strict, typed models (FORMAT.md §1) plus the county evaluation (§5).

Field-level rules live here (types, ranges, formats, check digits); rules that need the rubric or
several sections at once live in `validation.py`. Unknown fields are errors, never silence.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
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
        if value.bit_length() > 256:  # str() refuses more than 4300 digits; no code is that long
            raise fail("数字过长")
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


_TEMPLATE_TEXT = re.compile(r"（请[^（）]*）")


def _not_template(value: str) -> str:
    # `wufei init` writes （请填写单位简介） and （请概述…） as examples: they must not reach a document.
    m = _TEMPLATE_TEXT.search(value)
    if m:
        raise fail(f"仍是模板的示例文字“{m.group(0)}”，请改为实际内容")
    return value


_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _name_like(value: str) -> str:
    """Names that also become folder and file names (企业/<单位名称>/, 支撑材料/<编号>-<名称>): no bidi
    controls (`赣州\u202egnp.exe` would show as `赣州exe.png`), and at least one letter or digit."""
    m = _BIDI.search(value)
    if m:
        raise fail(f"不能包含文字方向控制字符 U+{ord(m.group(0)):04X}")
    visible = [ch for ch in value if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Mn", "Me")]
    if not visible:
        raise fail("不能只包含空白或不可见字符")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in visible):
        raise fail(f"“{value}” 应包含文字或数字（不能只有标点符号）")
    return value


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
    from wufei_docs._uscc import UsccError, validate

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
    if value > MAX_SCORE:
        raise fail(f"{_num(value)} 过大")
    doubled = value * 2
    if doubled != int(doubled):
        raise fail(f"{_num(value)} 不是 0.5 的整数倍")
    return value


def _num(value: float) -> str:
    return f"{value:g}"


# --- bounds: every number is range-checked before any arithmetic (README “数值范围”) -------------------

MAX_TONNES = 1e8  # 1 亿吨: far above any one factory's yearly waste
MIN_TONNES = 0.001  # 1 千克, unless 0
MAX_OUTPUT = 1e9  # 万元 (10 万亿元)
MIN_OUTPUT = 0.01  # 万元 (100 元): smaller values only make the intensity meaningless
MAX_AREA = 1e8  # 平方米 (100 平方公里)
MAX_STAFF = 1_000_000
MAX_COUNT = 10_000_000  # 转移联单
MAX_SCORE = 1000.0


def _no_bool(value: Any) -> Any:
    # YAML `true` is not a number (pydantic would read it as 1).
    if isinstance(value, bool):
        raise fail(f"应为数字，不能填写 {'true' if value else 'false'}（是/否）")
    return value


def _bounded(low: float, high: float, unit: str, *, low_open: bool = False) -> Callable[[Any], Any]:
    """A range check whose message names the bound in the field's unit (e.g. 不能大于 1 亿吨)."""

    def check(value: Any) -> Any:
        if value < low or (low_open and value == low):
            raise fail(f"{shown(value)} {'应大于' if low_open else '不能小于'} {shown(low)} {unit}")
        if value > high:
            raise fail(f"{shown(value)} 超出合理范围（不能大于 {shown(high)} {unit}）")
        return value

    return check


def shown(value: float) -> str:
    """A number as a reader writes it: 100000000.001, 1 亿, 100 万, 1e+30 only when astronomically large."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.15g}"
    if isinstance(value, int) and value.bit_length() > 60:  # str() refuses more than 4300 digits
        return f"{'-' if value < 0 else ''}约 10 的 {int(value.bit_length() * 0.30103)} 次方"
    if abs(value) >= 1e18:
        return f"{value:.4g}"
    number = int(value)
    for size, word in ((100_000_000, "亿"), (10_000, "万")):
        if number and number % size == 0 and abs(number) >= size:
            return f"{number // size} {word}"
    return str(number)


NoBool = BeforeValidator(_no_bool)


def _output_value(value: float) -> float:
    if value <= 0:
        raise fail(f"工业总产值 {_num(value)} 万元必须大于 0")
    if value < MIN_OUTPUT:
        raise fail(f"工业总产值 {shown(value)} 万元过小（单位为万元，不能小于 {shown(MIN_OUTPUT)}）")
    if value > MAX_OUTPUT:
        raise fail(f"工业总产值 {shown(value)} 万元超出合理范围（不能大于 {shown(MAX_OUTPUT)} 万元）")
    return value


def _plausible_date(value: dt.date) -> dt.date:
    if not 2000 <= value.year <= 2100:
        raise fail(f"日期 {value} 不在 2000 年至 2100 年之间")
    return value


BAD: Any = type("Bad", (), {"__repr__": lambda self: "BAD", "__bool__": lambda self: False})()
"""A field that failed validation, in the partial values that cross-field rules read (loading.walk)."""


def known(values: Any, *names: str) -> bool:
    """Whether every named field is present and valid (cross-field rules run only then)."""
    return all(values.get(n, BAD) is not BAD for n in names)


CrossProblem = tuple[tuple[str, ...], str]


Line = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line), AfterValidator(_not_template)]
ShortLine = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_one_line), AfterValidator(_not_template)]
Text = Annotated[str, Field(max_length=20000), AfterValidator(_multi_line), AfterValidator(_not_template)]


def _whole_kilograms(value: float) -> float:
    # Below 1 kg the 产生强度 of one year can be 10^20 times another's, beyond what the documents can state.
    if 0 < value < MIN_TONNES:
        raise fail(f"{shown(value)} 吨过小（最小单位 0.001 吨，即 1 千克；没有请填 0）")
    return value


Tonnes = Annotated[
    float,
    NoBool,
    Field(allow_inf_nan=False),
    AfterValidator(_bounded(0, MAX_TONNES, "吨")),
    AfterValidator(_whole_kilograms),
]
NumText = BeforeValidator(_numbers_as_text)
Code = Annotated[str, NumText, Field(max_length=100), AfterValidator(_one_line)]  # codes, ids, USCC keys


def _blank(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, dict) and all(_blank(v) for v in value.values())


class Strict(BaseModel):
    """Forbids unknown fields; blank cells/values count as not filled in (so 'missing', not 'bad').

    Rules between fields of one model live in `cross`, a function of the field values that yields every
    problem: pydantic runs it on a whole valid model (the first problem fails it), and loading.walk runs it
    on whatever fields are valid when others are not, so one pass reports every problem."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    keep_blank: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_blank(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        blank = cls.blank_fields(data)
        return {k: v for k, v in data.items() if k not in blank} if blank else data

    @model_validator(mode="after")
    def _cross_fields(self) -> Strict:
        for loc, message in self.cross(self.__dict__):
            raise PydanticCustomError("wufei_at", "\0".join([*loc, message])) if loc else fail(message)
        return self

    @classmethod
    def cross(cls, values: Mapping[str, Any]) -> Iterator[CrossProblem]:
        """Problems between fields; `values` may hold BAD for fields that failed (check with `known`)."""
        return iter(())

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


def _unique_roles(roles: list[str]) -> list[str]:
    if len(set(roles)) != len(roles):
        raise fail("单位类型重复")
    return roles


def _not_future(founded: dt.date) -> dt.date:
    if founded > dt.date.today():
        raise fail(f"成立日期 {founded} 晚于今天")
    if founded.year < 1800:
        raise fail(f"成立日期 {founded} 早于 1800 年")
    return founded


class Unit(Strict):
    name: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(_one_line), AfterValidator(_name_like)]
    uscc: Annotated[str, NumText, AfterValidator(_uscc)]
    address: Line
    county: ShortLine
    area_m2: Annotated[
        float, NoBool, Field(allow_inf_nan=False), AfterValidator(_bounded(0, MAX_AREA, "平方米", low_open=True))
    ]
    staff: Annotated[int, NoBool, AfterValidator(_bounded(1, MAX_STAFF, "人"))]
    head: Head
    contact: Contact
    roles: Annotated[list[Role], Field(min_length=1), AfterValidator(_unique_roles)]
    soil_key_unit: bool
    legal_rep: ShortLine | None = None
    industry: Industry | None = None
    ownership: Literal[OWNERSHIPS] | None = None  # type: ignore[valid-type]
    founded: Annotated[dt.date, AfterValidator(_not_future)] | None = None
    postcode: Annotated[str, NumText, Field(pattern=r"^\d{6}$")] | None = None
    products: Line | None = None
    profile: Text | None = None


class Application(Strict):
    type: ShortLine = "无废工厂"
    date: Annotated[dt.date, AfterValidator(_plausible_date)]
    summary: Annotated[Text, Field(min_length=1)]


class HardAnswer(Strict):
    met: bool | None = None  # None: not answered (allowed only where the item does not apply)
    note: Text | None = None


class YearData(Strict):
    output_value: Annotated[  # 工业总产值, 万元
        float, NoBool, Field(allow_inf_nan=False), AfterValidator(_output_value)
    ]
    general_t: Tonnes
    hazardous_t: Tonnes


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

    @classmethod
    def cross(cls, values: Mapping[str, Any]) -> Iterator[CrossProblem]:
        code = values.get("code")
        hazardous = known(values, "kind", "code") and values["kind"] == "hazardous"
        if hazardous and code and not valid_hazardous_code(code):
            yield ("code",), f"“{code}” 不是有效的危险废物代码"
        if known(values, "generated_t", "utilized_t", "disposed_t", "stored_t"):
            generated = values["generated_t"]
            handled = values["utilized_t"] + values["disposed_t"] + values["stored_t"]
            if handled > generated * 1.05 + 1e-9:
                yield (
                    (),
                    (
                        f"利用 {_num(values['utilized_t'])} + 处置 {_num(values['disposed_t'])} + 贮存 "
                        f"{_num(values['stored_t'])} = {_num(handled)} 吨，超过产生量 {_num(generated)} 吨的 105%"
                    ),
                )


class Manifests(Strict):
    total: Annotated[int, NoBool, AfterValidator(_bounded(0, MAX_COUNT, "份"))]
    electronic: Annotated[int, NoBool, AfterValidator(_bounded(0, MAX_COUNT, "份"))]

    @classmethod
    def cross(cls, values: Mapping[str, Any]) -> Iterator[CrossProblem]:
        if known(values, "total", "electronic") and values["electronic"] > values["total"]:
            yield ("electronic",), f"电子联单数 {values['electronic']} 大于联单总数 {values['total']}"


class Waste(Strict):
    years: dict[Annotated[int, NoBool, Field(ge=1990, le=2100)], YearData]
    streams: list[Stream] = Field(default_factory=list)
    manifests: Manifests


def _na_given(value: Any) -> Any:
    # `na:`, `na: ''` or `na: true` all mean "not applicable" without saying why.
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        raise fail("不适用（na）必须写明理由")
    return value


Score = Annotated[float, NoBool, Field(allow_inf_nan=False), AfterValidator(_half_points)]


class ItemClaim(Strict):
    score: Score | None = None
    note: Text | None = None
    evidence: list[Code] = Field(default_factory=list)
    na: Annotated[
        Annotated[str, NumText, Field(max_length=200), AfterValidator(_one_line), AfterValidator(_not_template)] | None,
        BeforeValidator(_na_given),
    ] = None

    keep_blank: ClassVar[frozenset[str]] = frozenset({"na"})

    @classmethod
    def cross(cls, values: Mapping[str, Any]) -> Iterator[CrossProblem]:
        if known(values, "na", "score") and values.get("na") is not None and values.get("score") is not None:
            yield (), "不能同时填写自评分（score）和不适用理由（na）"


EVIDENCE_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".docx")  # FORMAT.md §1: what `build` can bind


def _evidence_suffix(value: str) -> str:
    """Only the kinds a package can carry and bind (checked against the content by loading/evidence.py)."""
    name = value.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name or "." + name.rpartition(".")[2].lower() not in EVIDENCE_SUFFIXES:
        raise fail(f"“{value}” 的文件类型不受支持，可用：{' '.join(EVIDENCE_SUFFIXES)}")
    return value


class Evidence(Strict):
    id: Annotated[str, NumText, Field(pattern=f"^{_EVIDENCE_ID.pattern}$")]
    title: Annotated[Line, AfterValidator(_name_like)]
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
    received: Annotated[dt.date, AfterValidator(_plausible_date)] | None = None
    evaluated: Annotated[dt.date, AfterValidator(_plausible_date)] | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    compliance: dict[str, bool] = Field(default_factory=dict)
    opinion: Text | None = None

    @classmethod
    def cross(cls, values: Mapping[str, Any]) -> Iterator[CrossProblem]:
        received, evaluated = values.get("received"), values.get("evaluated")
        if known(values, "received", "evaluated") and received and evaluated and evaluated < received:
            yield ("evaluated",), f"验收日期 {evaluated} 早于受理日期 {received}"


class CountyContact(Strict):
    """联系人/联系电话 of the 推荐函."""

    name: ShortLine
    phone: Annotated[str, NumText, AfterValidator(_phone)]


class Evaluation(Strict):
    format: Annotated[str, AfterValidator(_format_check(EVALUATION_FORMAT))]
    county: ShortLine
    evaluators: list[ShortLine] = Field(default_factory=list)
    enterprises: dict[Code, EnterpriseEvaluation] = Field(default_factory=dict)
    contact: CountyContact | None = None
