"""Small python-docx helpers for authoring the templates in GB/T 9704 style (used by make_templates.py).

Every run gets explicit fonts (ascii, hAnsi, eastAsia, cs) and `w:hint="eastAsia"` so Chinese text, and the
quotes “” and punctuation Word would otherwise set in the Latin font, show in the intended font in Word/WPS
and fall back sanely elsewhere (LibreOffice: the aliases of wufei_docs/render/fonts.py).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from wufei_docs.files.zips import Member, write_zip

TITLE = "方正小标宋简体"
BODY = "仿宋_GB2312"
H1 = "黑体"
H2 = "楷体_GB2312"
TABLE = BODY  # one 仿宋 name: tables are set like the body
PAGE = "宋体"
LATIN = "Times New Roman"
SIZES = {"二号": 22, "三号": 16, "四号": 14, "小四": 12, "五号": 10.5}
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "distribute": WD_ALIGN_PARAGRAPH.DISTRIBUTE,
}
FIXED_TIME = dt.datetime(2023, 6, 16, 0, 0, 0)


def new_document(title: str) -> Any:
    """An empty A4 document with GB/T 9704 margins, Chinese default fonts and fixed metadata."""
    doc = Document()
    _lean(doc)
    section = doc.sections[0]
    page_setup(section)
    _defaults(doc)
    props = doc.core_properties
    props.title = title
    props.author = props.last_modified_by = "wufei-docs"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    props.comments = "wufei-docs 模板：花括号标签表示变量和循环，可调整版式，勿改变量名。"
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    return doc


def page_setup(section: Any) -> None:
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)


def _lean(doc: Any) -> None:
    """Drop parts python-docx's default template carries but a form does not need."""
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            part.drop_rel(rid)
    pkg_rels = part.package.rels
    for rid, rel in list(pkg_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del pkg_rels[rid]


def _defaults(doc: Any) -> None:
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    _set_fonts(fonts, BODY, LATIN)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    # Punctuation at the end of a full line: Word hangs it in the margin (its default, overflowPunct on).
    # LibreOffice reads w:overflowPunct inverted (writerfilter: hanging = value == 0), so without this element
    # it hangs the comma and, in a justified line, drops it from the page; w:val="1" keeps Word's default and
    # makes LibreOffice carry the comma and the character before it to the next line instead.
    overflow = OxmlElement("w:overflowPunct")
    overflow.set(qn("w:val"), "1")
    set_child(ppr, overflow)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    _set_fonts(normal.element.get_or_add_rPr().get_or_add_rFonts(), BODY, LATIN)
    for name, east, size in (("Heading 1", H1, 16), ("Heading 2", H2, 16), ("Title", TITLE, 22)):
        style = doc.styles[name]
        style.font.size = Pt(size)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = None
        rpr = style.element.get_or_add_rPr()
        for tag in ("w:color", "w:spacing", "w:kern", "w:b", "w:bCs"):
            for el in rpr.findall(qn(tag)):
                rpr.remove(el)
        fonts = rpr.get_or_add_rFonts()
        for attr in list(fonts.attrib):
            del fonts.attrib[attr]
        _set_fonts(fonts, east, LATIN)
        pf = style.paragraph_format
        pf.space_before = pf.space_after = Pt(0)
        pf.keep_with_next = True
        ppr = style.element.get_or_add_pPr()
        for el in ppr.findall(qn("w:pBdr")):
            ppr.remove(el)


def _set_fonts(rfonts: Any, east: str, latin: str) -> None:
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")  # “”、— and other shared characters in the East Asian font


def run(p: Any, text: str = "", *, font: str = BODY, size: float = 16, bold: bool = False, latin: str = LATIN) -> Any:
    """A run with explicit East Asian and Latin fonts."""
    r = p.add_run(text)
    rpr = r._r.get_or_add_rPr()
    _set_fonts(rpr.get_or_add_rFonts(), font, latin)
    r.font.size = Pt(size)
    if bold:
        r.font.bold = True
    return r


def para(
    container: Any,
    *parts: str | tuple[str, dict[str, Any]],
    font: str = BODY,
    size: float = 16,
    bold: bool = False,
    align: str = "justify",
    indent: float = 0,
    left: float = 0,
    right_chars: float = 0,
    line: float | None = 28,
    before: float = 0,
    after: float = 0,
    style: str | None = None,
    keep_next: bool = False,
    page_break_before: bool = False,
) -> Any:
    """A paragraph of runs; `parts` are strings or (string, run options); `indent` (first line) and
    `right_chars` in characters, `left` in mm."""
    p = container.add_paragraph(style=style)
    pf = p.paragraph_format
    pf.alignment = ALIGN[align]
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line is None:
        pf.line_spacing = 1.0
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    if indent:
        pf.first_line_indent = Pt(size * indent)
    if left:
        pf.left_indent = Mm(left)
    if right_chars:
        pf.right_indent = Pt(size * right_chars)
    if keep_next:
        pf.keep_with_next = True
    if page_break_before:
        pf.page_break_before = True
    for part in parts:
        text, opts = (part, {}) if isinstance(part, str) else part
        run(p, text, **{"font": font, "size": size, "bold": bold, **opts})
    _paragraph_mark_font(p, font, size)
    return p


def _paragraph_mark_font(p: Any, font: str, size: float) -> None:
    """The paragraph mark's font decides the height of empty lines (and of loop tag paragraphs).
    Replaces the mark's properties when the paragraph had some (a cell filled again after a merge)."""
    ppr = p._p.get_or_add_pPr()
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    _set_fonts(fonts, font, LATIN)
    rpr.append(fonts)
    for tag in ("w:sz", "w:szCs"):
        sz = OxmlElement(tag)
        sz.set(qn("w:val"), str(int(size * 2)))
        rpr.append(sz)
    set_child(ppr, rpr)


def page_break(doc: Any) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.line_spacing = 1.0
    run(p).add_break(WD_BREAK.PAGE)


def new_section(doc: Any, *, restart_numbering: bool = True) -> Any:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    page_setup(section)
    if restart_numbering:
        pg = OxmlElement("w:pgNumType")
        pg.set(qn("w:start"), "1")
        set_child(section._sectPr, pg)
    return section


def page_numbers(section: Any) -> None:
    """Footer “— 1 —” (宋体 四号), centred."""
    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    opts = {"font": PAGE, "size": 14, "latin": PAGE}
    run(p, "— ", **opts)
    _field_char(run(p, **opts), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run(p, **opts)._r.append(instr)
    _field_char(run(p, **opts), "separate")
    run(p, "1", **opts)
    _field_char(run(p, **opts), "end")
    run(p, " —", **opts)


def _field_char(r: Any, kind: str) -> None:
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), kind)
    r._r.append(fld)


