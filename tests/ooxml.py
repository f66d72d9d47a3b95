"""ECMA-376 validation of .docx/.xlsx packages, the way Word reads them (used by test_schema_valid.py).

`problems(path)` lists everything that would make Word "repair" a package, each as "part path: message":
- package: every part has a content type, every Override names a part, every internal relationship
  target exists, every r:id used in a part names one of its relationships;
- every XML part validated against the ECMA-376 transitional schemas in tests/data/ooxml-schemas/ (copied
  from the standard's XSD files) after the markup-compatibility processing Word does first: elements and
  attributes of namespaces an in-scope mc:Ignorable lists are dropped (unless the schemas define the
  namespace), mc:AlternateContent becomes its mc:Fallback, mc:* attributes go;
- what the transitional schema cannot say: w:rPr children once each and in Word's (Strict's) order, every
  table row covering the w:tblGrid, a w:vMerge continue cell below a merged cell; worksheet rows and cells
  in ascending order, cell styles that exist.

Adapted from the shared tool /work/shared/tools/ooxml/validate.py (same schemas and processing), without its
baseline: our documents are expected to have no problem at all.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "data" / "ooxml-schemas"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

# namespaces the transitional schemas define: an mc:Ignorable naming one of them does not drop it
UNDERSTOOD = {
    W, S, MC, R, PR, CT, CP, EP,
    "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
    "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "http://schemas.openxmlformats.org/schemaLibrary/2006/main",
    "urn:schemas-microsoft-com:vml",
    "urn:schemas-microsoft-com:office:office",
    "urn:schemas-microsoft-com:office:word",
    "urn:schemas-microsoft-com:office:excel",
    "http://www.w3.org/XML/1998/namespace",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/2001/XMLSchema-instance",
}  # fmt: skip

# sml.xsd imports a few namespaces more than once from different files, which libxml2 refuses
_SML_IMPORTS = {
    R,
    "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "http://schemas.microsoft.com/office/spreadsheetml/2014/revision",
    "http://schemas.microsoft.com/office/spreadsheetml/2015/revision2",
    EP,
}


def _schema(name: str, text: str | None = None) -> etree.XMLSchema:
    path = SCHEMAS / name
    source = (text if text is not None else path.read_text(encoding="utf-8")).encode("utf-8")
    return etree.XMLSchema(etree.fromstring(source, base_url=str(path)))


def _sml_text() -> str:
    seen: set[str] = set()

    def keep_once(m: re.Match[str]) -> str:
        ns = re.search(r'namespace="([^"]+)"', m.group(0))
        if ns is None or ns.group(1) not in _SML_IMPORTS or ns.group(1) in seen:
            return ""
        seen.add(ns.group(1))
        return m.group(0)

    text = (SCHEMAS / "sml.xsd").read_text(encoding="utf-8")
    return re.sub(r"<xsd:import\b[^>]*/>", keep_once, text, flags=re.S)


@cache
def schemas() -> dict[str, etree.XMLSchema]:
    """Schema by the namespace of a part's root element (content types and relationships by name)."""
    return {
        W: _schema("wml.xsd"),
        S: _schema("sml.xsd", _sml_text()),
        CP: _schema("opc-coreProperties.xsd"),
        EP: _schema("shared-documentPropertiesExtended.xsd"),
        CT: _schema("opc-contentTypes.xsd"),
        PR: _schema("opc-relationships.xsd"),
    }


