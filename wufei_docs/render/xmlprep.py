"""Template XML → Jinja source: docxtpl's tag clean-up plus our `{% vmerge %}` cell tag.

Word stores `{{ unit.name }}` as XML that may be cut into several runs; docxtpl's `patch_xml`
joins such tags and turns `{%tr %}`/`{%p %}`/`{%tc %}`/`{%r %}` into loops over whole rows,
paragraphs, cells and runs. On top of that, `{% vmerge EXPR %}` written in a table cell sets the
cell's vertical merge from data (EXPR gives "restart", "continue" or ""), which is how 附件1 merges
category cells over a variable number of rows. This runs once per template (results are cached).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

# Children of <w:tcPr> that must come after <w:vMerge> (ECMA-376 order).
_AFTER_VMERGE = (
    "tcBorders|shd|noWrap|tcMar|textDirection|tcFitText|vAlign|hideMark|headers|cellIns|cellDel|cellMerge|tcPrChange"
)
_VMERGE_TAG = re.compile(r"{%-?\s*vmerge\s+((?:(?!%}).)+?)\s*-?%}", re.DOTALL)
_TC = re.compile(r"<w:tc[ >](?:(?!<w:tc[ >]).)*?</w:tc>", re.DOTALL)
_PARAGRAPH = re.compile(r"<w:p[ >](?:(?!<w:p[ >]).)*?</w:p>", re.DOTALL)
_TAG_START = re.compile(r"{[{%#]")


def canonical_xml(data: bytes) -> str:
    """Parse and re-serialise a part without pretty printing (docxtpl's regexes need that)."""
    from lxml import etree  # type: ignore[import-untyped]

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    root = etree.fromstring(data, parser)
    return str(etree.tostring(root, encoding="unicode"))


def has_tags(xml_text: str) -> bool:
    """True if a part mentions any Jinja delimiter (possibly split by XML tags)."""
    return _TAG_START.search(_strip_xml(xml_text)) is not None


def to_jinja(xml_text: str) -> str:
    """The Jinja source for one XML part; `\\n` precedes each paragraph so errors have useful line numbers."""
    from docxtpl import DocxTemplate  # type: ignore[import-untyped]

    src = DocxTemplate.patch_xml(_PATCHER, xml_text)
    src = _TC.sub(_vmerge_cell, src)
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", src)


def from_jinja_output(rendered: str) -> str:
    """Undo the line-number newlines added by `to_jinja`."""
    return rendered.replace("\n<w:p>", "<w:p>").replace("\n<w:p ", "<w:p ")


class _Patcher:
    """patch_xml never touches `self`; this stands in for a DocxTemplate instance."""


_PATCHER = _Patcher()


def _vmerge_cell(m: re.Match[str]) -> str:
    cell = m.group(0)
    tag = _VMERGE_TAG.search(cell)
    if tag is None:
        return cell
    expr = tag.group(1)
    cell = _VMERGE_TAG.sub("", cell)
    vmerge = (
        f"{{% set _vm = ({expr}) %}}"
        '{% if _vm == "restart" %}<w:vMerge w:val="restart"/>{% elif _vm == "continue" %}<w:vMerge/>{% endif %}'
    )
    cell = re.sub(r"<w:vMerge[^>]*/>", "", cell)
    if "<w:tcPr>" not in cell and "<w:tcPr " not in cell:
        return re.sub(r"^(<w:tc[^>]*>)", r"\1<w:tcPr>" + vmerge.replace("\\", "\\\\") + "</w:tcPr>", cell)
    after = re.search(rf"<w:(?:{_AFTER_VMERGE})[ />]|</w:tcPr>", cell)
    assert after is not None
    return cell[: after.start()] + vmerge + cell[after.start() :]


def _strip_xml(xml_text: str) -> str:
    return re.sub(r"<[^>]*>", "", xml_text)


@dataclass(frozen=True)
class SplitTag:
    """A Jinja tag whose characters are spread over several runs (fragile when edited in Word)."""

    tag: str
    paragraph: str


def split_tags(xml_text: str) -> list[SplitTag]:
    """Tags that Word cut into several `<w:r>` runs, with the paragraph's text for the report."""
    out: list[SplitTag] = []
    for m in _PARAGRAPH.finditer(xml_text):
        para = m.group(0)
        texts = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)
        joined = "".join(texts)
        for tag in re.finditer(r"{%.*?%}|{{.*?}}|{#.*?#}", joined, re.DOTALL):
            if not any(tag.group(0) in t for t in texts):
                out.append(SplitTag(_unescape(tag.group(0)), _unescape(paragraph_text(para))))
    return out


def paragraph_text(xml_fragment: str) -> str:
    """The visible text of an XML fragment (runs joined), for error messages."""
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml_fragment))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


# --- styles a generated document carries ------------------------------------------------------------

_STYLE_REF = re.compile(
    rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink|defaultTableStyle|clickAndTypeStyle) w:val="([^"]*)"'
)
_STYLE = re.compile(rb"<w:style\b[^>]*[^/]>.*?</w:style>", re.DOTALL)
_STYLE_ID = re.compile(rb'\bw:styleId="([^"]*)"')
_STYLE_DEFAULT = re.compile(rb'\bw:default="(?:1|true|on)"')
_STYLE_LINKS = re.compile(rb'<w:(?:basedOn|next|link) w:val="([^"]*)"')
_LATENT = re.compile(rb"<w:latentStyles\b(?:[^>]*/>|.*?</w:latentStyles>)", re.DOTALL)


