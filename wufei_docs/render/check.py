"""`wufei templates check`: lint a folder of restyled templates before a build finds the problems.

Syntax errors, unknown variables, tags split across runs, and a render with sample data (an enterprise's
or a county's, so this module sits above the stages whose sample views it borrows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wufei_docs.errors import TemplateError
from wufei_docs.render.templates import CITY_TEMPLATE_NAMES, COUNTY_TEMPLATE_NAMES, USER_TEMPLATE_NAMES


@dataclass
class Finding:
    template: str
    level: str  # "错误" | "提示"
    message: str

    def __str__(self) -> str:
        return f"{self.template}: [{self.level}] {self.message}"


@dataclass
class CheckReport:
    folder: Path
    checked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # names that fall back to the built-in template
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "错误"]


def check_templates(folder: Path) -> CheckReport:
    """Lint the templates in `folder`: syntax errors, unknown variables, tags split across runs."""
    if not folder.is_dir():
        raise TemplateError(f"模板文件夹 {folder} 不存在或不是文件夹")
    report = CheckReport(folder)
    for name in USER_TEMPLATE_NAMES:
        path = folder / name
        if not path.is_file():
            report.missing.append(name)
            continue
        report.checked.append(name)
        report.findings += check_template(path)
    return report


def check_template(path: Path) -> list[Finding]:
    """All findings for one template file (never raises for a bad template)."""
    from wufei_docs.render import engine as render

    name = path.name
    findings = [Finding(name, "提示", _split_message(s.tag, s.paragraph)) for s in _split_tags(path)]
    findings += [Finding(name, "提示", m) for m in _attached_templates(path)]
    try:
        compiled = render.compile_docx(path, cache=False)
    except TemplateError as e:
        return [*findings, Finding(name, "错误", str(e))]
    parts = [m for m in compiled.members if isinstance(m, render.Part)]
    unknown = [Finding(name, "错误", msg) for part in parts for msg in _unknown_names(part, name)]
    if unknown:  # a sample render would only repeat the first of them
        return [*findings, *_dedupe(unknown)]
    return [*findings, *(Finding(name, "错误", msg) for msg in _render_sample(path))]


def _split_message(tag: str, paragraph: str) -> str:
    return (
        f"标签 {tag} 被拆分在多个文字块中（在 Word 中分段修改过格式），建议整体删除后重新输入"
        f"（所在段落：“{paragraph}”）"
    )


def _split_tags(path: Path) -> list[Any]:
    import zipfile

    from wufei_docs.render import xmlprep
    from wufei_docs.render.engine import read_member

    out = []
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.startswith("word/") and info.filename.endswith(".xml"):
                    out += xmlprep.split_tags(read_member(z, info, path.name).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, OSError, TemplateError):
        return []  # compile_docx reports a damaged file
    return out


def _attached_templates(path: Path) -> list[str]:
    """A link to an attached template (Word's, fetched when a document opens) is dropped at build: say so."""
    import zipfile

    from wufei_docs.render import xmlprep

    try:
        with zipfile.ZipFile(path) as z:
            rels = [z.read(i) for i in z.infolist() if i.filename.endswith(".rels") and i.file_size < 1 << 20]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return []  # compile_docx reports a damaged file
    if any(xmlprep.external_links(r).dropped_template for r in rels):
        return ["模板附加了外部模板（Word 的“文档模板”链接），生成的文档中会去掉这个链接"]
    return []


def _unknown_names(part: Any, template: str) -> list[str]:
    """Top-level names and first-level fields that the view model does not have."""
    from jinja2 import meta, nodes

    from wufei_docs.render import engine as render
    from wufei_docs.render.sandbox import is_safe_method

    env = render.environment()
    ast = env.parse(part.source)
    sample = _sample_context(template)
    known = set(sample)
    out = [
        f"未知的变量 “{n}”{_where(part.source, n)}（可用：{'、'.join(sample)}）"
        for n in sorted(meta.find_undeclared_variables(ast) - known)
    ]
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name in known and node.node.ctx == "load":
            value = sample[node.node.name]
            if isinstance(value, dict) and node.attr not in value and not is_safe_method(value, node.attr):
                ref = f"{node.node.name}.{node.attr}"
                fields = "、".join(value)
                out.append(
                    f"未知的变量 “{ref}”{_where(part.source, ref, node.lineno)}（{node.node.name} 可用字段：{fields}）"
                )
    return out


def _where(source: str, needle: str, lineno: int | None = None) -> str:
    from wufei_docs.render import engine as render

    if lineno is None:
        pattern = re.compile(r"\b" + re.escape(needle) + r"\b")
        lineno = next((i for i, line in enumerate(source.split("\n"), 1) if pattern.search(line)), None)
    return render.quote_line(source, lineno)


def _render_sample(path: Path) -> list[str]:
    """Render with sample data to catch unknown fields inside loops and runtime errors."""
    from wufei_docs.render import engine as render

    try:
        render.render_docx(path, _sample_context(path.name), cache=False)
    except TemplateError as e:
        return [str(e)]
    return []


def _sample_context(template: str) -> dict[str, Any]:
    """Sample data shaped like what the template gets: the city's, a county bundle's or an enterprise's."""
    from wufei_docs.render.samples import sample_city_context, sample_context, sample_county_context

    if template in CITY_TEMPLATE_NAMES:
        return sample_city_context(template)

    return sample_county_context() if template in COUNTY_TEMPLATE_NAMES else sample_context()


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.message not in seen:
            seen.add(f.message)
            out.append(f)
    return out