def problems(path: Path | bytes) -> list[str]:
    """Everything in the package that breaks the standard (empty: Word opens it as it is)."""
    data = path.read_bytes() if isinstance(path, Path) else path
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = [i.filename for i in z.infolist()]
        out = [f"zip: duplicate member {n}" for n, c in Counter(names).items() if c > 1]
        parts = {n: z.read(n) for n in dict.fromkeys(names) if not n.endswith("/")}
    if "[Content_Types].xml" not in parts:
        return [*out, "zip: no [Content_Types].xml"]
    xml: dict[str, etree._Element] = {}
    for name, raw in parts.items():
        if name.endswith((".xml", ".rels")):
            try:
                xml[name] = etree.fromstring(raw)
            except etree.XMLSyntaxError as e:
                out.append(f"{name}: not well-formed XML: {e}")
    out += _package(parts, xml)
    for name, root in xml.items():
        ns = etree.QName(root).namespace
        schema = schemas().get(ns or "")
        if schema is None:
            continue
        root = mc_preprocess(root)
        if not schema.validate(root):
            out += [f"{name} {e.path}: {_short(e.message)}" for e in schema.error_log]
        if ns == W:
            out += [f"{name} {p}" for p in _wml_extra(root)]
        elif ns == S:
            out += [f"{name} {p}" for p in _sml_extra(root, xml.get("xl/styles.xml"))]
    return out


def _short(message: str) -> str:
    for ns, prefix in ((W, "w"), (S, "x"), (R, "r"), (CP, "cp"), (EP, "ep"), (CT, "ct"), (PR, "rel")):
        message = message.replace(f"{{{ns}}}", f"{prefix}:")
    return message


# --- markup compatibility ------------------------------------------------------------------------


def mc_preprocess(root: etree._Element) -> etree._Element:
    """A copy of the part as Word sees it after markup-compatibility processing."""
    root = etree.fromstring(etree.tostring(root))

    def walk(el: etree._Element, ignorable: frozenset[str]) -> None:
        listed = el.get(f"{{{MC}}}Ignorable")
        if listed:
            extra = {el.nsmap.get(p) for p in listed.split()} - UNDERSTOOD - {None}
            ignorable = ignorable | frozenset(str(ns) for ns in extra)
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            if child.tag == f"{{{MC}}}AlternateContent":
                fallback = child.find(f"{{{MC}}}Fallback")
                at = el.index(child)
                el.remove(child)
                for k, grandchild in enumerate(list(fallback) if fallback is not None else []):
                    el.insert(at + k, grandchild)
            elif etree.QName(child).namespace in ignorable:
                el.remove(child)
        for attr in list(el.attrib):
            ns = etree.QName(attr).namespace
            if ns == MC or ns in ignorable:
                del el.attrib[attr]
        for child in el:
            if isinstance(child.tag, str):
                walk(child, ignorable)

    walk(root, frozenset())
    return root


# --- package ---------------------------------------------------------------------------------------


def _package(parts: dict[str, bytes], xml: dict[str, etree._Element]) -> list[str]:
    out = []
    types = xml.get("[Content_Types].xml")
    if types is None:
        return ["[Content_Types].xml: unreadable"]
    defaults = {e.get("Extension", "").lower() for e in types.iter(f"{{{CT}}}Default")}
    overrides = {e.get("PartName", "").lower() for e in types.iter(f"{{{CT}}}Override")}
    lower = {"/" + n.lower() for n in parts}
    for name in parts:
        ext = name.rsplit(".", 1)[-1].lower() if "." in posixpath.basename(name) else ""
        if name != "[Content_Types].xml" and "/" + name.lower() not in overrides and ext not in defaults:
            out.append(f"[Content_Types].xml: no content type for {name}")
    out += [f"[Content_Types].xml: Override for {o}, which is not in the package" for o in overrides - lower]
    relationships: dict[str, set[str]] = {}
    for name, root in xml.items():
        if not name.endswith(".rels"):
            continue
        folder, base = posixpath.split(name)
        source = posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])
        ids = relationships.setdefault(source, set())
        for rel in root.iter(f"{{{PR}}}Relationship"):
            rid = rel.get("Id", "")
            if rid in ids:
                out.append(f"{name}: relationship Id {rid} twice")
            ids.add(rid)
            if rel.get("TargetMode") == "External":
                continue
            target = unquote(rel.get("Target", "").split("#", 1)[0])
            full = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
            )
            if full not in parts:
                out.append(f"{name}: relationship {rid} points to {target}, which is not in the package")
    for name, root in xml.items():
        if name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        ids = relationships.get(name, set())
        for el in root.iter():
            for attr, value in el.attrib.items():
                if attr.startswith(f"{{{R}}}") and value and value not in ids:
                    out.append(f"{name} {root.getroottree().getpath(el)}: r:{etree.QName(attr).localname} "
                               f"{value} names no relationship of the part")  # fmt: skip
    return out