def used_styles_only(styles: bytes, parts: list[bytes]) -> bytes:
    """styles.xml keeping only the styles the other parts use (with the styles they are based on, link to
    or are followed by) and the defaults, without the latent-style table. Word's default template carries
    ~350 KB of table and list styles no generated document uses; without them each document is half the
    size, quicker to zip, copy, open and convert, and looks the same (its PDF pages are pixel-identical).
    The template itself keeps them all for whoever restyles it in Word. A style named by a template tag
    (`w:val="{{ … }}"`) could be any: then nothing is dropped."""
    used = {m for part in parts for m in _STYLE_REF.findall(part)}
    if any(b"{" in v or b"%" in v for v in used):
        return styles
    found: dict[bytes, re.Match[bytes]] = {}
    for m in _STYLE.finditer(styles):
        sid = _STYLE_ID.search(m.group(0))
        if sid is None:
            return styles  # not what Word writes: leave it alone
        found[sid.group(1)] = m
    keep = used | {sid for sid, m in found.items() if _STYLE_DEFAULT.search(m.group(0)[: m.group(0).find(b">")])}
    todo = list(keep)
    while todo:
        style = found.get(todo.pop())
        for ref in _STYLE_LINKS.findall(style.group(0)) if style is not None else ():
            if ref not in keep:
                keep.add(ref)
                todo.append(ref)
    dropped = [m.span() for sid, m in found.items() if sid not in keep]
    out, last = [], 0
    for start, end in sorted(dropped):
        out.append(styles[last:start])
        last = end
    out.append(styles[last:])
    return _LATENT.sub(b"", b"".join(out), count=1)


# --- what a template may carry into every document --------------------------------------------------

_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RELATIONSHIP = re.compile(
    rb"<(?:\w+:)?Relationship\b[^>]*?/>|<(?:\w+:)?Relationship\b[^>]*?>.*?</(?:\w+:)?Relationship>", re.DOTALL
)
_ATTRIBUTE = rb'\b%s\s*=\s*"([^"]*)"'
_ATTACHED_TEMPLATE = re.compile(rb"<(?:\w+:)?attachedTemplate\b[^>]*/>")
_LINK_SCHEMES = ("http://", "https://", "mailto:")
ATTACHED_TEMPLATE = "/attachedTemplate"
HYPERLINK = "/hyperlink"


def has_declaration(data: bytes) -> bool:
    """A DOCTYPE or ENTITY declaration anywhere in an XML part (UTF-8 or UTF-16): Word never writes one,
    and LibreOffice and other readers refuse documents that carry it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2] in (b"<\x00", b"\x00<"):
        try:
            text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else
                               "utf-16-le" if data[:1] == b"<" else "utf-16-be")  # fmt: skip
        except UnicodeDecodeError:
            return True  # not text we can read: refuse rather than guess
    else:
        text = data.decode("utf-8", errors="replace")
    return _DECLARATION.search(text) is not None


@dataclass(frozen=True)
class ExternalLinks:
    """The external relationships of one .rels part: what is kept, and what cannot be."""

    rels: bytes  # the part without the attachedTemplate link
    dropped_template: bool  # an attachedTemplate link was removed (its <w:attachedTemplate> must go too)
    refused: tuple[str, ...]  # targets of external links other than web hyperlinks


def external_links(rels: bytes) -> ExternalLinks:
    """Hyperlinks to http(s)/mailto stay; a link to an attached template (Word fetches it on opening,
    from the network if it is remote) is dropped; any other external target (a remote image, an OLE
    object, a frame, a hyperlink to a file or share) is refused."""
    dropped, refused = False, []
    out, last = [], 0
    for m in _RELATIONSHIP.finditer(rels):
        rel = m.group(0)
        if _attribute(rel, b"TargetMode") != "External":
            continue
        kind, target = _attribute(rel, b"Type"), _attribute(rel, b"Target")
        if kind.endswith(HYPERLINK) and target.lower().startswith(_LINK_SCHEMES):
            continue
        if kind.endswith(ATTACHED_TEMPLATE):
            out.append(rels[last : m.start()])
            last, dropped = m.end(), True
        else:
            refused.append(target)
    out.append(rels[last:])
    return ExternalLinks(b"".join(out), dropped, tuple(refused))


# Field codes that make Word fetch a file or run a program when the document opens or fields update.
_OUTSIDE_FIELD = re.compile(
    rb'(?:<w:instrText\b[^>]*>|\bw:instr=")\s*(INCLUDEPICTURE|INCLUDETEXT|LINK|DDEAUTO|DDE|IMPORT)\b', re.IGNORECASE
)


def outside_fields(xml: bytes) -> list[str]:
    """INCLUDEPICTURE, INCLUDETEXT, LINK, DDE… fields in a part: each reads something outside the document."""
    return sorted({m.group(1).decode().upper() for m in _OUTSIDE_FIELD.finditer(xml)})


def without_attached_template(settings: bytes) -> bytes:
    return _ATTACHED_TEMPLATE.sub(b"", settings)


def rels_source(rels_name: str) -> str:
    """word/_rels/settings.xml.rels → word/settings.xml (the part a .rels file belongs to)."""
    folder, _, file = rels_name.rpartition("_rels/")
    return folder + file.removesuffix(".rels")


def _attribute(element: bytes, name: bytes) -> str:
    m = re.search(_ATTRIBUTE % name, element)
    return _unescape(m.group(1).decode("utf-8", "replace")) if m else ""
