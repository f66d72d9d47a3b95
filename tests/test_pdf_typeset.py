"""PDFs set as the documents ask: 公文 faces mapped to simplified-Chinese faces of the right kind, no punctuation
lost at the end of a justified line, the 统一社会信用代码 on one line. Real LibreOffice, real fonts."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import EXAMPLES
from wufei_docs.render.pdf import convert, find_soffice

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_soffice() is None or shutil.which("pdffonts") is None or shutil.which("pdftoppm") is None,
        reason="LibreOffice 或 poppler-utils 未安装：apt-get install libreoffice-writer-nogui poppler-utils",
    ),
]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EXAMPLE = EXAMPLES / "赣州稀土新材料.yaml"
EVALUATION = EXAMPLES / "county" / "章贡区-evaluation.yaml"
FULL_WIDTH_PUNCTUATION = "，。、；：？！“”‘’（）《》【】"
# characters whose simplified-Chinese and Japanese glyphs differ visibly
SC_JP_DIFFERENT = "骨直画"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """One enterprise build and one county bundle, with PDFs (module-scoped: LibreOffice is slow)."""
    from wufei_docs import build, bundle

    root = tmp_path_factory.mktemp("typeset")
    build(EXAMPLE, root / "build", pdf=True)
    bundle(EXAMPLES, EVALUATION, root / "county", pdf=True, zip_output=False)
    letters = {p: p.read_bytes() for p in (root / "county").glob("*.docx")}  # 推荐函, 推荐名单: PDFs made here
    for path, pdf in convert({str(p): data for p, data in letters.items()}).items():
        Path(path).with_suffix(".pdf").write_bytes(pdf)
    pdfs = sorted((root / "build").glob("*.pdf")) + sorted((root / "county").rglob("*.pdf"))
    pdfs = [p for p in pdfs if p.name != "申报材料.pdf" and "支撑材料" not in p.parts]  # one PDF per .docx only
    assert len(pdfs) >= 8
    return {str(p.relative_to(root)): p for p in pdfs}


def fonts(pdf: Path) -> set[str]:
    """pdffonts' names without the subset prefix (ABCDEF+)."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    return {line.split()[0].split("+", 1)[-1] for line in lines[2:] if line.strip()}


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def docx_text(docx: Path) -> str:
    """Every w:t of the body, headers and footers."""
    with zipfile.ZipFile(docx) as z:
        parts = [n for n in z.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        roots = [etree.fromstring(z.read(n)) for n in parts]
    return "".join(t.text or "" for root in roots for t in root.iter(W + "t"))


def test_body_in_a_serif_face_headings_in_sans_and_kai(outputs) -> None:
    report = fonts(outputs["build/申报书.pdf"])
    cjk = {f for f in report if "CJK" in f or "Kai" in f}
    assert any(f.startswith("NotoSerifCJK") and "Regular" in f for f in cjk), report  # 仿宋_GB2312 body
    assert any(f.startswith("NotoSerifCJK") and "Bold" in f for f in cjk), report  # 方正小标宋简体 title
    assert any(f.startswith("NotoSansCJK") for f in cjk), report  # 黑体 headings
    assert any("UKaiCN" in f for f in cjk), report  # 楷体_GB2312 headings
    for name, pdf in outputs.items():
        names = fonts(pdf)
        assert any(f.startswith("NotoSerifCJK") for f in names), (name, names)  # every document: serif body
        assert not [f for f in names if "DejaVu" in f], (name, names)  # Times New Roman → Liberation Serif


def test_faces_are_simplified_chinese_glyphs(tmp_path) -> None:
    """The glyphs, not pdffonts' names (Debian's collections call every face …jp): each 公文 font renders
    骨直画 pixel for pixel like the SC face it stands for, and unlike Japanese text in that face's JP sibling
    (a collection picks its glyph forms by the text's language: our documents are tagged zh-CN)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    def docx(font: str, language: str = "zh-CN", bold: bool = False) -> bytes:
        doc = Document()
        run = doc.add_paragraph().add_run(SC_JP_DIFFERENT)
        run.font.size = Pt(48)
        run.font.bold = bold or None
        fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            fonts.set(qn(attr), font)
        rpr = run._r.get_or_add_rPr()
        lang = rpr.makeelement(qn("w:lang"), {qn("w:eastAsia"): language})
        rpr.append(lang)
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()

    cases = {
        "仿宋_GB2312": "Noto Serif CJK SC",
        "仿宋": "Noto Serif CJK SC",
        "宋体": "Noto Serif CJK SC",
        "黑体": "Noto Sans CJK SC",
        "楷体_GB2312": "AR PL UKai CN",
    }
    japanese = {"Noto Serif CJK SC": "Noto Serif CJK JP", "Noto Sans CJK SC": "Noto Sans CJK JP"}
    names = [*cases, *set(cases.values())]
    docs = {**{name: docx(name) for name in names}, **{jp: docx(jp, "ja-JP") for jp in japanese.values()}}
    docs["方正小标宋简体"] = docx("方正小标宋简体")  # a heavy 宋体: the bold serif face
    docs["SC bold"] = docx("Noto Serif CJK SC", bold=True)
    pdfs = convert(docs)
    pixels = {name: _pixels(pdf, tmp_path / f"{k}.pdf") for k, (name, pdf) in enumerate(pdfs.items())}
    assert pixels["方正小标宋简体"] == pixels["SC bold"] != pixels["Noto Serif CJK SC"]
    for requested, face in cases.items():
        assert pixels[requested] == pixels[face], f"{requested} is not set in {face}"
        if face in japanese:
            assert pixels[requested] != pixels[japanese[face]], f"{requested}: Japanese glyphs"


def _pixels(pdf: bytes, path: Path) -> bytes:
    path.write_bytes(pdf)
    cmd = ["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(path)]
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def test_no_full_width_punctuation_is_lost(outputs) -> None:
    """Each punctuation mark of the document text is in the PDF text (a comma at the end of a justified
    line used to vanish: 须加盖单位公章 / 承诺书)."""
    for name, pdf in outputs.items():
        want = Counter(c for c in docx_text(pdf.with_suffix(".docx")) if c in FULL_WIDTH_PUNCTUATION)
        got = Counter(c for c in pdf_text(pdf) if c in FULL_WIDTH_PUNCTUATION)
        missing = {c: n - got[c] for c, n in want.items() if got[c] < n}  # ≥: repeated table headers count twice
        assert not missing, (name, missing)
    assert "须加盖单位公章，" in pdf_text(outputs["build/申报书.pdf"]).replace("\n", "")


def test_uscc_never_wraps(outputs) -> None:
    lines = pdf_text(outputs["build/申报书.pdf"]).splitlines()
    assert any("91360702MA35L0AB16" in line for line in lines)