# --- tables -------------------------------------------------------------------------------


def table(
    container: Any, widths_mm: Sequence[float], rows: int, *, borders: bool = True, margin: float | None = None
) -> Any:
    """A fixed-layout, centred table with the given column widths (and left/right cell margins in mm)."""
    t = container.add_table(rows=rows, cols=len(widths_mm))
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False  # writes the table's one w:tblLayout w:type="fixed"
    tblpr = t._tbl.tblPr
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(sum(int(Mm(w).twips) for w in widths_mm)))
    width.set(qn("w:type"), "dxa")
    set_child(tblpr, width)
    if margin is not None:
        mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(int(Mm(margin).twips)))
            el.set(qn("w:type"), "dxa")
            mar.append(el)
        set_child(tblpr, mar)
    _borders(tblpr, "single" if borders else "none")
    for i, w in enumerate(widths_mm):
        t.columns[i].width = Mm(w)
        for cell in t.columns[i].cells:
            cell.width = Mm(w)
    return t


def _borders(tblpr: Any, kind: str) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), kind)
        if kind != "none":
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    set_child(tblpr, borders)


def cell_text(
    cell: Any,
    *parts: str | tuple[str, dict[str, Any]],
    size: float = 10.5,
    font: str = TABLE,
    bold: bool = False,
    align: str = "center",
    valign: str = "center",
    line: float | None = None,
) -> Any:
    """Put one paragraph of text in a cell (replacing what is there)."""
    p = _empty_cell(cell, valign)
    _fill_cell_paragraph(p, parts, font=font, size=size, bold=bold, align=align, line=line)
    return p


