"""Where the templates are, which one makes which document, and `wufei templates export`.

Built-in templates live in `templates/` at the top of the repository (found from the installed
package). A user folder (`--templates DIR`) may hold restyled copies under the same names; a file
missing there falls back to the built-in one.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from wufei_docs.errors import OutputError, TemplateError
from wufei_docs.files import oserrors

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
    here = Path(__file__).resolve().parents[1]  # the package root
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
        raise OutputError(oserrors.message(e, folder)) from None
    return targets
