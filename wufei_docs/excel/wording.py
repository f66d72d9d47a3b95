"""Validation messages in a workbook user's words: the sheet, the column and the value to choose, never the
YAML spelling of a field (`met: true`, `compliance`, `na`)."""

from __future__ import annotations

import re

from wufei_docs.excel.sheets import EVIDENCE, HARD, MET, NO, UNMET, YES

# (YAML wording, workbook wording); applied in order, each as a plain substring replacement
_PHRASES: tuple[tuple[str, str], ...] = (
    ("请填写 met: true 或 false", f"请选择“{MET}”或“{UNMET}”"),
    ("请在 compliance 中填写 true 或 false", f"请在“{HARD}”工作表中选择“{MET}”或“{UNMET}”"),
    ("请在 compliance 中填写是否满足", f"请在“{HARD}”工作表中选择“{MET}”或“{UNMET}”"),
    ("未在 evidence 中列出", f"未在“{EVIDENCE}”工作表中列出"),
    ("不能同时填写自评分（score）和不适用理由（na）", "不能同时填写自评分和不适用理由"),
    ("不适用（na）必须写明理由", "请填写不适用理由"),
    ("应为 true 或 false（是/否）", f"请选择“{YES}”或“{NO}”"),
    ("不能填写 true（是/否）", f"不能填写“{YES}”"),
    ("不能填写 false（是/否）", f"不能填写“{NO}”"),
    ("应为键值对（映射）", "格式不正确"),
    ("应为列表", "格式不正确"),
)
_YAML_WORDS = re.compile(r"YAML ?")


def workbook_message(message: str) -> str:
    for yaml_words, words in _PHRASES:
        message = message.replace(yaml_words, words)
    return _YAML_WORDS.sub("", message)
