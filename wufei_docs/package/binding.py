"""申报材料.pdf: 申报书, 附件1, 附件2 and the 支撑材料 bound into one paginated PDF with bookmarks (FORMAT.md §4).

The 申报书's 支撑材料清单 shows where each material starts and ends in the bound PDF, which depends on the
page counts of the converted documents. So, for every package at once (one LibreOffice run per pass):
  pass 1  convert 附件1, 附件2, the .docx materials, the 支撑材料 title page, and the 申报书 rendered with
          *estimated* ranges (same layout as the final one in practice: numbers of similar width);
  pass 2  render the 申报书 with the ranges the page counts give, convert it; if its page count moved, the
          ranges are computed again (at most twice more). Same inputs → same ranges: deterministic.
The page counts of the documents are remembered (a sealed file in the user's cache folder, keyed by the
documents' bytes): a rebuild whose documents were converted before (a changed scan, a county re-run) estimates
exactly, and pass 1 already gives the final 申报书 — LibreOffice starts once. The result is the same either way.
Then the parts are bound with pikepdf (qpdf): PDF pages are copied as they are (no stream decoded or
re-encoded, stream data read from the source files while writing, so memory does not grow with the scans),
images are placed losslessly on A4 pages by img2pdf, and every page gets its number.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from wufei_docs.errors import OutputError
from wufei_docs.package.evidence import BOUND_PDF, Attachment, Material, file_sha256

REPORT = "申报书.docx"
PARTS = (("申报书", "申报书.docx"), ("附件1", "附件1-评价指标自评表.docx"), ("附件2", "附件2-评估申报表.docx"))
EVIDENCE_PART = "支撑材料"
_GUESS = {"申报书.docx": 8, "附件1-评价指标自评表.docx": 4, "附件2-评估申报表.docx": 2, "docx": 2}
_ROUNDS = 3
A4 = (595.276, 841.89)  # points
_BORDER = 28.35  # 10 mm around a photo


@dataclass
class BindPlan:
    """What binding needs besides the package's documents: plain data, so it travels to the process that
    converts (a county bundle converts every package in its main process)."""

    report_template: str
    context: dict[str, Any]
    unit: str
    materials: list[Material] = field(default_factory=list)


@dataclass
class _Job:
    key: int
    files: dict[str, bytes]
    plan: BindPlan
    pdfs: dict[str, bytes] = field(default_factory=dict)
    evidence_pdfs: dict[str, bytes] = field(default_factory=dict)  # .docx materials, converted
    pages: dict[str, int] = field(default_factory=dict)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def with_files(self) -> list[Material]:
        return [m for m in self.plan.materials if m.file is not None]


def convert_and_bind(
    items: Sequence[tuple[dict[str, bytes], BindPlan | None]], workdir: Path
) -> list[tuple[dict[str, bytes], Path | None, dict[str, int]]]:
    """For each package (its files, its plan): its PDFs, the bound PDF written into `workdir` (None without a
    plan) and the page counts of its .docx materials."""
    from wufei_docs.render.pdf import convert

    jobs = [_Job(k, files, plan) for k, (files, plan) in enumerate(items) if plan is not None]
    first: dict[str, bytes] = {}
    for k, (files, plan) in enumerate(items):
        for name, data in files.items():
            if name.endswith(".docx") and not (plan is not None and name == REPORT and _ranged(plan)):
                first[f"{k:05d}/{name}"] = data
    known = _remembered_pages()
    estimates = {}
    for job in jobs:
        if _ranged(job.plan):
            estimates[job.key] = _estimate(job, known)
            first[f"{job.key:05d}/{REPORT}"] = _render_report(job, estimates[job.key])
        for m in job.with_files:
            if m.file is not None and m.file.kind == "docx":
                first[f"{job.key:05d}/evidence/{m.id}"] = Path(m.file.path).read_bytes()
        if job.with_files:
            first[f"{job.key:05d}/cover.fodt"] = _cover(job.plan)
    converted = convert(first)
    by_key: dict[int, dict[str, bytes]] = {}
    for key, pdf in converted.items():
        index, _, name = key.partition("/")
        by_key.setdefault(int(index), {})[_pdf_name(name)] = pdf
    for job in jobs:
        mine = by_key.get(job.key, {})
        job.evidence_pdfs = {n.split("/", 1)[1]: d for n, d in mine.items() if n.startswith("evidence/")}
        job.pdfs = {n: d for n, d in mine.items() if not n.startswith("evidence/")}
        job.pages = {n: _count(d) for n, d in job.pdfs.items()}
        job.pages |= {f"evidence/{i}": _count(d) for i, d in job.evidence_pdfs.items()}
    ranged = [j for j in jobs if _ranged(j.plan)]
    for job in ranged:
        job.ranges = _ranges(job, {name: job.pages[_pdf_name(name)] for _, name in PARTS})
    _settle_ranges([j for j in ranged if j.ranges != estimates[j.key]], convert)
    _remember_pages(known, jobs)
    out: list[tuple[dict[str, bytes], Path | None, dict[str, int]]] = []
    for k, (files, _plan) in enumerate(items):
        mine = by_key.get(k, {})
        found = next((j for j in jobs if j.key == k), None)
        pdfs = {_pdf_name(n): (found.pdfs if found else mine)[_pdf_name(n)] for n in files if n.endswith(".docx")}
        if found is None:
            out.append((pdfs, None, {}))
            continue
        target = workdir / f"{k:05d}-{BOUND_PDF}"
        bind(found, target)
        out.append((pdfs, target, {i: found.pages[f"evidence/{i}"] for i in found.evidence_pdfs}))
    return out


def _pdf_name(name: str) -> str:
    """申报书.docx → 申报书.pdf, cover.fodt → cover.pdf (materials keep their id)."""
    return name.rsplit(".", 1)[0] + ".pdf" if name.endswith((".docx", ".fodt")) else name


def _ranged(plan: BindPlan) -> bool:
    return any(m.file is not None for m in plan.materials)


def _count(pdf: bytes) -> int:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


def _material_pages(job: _Job, m: Material, guess: bool = False) -> int:
    assert m.file is not None
    if m.file.kind == "docx":
        return _GUESS["docx"] if guess else job.pages[f"evidence/{m.id}"]
    return m.file.pages or 1


def _ranges(job: _Job, doc_pages: dict[str, int], guess: bool = False) -> dict[str, tuple[int, int]]:
    """Where each material lies in the bound PDF: after the three documents and the title page."""
    page = sum(doc_pages[name] for _, name in PARTS) + 1
    ranges = {}
    for m in job.with_files:
        n = _material_pages(job, m, guess)
        ranges[m.id] = (page + 1, page + n)
        page += n
    return ranges


def _estimate(job: _Job, known: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The ranges from the page counts remembered for these very documents, else from typical counts."""
    counts = {name: known.get(_pages_key(job, name), _GUESS[name]) for _, name in PARTS}
    docx = {m.id: known.get(_digest_file(m)) for m in job.with_files if m.file is not None and m.file.kind == "docx"}
    if all(v is not None for v in docx.values()):
        job.pages |= {f"evidence/{i}": int(v) for i, v in docx.items() if v is not None}
        return _ranges(job, counts)
    return _ranges(job, counts, guess=True)


