"""Where the templates are, which one makes which document, and `wufei templates export/check`.

Built-in templates live in `templates/` at the top of the repository (found from the installed
package). A user folder (`--templates DIR`) may hold restyled copies under the same names; a file
missing there falls back to the built-in one.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError, TemplateError

REPORT = "申报书.docx"
SHEET = "附件1-评价指标自评表.docx"
SHEET_EVALUATED = "附件1-评价指标自评表-核定.docx"
FORM = "申报表.docx"
TEMPLATE_NAMES = (REPORT, SHEET, SHEET_EVALUATED, FORM)  # an enterprise package; all in its fingerprint
COUNTY_LIST = "推荐名单.docx"
COUNTY_LETTER = "推荐函.docx"
COUNTY_TEMPLATE_NAMES = (COUNTY_LIST, COUNTY_LETTER)  # the county bundle's own documents
ALL_TEMPLATE_NAMES = (*TEMPLATE_NAMES, *COUNTY_TEMPLATE_NAMES)  # what a county bundle renders
CITY_LIST = "建设单位名单.docx"
CITY_LETTER = "报送函.docx"
CITY_NOTICE = "抽查通知.docx"
CITY_TEMPLATE_NAMES = (CITY_LIST, CITY_LETTER, CITY_NOTICE)  # wufei city publish / spotcheck
USER_TEMPLATE_NAMES = (*ALL_TEMPLATE_NAMES, *CITY_TEMPLATE_NAMES)  # what `templates export/check` cover
REVISION_NOTE = "修改说明.docx"  # built-in only: the change note is not part of what users restyle
# output file name → template name (FORMAT.md §4); the county variant of 附件1 replaces SHEET
OUTPUTS = {REPORT: REPORT, "附件1-评价指标自评表.docx": SHEET, "附件2-评估申报表.docx": FORM}


def builtin_dir() -> Path:
    """The built-in templates: the repo's templates/ (editable install) or the copy a wheel installs
    under <prefix>/share/wufei-docs/templates (pyproject data-files)."""
    here = Path(__file__).resolve().parent
    shared = Path(sys.prefix) / "share" / "wufei-docs" / "templates"
    for candidate in (here.parent / "templates", here / "templates", shared):
        if (candidate / REPORT).is_file():
            return candidate
    raise TemplateError(f"找不到内置模板（应在 {here.parent / 'templates'}），请重新安装 wufei-docs")


def template_path(name: str, templates: Path | None = None) -> Path:
    """A user template if the folder has one under this name, else the built-in one."""
    if templates is not None:
        if not templates.is_dir():
            raise TemplateError(f"模板文件夹 {templates} 不存在或不是文件夹")
        candidate = templates / name
        if candidate.is_file():
            return candidate
    return builtin_dir() / name


def templates_for(*, evaluated: bool, templates: Path | None = None) -> dict[str, Path]:
    """Output file name → template file for one build."""
    out = {}
    for output, name in OUTPUTS.items():
        if name == SHEET and evaluated:
            name = SHEET_EVALUATED
        out[output] = template_path(name, templates)
    return out


def export_templates(folder: Path, *, force: bool = False) -> list[Path]:
    """Copy the built-in templates into `folder` for local editing; never overwrite unless forced."""
    source = builtin_dir()
    targets = [folder / name for name in USER_TEMPLATE_NAMES]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        names = "、".join(t.name for t in existing)
        raise OutputError(f"{folder} 中已有 {names}；如需覆盖请加 --force")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, target in zip(USER_TEMPLATE_NAMES, targets, strict=True):
            shutil.copyfile(source / name, target)
    except OSError as e:
        raise OutputError(f"无法写入 {e.filename or folder}：{e.strerror or e}") from None
    return targets


# --- check ---------------------------------------------------------------------------------


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
    from . import render

    name = path.name
    findings = [Finding(name, "提示", _split_message(s.tag, s.paragraph)) for s in _split_tags(path)]
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

    from . import xmlprep
    from .render import read_member

    out = []
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.startswith("word/") and info.filename.endswith(".xml"):
                    out += xmlprep.split_tags(read_member(z, info, path.name).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, OSError, TemplateError):
        return []  # compile_docx reports a damaged file
    return out


def _unknown_names(part: Any, template: str) -> list[str]:
    """Top-level names and first-level fields that the view model does not have."""
    from jinja2 import meta, nodes

    from . import render

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
            if isinstance(value, dict) and node.attr not in value:
                ref = f"{node.node.name}.{node.attr}"
                fields = "、".join(value)
                out.append(
                    f"未知的变量 “{ref}”{_where(part.source, ref, node.lineno)}（{node.node.name} 可用字段：{fields}）"
                )
    return out


def _where(source: str, needle: str, lineno: int | None = None) -> str:
    from . import render

    if lineno is None:
        pattern = re.compile(r"\b" + re.escape(needle) + r"\b")
        lineno = next((i for i, line in enumerate(source.split("\n"), 1) if pattern.search(line)), None)
    return render.quote_line(source, lineno)


def _render_sample(path: Path) -> list[str]:
    """Render with sample data to catch unknown fields inside loops and runtime errors."""
    from . import render

    try:
        render.render_docx(path, _sample_context(path.name), cache=False)
    except TemplateError as e:
        return [str(e)]
    return []


def _sample_context(template: str) -> dict[str, Any]:
    """Sample data shaped like what the template gets: the city's, a county bundle's or an enterprise's."""
    if template in CITY_TEMPLATE_NAMES:
        from .city.documents import sample_city_context

        return sample_city_context(template)
    if template in COUNTY_TEMPLATE_NAMES:
        from .county_docs import sample_county_context

        return sample_county_context()
    from .samples import sample_context

    return sample_context()


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.message not in seen:
            seen.add(f.message)
            out.append(f)
    return out