def _empty_cell(cell: Any, valign: str) -> Any:
    """The cell's first paragraph, emptied (other paragraphs removed), and its vertical alignment set."""
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    p = cell.paragraphs[0]
    for r in list(p.runs):
        r._r.getparent().remove(r._r)
    cell.vertical_alignment = {
        "center": WD_CELL_VERTICAL_ALIGNMENT.CENTER,
        "top": WD_CELL_VERTICAL_ALIGNMENT.TOP,
        "bottom": WD_CELL_VERTICAL_ALIGNMENT.BOTTOM,
    }[valign]
    return p


def cell_para(cell: Any, *parts: str | tuple[str, dict[str, Any]], size: float = 10.5, font: str = TABLE,
              align: str = "left", line: float | None = None) -> Any:  # fmt: skip
    """Append another paragraph to a cell."""
    p = cell.add_paragraph()
    _fill_cell_paragraph(p, parts, font=font, size=size, bold=False, align=align, line=line)
    return p


def _fill_cell_paragraph(
    p: Any, parts: Sequence[str | tuple[str, dict[str, Any]]], *, font: str, size: float, bold: bool, align: str,
    line: float | None,
) -> None:  # fmt: skip
    """Table-cell paragraph layout (no spacing, single or exact line height) and its runs."""
    pf = p.paragraph_format
    pf.alignment = ALIGN[align]
    pf.space_before = pf.space_after = Pt(0)
    if line is None:
        pf.line_spacing = 1.0
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    for part in parts:
        text, opts = (part, {}) if isinstance(part, str) else part
        run(p, text, **{"font": font, "size": size, "bold": bold, **opts})
    _paragraph_mark_font(p, font, size)


def cell_style(doc: Any, name: str, *, size: float, font: str = TABLE) -> Any:
    """A paragraph style for the cells of a long generated table: fonts, size, no spacing, single lines.
    With it each cell carries only its style and alignment instead of the same fonts three times over:
    the 推荐名单 of 200 units is ~3x less XML to render, check and compress on every re-run."""
    from docx.enum.style import WD_STYLE_TYPE

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr.get_or_add_rFonts(), font, LATIN)
    size_cs = OxmlElement("w:szCs")
    size_cs.set(qn("w:val"), str(round(size * 2)))
    set_child(rpr, size_cs)
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing = 1.0
    pf.first_line_indent = Pt(0)
    return style


def cell_styled(cell: Any, text: str, style: Any, *, align: str = "center", valign: str = "center") -> Any:
    """One paragraph in a cell that takes its look from `style` (see cell_style)."""
    p = _empty_cell(cell, valign)
    p.style = style
    p.paragraph_format.alignment = ALIGN[align]
    r = p.add_run(text)
    fonts = r._r.get_or_add_rPr().get_or_add_rFonts()  # the style's East Asian font, named on the run too
    fonts.set(qn("w:eastAsia"), style.element.rPr.rFonts.get(qn("w:eastAsia")))
    fonts.set(qn("w:hint"), "eastAsia")
    return p


def row_height(row: Any, mm: float, *, exact: bool = False) -> None:
    row.height = Mm(mm)
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY if exact else WD_ROW_HEIGHT_RULE.AT_LEAST