_PAGES_FILE = "pages.data"


def _pages_key(job: _Job, name: str) -> str:
    """附件1/附件2: their bytes; the 申报书: its bytes without ranges and the ranges' layout (which materials)."""
    import hashlib

    h = hashlib.sha256(job.files[name])
    if name == REPORT:
        h.update(repr([m.id for m in job.with_files]).encode())
    return h.hexdigest()


def _digest_file(m: Material) -> str:
    from wufei_docs.package.evidence import file_sha256

    assert m.file is not None
    return file_sha256(Path(m.file.path))


def _remembered_pages() -> dict[str, int]:
    from wufei_docs.files import sealed

    data = sealed.read_data(sealed.key_folder() / _PAGES_FILE)
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember_pages(known: dict[str, int], jobs: list[_Job]) -> None:
    from wufei_docs.files import sealed

    fresh = dict(known)
    for job in jobs:
        for _, name in PARTS:
            fresh[_pages_key(job, name)] = job.pages[_pdf_name(name)]
        for m in job.with_files:
            if m.file is not None and m.file.kind == "docx":
                fresh[_digest_file(m)] = job.pages[f"evidence/{m.id}"]
    if fresh != known:
        if len(fresh) > 20000:  # a bounded memory: the newest entries stay
            fresh = dict(list(fresh.items())[-10000:])
        sealed.write_data(sealed.key_folder() / _PAGES_FILE, fresh)