# --- what the transitional schema does not express ---------------------------------------------------

_RPR_SEQUENCE = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
    "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs "
    "em lang eastAsianLayout specVanish oMath"
)
_RPR = _RPR_SEQUENCE.split()
_MARK_RPR = ["ins", "del", "moveFrom", "moveTo", *_RPR, "rPrChange"]
_RUN_RPR = [*_RPR, "rPrChange"]


def _w(local: str) -> str:
    return f"{{{W}}}{local}"


def _wml_extra(root: etree._Element) -> list[str]:
    out = []
    tree = root.getroottree()
    for rpr in root.iter(_w("rPr")):
        parent = rpr.getparent()
        order = _MARK_RPR if parent is not None and parent.tag == _w("pPr") else _RUN_RPR
        names = [etree.QName(c).localname for c in rpr if isinstance(c.tag, str) and etree.QName(c).namespace == W]
        twice = sorted(n for n, c in Counter(names).items() if c > 1)
        if twice:
            out.append(f"{tree.getpath(rpr)}: w:rPr has {twice} more than once: {names}")
        ranks = [order.index(n) for n in names if n in order]
        if ranks != sorted(ranks):
            out.append(f"{tree.getpath(rpr)}: w:rPr children out of order: {names}")
    for tbl in root.iter(_w("tbl")):
        grid = tbl.find(_w("tblGrid"))
        columns = len(grid.findall(_w("gridCol"))) if grid is not None else 0
        merged_above: dict[int, bool] = {}
        for tr in tbl.findall(_w("tr")):
            col = _trpr_int(tr, "gridBefore")
            here: dict[int, bool] = {}
            for tc in tr.findall(_w("tc")):
                span = tc.find(f"{_w('tcPr')}/{_w('gridSpan')}")
                vmerge = tc.find(f"{_w('tcPr')}/{_w('vMerge')}")
                if vmerge is not None and vmerge.get(_w("val"), "continue") == "continue" and not merged_above.get(col):
                    out.append(f"{tree.getpath(tc)}: w:vMerge continue without a merged cell above")
                here[col] = vmerge is not None
                col += int(span.get(_w("val"), "1")) if span is not None else 1
            col += _trpr_int(tr, "gridAfter")
            if columns and col != columns:
                out.append(f"{tree.getpath(tr)}: row covers {col} grid columns, w:tblGrid has {columns}")
            merged_above = here
    return out


def _trpr_int(tr: etree._Element, name: str) -> int:
    el = tr.find(f"{_w('trPr')}/{_w(name)}")
    return int(el.get(_w("val"), "0")) if el is not None else 0


def _sml_extra(root: etree._Element, styles: etree._Element | None) -> list[str]:
    out = []
    xfs = len(styles.findall(f"{{{S}}}cellXfs/{{{S}}}xf")) if styles is not None else 0
    last_row = 0
    for row in root.iter(f"{{{S}}}row"):
        r = int(row.get("r", last_row + 1))
        if r <= last_row:
            out.append(f"row {r} after row {last_row}")
        last_row, last_col = r, 0
        for c in row.findall(f"{{{S}}}c"):
            m = re.fullmatch(r"([A-Z]+)(\d+)", c.get("r", ""))
            if m is None or int(m.group(2)) != r:
                out.append(f"cell {c.get('r')} in row {r}")
                continue
            col = 0
            for ch in m.group(1):
                col = col * 26 + ord(ch) - 64
            if col <= last_col:
                out.append(f"cell {c.get('r')} after column {last_col}")
            last_col = col
            if c.get("s") is not None and styles is not None and int(c.get("s", "0")) >= xfs:
                out.append(f"cell {c.get('r')} uses style {c.get('s')}, styles.xml has {xfs}")
    return out
