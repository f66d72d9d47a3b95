"""wufei_docs._uscc agrees with python-stdnum (the reference) on every code, valid or not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as reference
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from wufei_docs._uscc import ALPHABET, UsccError, check_digit, compact, is_valid, validate

_CHARS = ALPHABET + "IOZSVabc -０１2"


def _reference_kind(value: str) -> str | None:
    try:
        reference.validate(value)
    except InvalidLength:
        return "length"
    except InvalidChecksum:
        return "checksum"
    except ValidationError:
        return "format"
    return None


def _kind(value: str) -> str | None:
    try:
        validate(value)
    except UsccError as e:
        return e.kind
    return None


@given(st.text(alphabet=_CHARS, min_size=0, max_size=22))
def test_same_verdict_as_stdnum_on_any_text(value: str) -> None:
    assert _kind(value) == _reference_kind(value)
    assert is_valid(value) == reference.is_valid(value)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.text(alphabet=ALPHABET, min_size=9, max_size=9))
def test_check_digit_as_stdnum(head: str, body: str) -> None:
    first17 = head + body
    assert check_digit(first17) == reference.calc_check_digit(first17)
    assert validate(first17 + check_digit(first17)) == first17 + check_digit(first17)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("91110000600037341L", None),
        ("9111 0000-6000 37341l", None),  # as copied from a licence
        ("91110000600037341", "length"),
        ("A1110000600037341L", "format"),
        ("91110000600037341I", "format"),
        ("91110000600037341K", "checksum"),
    ],
)
def test_known_codes(value: str, kind: str | None) -> None:
    assert _kind(value) == kind
    if kind is None:
        assert validate(value) == compact(value)