def _settle_ranges(jobs: list[_Job], convert: Any) -> None:
    """Render each 申报书 with its real ranges until its page count is the one the ranges assumed."""
    todo = list(jobs)
    for round_ in range(_ROUNDS):
        if not todo:
            return
        if round_:
            for job in todo:
                job.ranges = _ranges(job, {name: job.pages[_pdf_name(name)] for _, name in PARTS})
        again = convert({f"{j.key:05d}/{REPORT}": _render_report(j, j.ranges) for j in todo})
        moved = []
        for job in todo:
            pdf = again[f"{job.key:05d}/{REPORT}"]
            pages = _count(pdf)
            job.pdfs["申报书.pdf"] = pdf
            if pages != job.pages["申报书.pdf"]:
                job.pages["申报书.pdf"] = pages
                moved.append(job)
        todo = moved
    for job in todo:  # still moving (pathological): ranges follow the last conversion's count
        job.ranges = _ranges(job, {name: job.pages[_pdf_name(name)] for _, name in PARTS})


def _render_report(job: _Job, ranges: dict[str, tuple[int, int]]) -> bytes:
    from wufei_docs.render.engine import render_docx

    context = dict(job.plan.context)
    rows = []
    for row in context.get("evidence", []):
        span = ranges.get(row["id"])
        if span is not None:
            where = f"第{span[0]}页" if span[0] == span[1] else f"第{span[0]}–{span[1]}页"
            row = {**row, "file": f"{row['file']}\n（{BOUND_PDF} {where}）", "pages": where}
        rows.append(row)
    context["evidence"] = rows
    return render_docx(Path(job.plan.report_template), context)


def _cover(plan: BindPlan) -> bytes:
    """The 支撑材料 title page as flat ODF text (LibreOffice converts it with the documents)."""
    count = sum(1 for m in plan.materials if m.file is not None)
    lines = [
        ("Title", EVIDENCE_PART),
        ("Sub", plan.unit),
        ("Sub", f"共 {count} 份，编号与申报书“五、支撑材料清单”一致"),
    ]
    paragraphs = "".join(f'<text:p text:style-name="{style}">{escape(text)}</text:p>' for style, text in lines)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls><style:font-face style:name="SimHei" svg:font-family="SimHei"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"/></office:font-face-decls>
<office:automatic-styles>
<style:page-layout style:name="pm"><style:page-layout-properties fo:page-width="210mm" fo:page-height="297mm"
 fo:margin-top="25mm" fo:margin-bottom="25mm" fo:margin-left="25mm" fo:margin-right="25mm"/></style:page-layout>
<style:style style:name="Title" style:family="paragraph"><style:paragraph-properties fo:text-align="center"
 fo:margin-top="90mm" fo:margin-bottom="20mm"/><style:text-properties style:font-name-asian="SimHei"
 style:font-size-asian="36pt" fo:font-size="36pt" fo:font-weight="bold" style:font-weight-asian="bold"/></style:style>