def repeat_header(row: Any) -> None:
    set_child(row._tr.get_or_add_trPr(), OxmlElement("w:tblHeader"))


def cant_split(row: Any) -> None:
    set_child(row._tr.get_or_add_trPr(), OxmlElement("w:cantSplit"))


def bottom_border(cell: Any) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    borders.append(bottom)
    set_child(tcpr, borders)


def loop_row(t: Any, index: int, tag: str) -> None:
    """Turn row `index` into a docxtpl `{%tr ... %}` control row (merged into one cell)."""
    row = t.rows[index]
    first = row.cells[0].merge(row.cells[-1]) if len(row.cells) > 1 else row.cells[0]
    cell_text(first, tag, size=9, align="left")


# --- schema order -------------------------------------------------------------------------
# The children of these property elements are sequences in ECMA-376 (rPr: Word's and Strict's order):
# Word "repairs" a document with a property twice or out of order, so every property we add goes
# through set_child, which replaces the one there and inserts in this order.

_SEQUENCES = {
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
    "tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription tblPrChange",
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
    "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd "
    "snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "ins del moveFrom moveTo rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
    "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
    "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath rPrChange",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark "
    "headers cellIns cellDel cellMerge tcPrChange",
    "sectPr": "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders lnNumType "
    "pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid printerSettings "
    "sectPrChange",
    # trPr's children are a choice in the schema; one of each is all Word expects
    "trPr": "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc hidden "
    "ins del trPrChange",
}
ORDER = {parent: name.split() for parent, name in _SEQUENCES.items()}
_REPEATABLE = {"headerReference", "footerReference"}


def _local(el: Any) -> str:
    return str(el.tag).rsplit("}", 1)[-1]


def set_child(parent: Any, child: Any) -> Any:
    """Put `child` into the property element `parent` at its schema position, replacing a child of the
    same name (so no property is ever written twice or out of order)."""
    order = ORDER[_local(parent)]
    name = _local(child)
    rank = order.index(name)
    if name not in _REPEATABLE:
        for old in parent.findall(child.tag):
            parent.remove(old)
    later = next((el for el in parent if _local(el) in order and order.index(_local(el)) > rank), None)
    if later is not None:
        later.addprevious(child)
    else:
        parent.append(child)
    return child


# --- saving -------------------------------------------------------------------------------


def save(doc: Any, path: Path) -> None:
    """Save with a deterministic zip so that regenerating an unchanged template gives the same bytes."""
    buffer = io.BytesIO()
    doc.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        members = [Member.of(i.filename, _patch(i.filename, z.read(i))) for i in z.infolist()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(write_zip(members))


# Word's usual substitutes for the 公文 fonts, so a PC without e.g. 仿宋_GB2312 uses 仿宋.
_FONT_TABLE = [
    ("仿宋_GB2312", "仿宋", "modern", "fixed"),
    ("楷体_GB2312", "楷体", "modern", "fixed"),
    ("方正小标宋简体", "宋体", "auto", "variable"),
    ("仿宋", "FangSong", "modern", "fixed"),
    ("楷体", "KaiTi", "modern", "fixed"),
    ("黑体", "SimHei", "modern", "fixed"),
    ("宋体", "SimSun", "auto", "variable"),
]


def _patch(name: str, data: bytes) -> bytes:
    if name == "word/settings.xml":  # python-docx's default lacks the zoom percentage the schema requires
        data = data.replace(b'<w:zoom w:val="bestFit"/>', b'<w:zoom w:val="bestFit" w:percent="100"/>')
        return data.replace(b'w:eastAsia="ja-JP"', b'w:eastAsia="zh-CN"')  # theme fonts: Chinese, not Japanese
    if name != "word/fontTable.xml":
        return data
    entries = "".join(
        f'<w:font w:name="{font}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        for font, alt, family, pitch in _FONT_TABLE
    )
    return data.replace(b"</w:fonts>", entries.encode("utf-8") + b"</w:fonts>")
