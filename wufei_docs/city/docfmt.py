"""Official-document formatting (GB/T 9704-2012 habits) for documents built directly with python-docx.

Kept apart from what the city documents *say*, so it can later be folded together with the template
tooling: A4 page and margins, title / body / heading / table fonts with `w:eastAsia` on every run,
page numbers “— 1 —”, and byte-reproducible .docx/.xlsx files (fixed zip timestamps and properties).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

TITLE_FONT, TITLE_PT = "方正小标宋简体", 22  # 二号
BODY_FONT, BODY_PT = "仿宋_GB2312", 16  # 三号
H1_FONT, H2_FONT = "黑体", "楷体_GB2312"
TABLE_FONT, TABLE_PT = "仿宋", 12  # 小四
PAGE_NUMBER_FONT, PAGE_NUMBER_PT = "宋体", 14  # 四号
LATIN_FONT = "Times New Roman"
LINE_PT = 28  # fixed line spacing of the body (about 22 lines a page)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
CELL_MARGIN_TWIPS = 57  # 1 mm
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def number(value: float | None) -> str:
    """98.0 → "98", 96.5 → "96.5", None → "—"."""
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def new_document(title: str, author: str, day: dt.date) -> DocxDocument:
    """An empty A4 document with official margins, body defaults and a “— 1 —” page number footer."""
    from docx import Document
    from docx.shared import Mm

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    _default_font(doc)
    _page_numbers(section.footer.paragraphs[0])
    when = dt.datetime(day.year, day.month, day.day)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.created, props.modified, props.revision = when, when, 1
    props.comments = props.keywords = props.subject = props.category = ""
    return doc


def set_font(run: Run, east_asia: str, size_pt: float, *, bold: bool = False, latin: str = LATIN_FONT) -> Run:
    """Set the run's fonts explicitly, East Asian font included (Word otherwise falls back to its own)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size_pt)
    run.font.bold = bold
    run.font.name = latin
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        fonts.set(qn(attr), value)
    return run


def title(doc: DocxDocument, text: str) -> Paragraph:
    """The document title: 方正小标宋简体 二号, centred, a blank line's space below."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p, line_pt=35, after_pt=LINE_PT)
    set_font(p.add_run(text), TITLE_FONT, TITLE_PT, latin=TITLE_FONT)
    p.paragraph_format.space_before = Pt(0)
    return p


def body(doc: DocxDocument, text: str, *, indent: bool = True, align: str = "justify") -> Paragraph:
    """A body paragraph: 仿宋_GB2312 三号, first line indented two characters."""
    from docx.shared import Pt

    p = doc.add_paragraph()
    _align(p, align)
    _spacing(p)
    if indent:
        p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    if text:
        set_font(p.add_run(text), BODY_FONT, BODY_PT)
    return p


def heading(doc: DocxDocument, text: str, level: int = 1) -> Paragraph:
    """一、 headings in 黑体, （一） headings in 楷体_GB2312, both 三号 and indented like the body."""
    from docx.shared import Pt

    p = doc.add_paragraph()
    _spacing(p)
    p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    set_font(p.add_run(text), H1_FONT if level == 1 else H2_FONT, BODY_PT)
    return p


def signature(doc: DocxDocument, issuer: str, day: dt.date) -> None:
    """Issuer and date at the right, four characters in from the margin, after a blank line."""
    from docx.shared import Pt

    body(doc, "", indent=False)
    for text in (issuer, chinese_date(day)):
        p = body(doc, text, indent=False, align="right")
        p.paragraph_format.right_indent = Pt(BODY_PT * 2)


def table(
    doc: DocxDocument,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths_mm: Sequence[float],
    *,
    centred: Sequence[bool] | None = None,
) -> Table:
    """A grid table in 仿宋 小四; header row bold and repeated on every page."""
    from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    centred = centred or [True] * len(headers)
    t: Table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for c, width in enumerate(widths_mm):
        t.columns[c].width = Mm(width)  # the grid LibreOffice and WPS lay out by
    for r, values in enumerate([list(headers), *[list(row) for row in rows]]):
        for c, value in enumerate(values):
            cell = t.cell(r, c)
            cell.width = Mm(widths_mm[c])
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
            p = cell.paragraphs[0]
            _align(p, "center" if r == 0 or centred[c] else "left")
            _spacing(p, line_pt=None)
            set_font(p.add_run("" if value is None else str(value)), TABLE_FONT, TABLE_PT, bold=r == 0)
    _cell_margins(t, CELL_MARGIN_TWIPS)
    header_props = t.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_props.append(repeat)
    return t


def _cell_margins(t: Table, twips: int) -> None:
    """Narrow left/right cell padding, so an 18-character USCC fits its column on one line."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tblpr = t._tbl.tblPr
    look = tblpr.find(qn("w:tblLook"))  # the schema wants w:tblCellMar before w:tblLook
    if look is not None:
        look.addprevious(margins)
    else:
        tblpr.append(margins)


def docx_bytes(doc: DocxDocument) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return reproducible_zip(buf.getvalue())


def reproducible_zip(data: bytes, modified: dt.datetime | None = None) -> bytes:
    """Rewrite an OOXML zip with fixed timestamps (and, given `modified`, a fixed dcterms:modified)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "word/settings.xml":  # python-docx's default lacks the required zoom percentage
                content = content.replace(b'<w:zoom w:val="bestFit"/>', b'<w:zoom w:val="bestFit" w:percent="100"/>')
            if modified is not None and info.filename == "docProps/core.xml":
                stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = _MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _default_font(doc: DocxDocument) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)


def _page_numbers(p: Paragraph) -> None:
    """Footer “— N —” with a PAGE field, centred."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_PT)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        run = set_font(p.add_run(), PAGE_NUMBER_FONT, PAGE_NUMBER_PT)
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        elif kind == "text":
            run.text = text or ""
            continue
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._element.append(el)
    set_font(p.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_PT)


def _align(p: Paragraph, how: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[how]


def _spacing(p: Paragraph, *, line_pt: float | None = LINE_PT, after_pt: float = 0) -> None:
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(after_pt)
    if line_pt is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line_pt)


def xlsx_bytes(wb: Any, day: dt.date) -> bytes:
    """Save an openpyxl workbook with fixed properties and timestamps (reproducible bytes)."""
    when = dt.datetime(day.year, day.month, day.day)
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps "modified" with the clock while saving
    return reproducible_zip(buf.getvalue(), modified=when)