<style:style style:name="Sub" style:family="paragraph"><style:paragraph-properties fo:text-align="center"
 fo:margin-bottom="6mm"/><style:text-properties style:font-name-asian="SimHei" style:font-size-asian="16pt"
 fo:font-size="16pt"/></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm"/></office:master-styles>
<office:body><office:text>{paragraphs}</office:text></office:body>
</office:document>
""".encode()


# --- binding ---------------------------------------------------------------------------------------


_BATCH_BYTES = 32 * 1024 * 1024  # pikepdf copies a source's streams when its pages are added: merge in batches


def bind(job: _Job, target: Path) -> None:
    """Write 申报材料.pdf: the three documents, the title page, each material in id order; outline; numbers.

    Parts are merged in batches of about 32 MB into a file on disk, which the next batch extends: memory
    holds one batch (plus what LibreOffice's documents take), whatever the size of the scans."""
    with tempfile.TemporaryDirectory(prefix="wufei-bind-") as name:
        tmp = Path(name)
        parts: list[tuple[str, Any]] = [(title, _doc_getter(job, tmp, doc)) for title, doc in PARTS]
        if job.with_files:
            parts.append((EVIDENCE_PART, _doc_getter(job, tmp, "cover.fodt")))
            parts += [(f"{m.id} {m.title}", _material_getter(job, m, tmp)) for m in job.with_files]
        counts: list[int] = []
        acc: Path | None = None
        batch: list[Path] = []
        size = 0
        for k, (_, get) in enumerate(parts):
            path = get()
            batch.append(path)
            size += path.stat().st_size
            last = k == len(parts) - 1
            if last or size >= _BATCH_BYTES:
                out = target if last else tmp / f"merged-{k}.pdf"
                finish = (lambda pdf: _finish(pdf, job, parts, counts)) if last else None
                _merge(acc, batch, out, counts, finish)
                for old in [acc, *batch]:
                    if old is not None and old.parent == tmp:
                        old.unlink()  # spilled documents, photos made PDFs, earlier batches
                acc, batch, size = out, [], 0


def _doc_getter(job: _Job, tmp: Path, name: str) -> Any:
    return lambda: _spill(tmp / f"doc-{Path(name).stem}.pdf", job.pdfs[_pdf_name(name)])


def _material_getter(job: _Job, m: Material, tmp: Path) -> Any:
    return lambda: _material_pdf(job, m, tmp)


def _merge(acc: Path | None, batch: list[Path], target: Path, counts: list[int], finish: Any) -> None:
    import pikepdf

    with contextlib.ExitStack() as stack:
        stream = pikepdf.AccessMode.stream  # read, not mmap: mapped pages would count as our memory
        out = stack.enter_context(pikepdf.open(acc, access_mode=stream) if acc else pikepdf.new())
        for path in batch:
            counts.append(_append(out, stack, path))
        if finish is not None:
            finish(out)
        try:
            out.save(
                target,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                compress_streams=False,
                recompress_flate=False,
                deterministic_id=True,
            )
        except (pikepdf.PdfError, OSError) as e:
            raise OutputError(f"无法生成 {BOUND_PDF}：{e}") from None


def _finish(pdf: Any, job: _Job, parts: list[tuple[str, Any]], counts: list[int]) -> None:
    """Page numbers, the outline (the three documents, 支撑材料 with one entry per material), the title."""
    import pikepdf

    starts = [sum(counts[:k]) for k in range(len(counts))]
    _number_pages(pdf)
    with pdf.open_outline() as outline:
        for k, (title, _) in enumerate(parts[: len(PARTS) + 1]):
            item = pikepdf.OutlineItem(title, starts[k])
            if title == EVIDENCE_PART:
                kids = parts[len(PARTS) + 1 :]
                item.children.extend(
                    pikepdf.OutlineItem(t, p) for (t, _), p in zip(kids, starts[len(PARTS) + 1 :], strict=True)
                )
            outline.root.append(item)
    pdf.docinfo["/Title"] = f"{job.plan.unit} 申报材料"


def _spill(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _material_pdf(job: _Job, m: Material, tmp: Path) -> Path:
    assert m.file is not None
    if m.file.kind == "pdf":
        return Path(m.file.path)
    if m.file.kind == "docx":
        return _spill(tmp / f"ev-{m.id}.pdf", job.evidence_pdfs[m.id])
    return _image_pdf(Path(m.file.path), tmp / f"ev-{m.id}.pdf")


def _image_pdf(image: Path, target: Path) -> Path:
    """One A4 page (turned to landscape for a landscape photo) holding the image as it is: JPEG data is
    embedded unchanged, PNG data losslessly; an image img2pdf cannot take as is (alpha channel, 16-bit…) is
    first made a plain RGB PNG (lossless for what is visible)."""
    import img2pdf  # type: ignore[import-untyped]

    layout = img2pdf.get_layout_fun(A4, border=(_BORDER, _BORDER), fit=img2pdf.FitMode.into, auto_orient=True)
    try:
        with target.open("wb") as out:
            img2pdf.convert(str(image), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid, outputstream=out)
    except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError, OSError, Exception):
        from PIL import Image

        flat = target.with_suffix(".png")
        with Image.open(image) as im:
            rgba = im.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            Image.alpha_composite(white, rgba).convert("RGB").save(flat, format="PNG")
        with target.open("wb") as out:
            img2pdf.convert(str(flat), layout_fun=layout, outputstream=out)
    return target


def _append(out: Any, stack: contextlib.ExitStack, path: Path) -> int:
    """Copy every page of `path` (kept open until the merged file is written); the number of pages."""
    import pikepdf

    src = stack.enter_context(pikepdf.open(path, access_mode=pikepdf.AccessMode.stream))
    for page in src.pages:
        for key in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
            if key not in page.obj:
                value = _inherited(page.obj, key)
                if value is not None:
                    page.obj[key] = value
    out.pages.extend(src.pages)
    return len(src.pages)


def _inherited(node: Any, key: str) -> Any:
    parent = node.get("/Parent")
    depth = 0
    while parent is not None and depth < 64:
        if key in parent:
            return parent[key]
        parent, depth = parent.get("/Parent"), depth + 1
    return None


def _number_pages(pdf: Any) -> None:
    """`n / N` at the bottom right of every page as the reader sees it (rotated pages too), in Helvetica
    (digits only: no font to embed). The page's own content is wrapped in q … Q, never rewritten."""
    import pikepdf

    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, 1):
        name = page.add_resource(font, pikepdf.Name.Font, prefix="WfNo")
        text = f"{number} / {total}"
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, b"Q\n" + _number_ops(page, str(name), text)))


def _number_ops(page: Any, font: str, text: str) -> bytes:
    box = [float(v) for v in (page.obj.get("/CropBox") or page.mediabox)]
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
    size = 9.0
    width = size * sum(0.556 if c.isdigit() else 0.278 for c in text)
    margin, rise = 28.0, 18.0
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    if rotate == 90:
        matrix = (0, 1, -1, 0, x1 - rise, y1 - margin - width)
    elif rotate == 180:
        matrix = (-1, 0, 0, -1, x0 + margin + width, y1 - rise)
    elif rotate == 270:
        matrix = (0, -1, 1, 0, x0 + rise, y0 + margin + width)
    else:
        matrix = (1, 0, 0, 1, x1 - margin - width, y0 + rise)
    m = " ".join(f"{v:.2f}" for v in matrix)
    return f"q BT {font} {size:g} Tf {m} Tm 0 g ({text}) Tj ET Q\n".encode("ascii")


def bound_attachment(path: Path) -> Attachment:
    return Attachment(str(path), file_sha256(path), path.stat().st_size, temporary=True)
