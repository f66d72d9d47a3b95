"""`wufei build --pdf`: real LibreOffice, one process for all documents, clear errors without it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, full_marks
from wufei_docs.errors import OutputError
from wufei_docs.render.pdf import convert, find_soffice

SOFFICE = find_soffice()
needs_soffice = pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice（soffice）或 poppler（pdfinfo）未安装：apt-get install libreoffice-writer-nogui poppler-utils",
)
PAGE_ONE = re.compile(r"—\s*1\s*—")
PDFS = ("申报书.pdf", "附件1-评价指标自评表.pdf", "附件2-评估申报表.pdf")


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_text(pdf: Path, page: int) -> str:
    cmd = ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
@needs_soffice
def test_build_pdf_examples_page_counts(cli, tmp_path, monkeypatch) -> None:
    log = tmp_path / "soffice.log"
    wrapper = tmp_path / "soffice-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{SOFFICE}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("WUFEI_SOFFICE", str(wrapper))
    for example in sorted(EXAMPLES.glob("*.yaml")):
        out = tmp_path / example.stem
        r = cli("build", example, "-o", out, "--pdf")
        assert r.exit_code == 0, r.output
        for name in PDFS:
            assert (out / name).read_bytes().startswith(b"%PDF"), name
        assert pages(out / "附件2-评估申报表.pdf") == 1  # the form fits one page, as the seed's
        assert 3 <= pages(out / "附件1-评价指标自评表.pdf") <= 5  # 29 rows of small print
        report = out / "申报书.pdf"
        assert 7 <= pages(report) <= 14
        cover, second = page_text(report, 1), page_text(report, 2)
        assert "申报书" in cover and "—" not in cover  # no page number on the cover
        assert "填写说明" in second and PAGE_ONE.search(second)
        assert PAGE_ONE.search(page_text(out / "附件2-评估申报表.pdf", 1))
    # one LibreOffice start per build, each converting the three documents
    calls = log.read_text().splitlines()
    assert len(calls) == 2 and all(line.count(".docx") == 3 for line in calls)


def test_missing_libreoffice_is_a_clear_error_and_writes_nothing(cli, write, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WUFEI_SOFFICE", str(tmp_path / "没有这个程序"))
    out = tmp_path / "out"
    r = cli("build", write(full_marks()), "-o", out, "--pdf")
    assert r.exit_code == 1
    assert "LibreOffice" in r.stderr and "apt-get install libreoffice-writer-nogui" in r.stderr
    assert "Traceback" not in r.output and not out.exists()


def test_conversion_timeout_kills_libreoffice(tmp_path, monkeypatch) -> None:
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    monkeypatch.setenv("WUFEI_SOFFICE", str(hang))
    with pytest.raises(OutputError, match="超时"):
        convert({"a.docx": b"PK"}, timeout=0.5)


def test_failed_conversion_is_reported(tmp_path, monkeypatch) -> None:
    broken = tmp_path / "broken"
    broken.write_text("#!/bin/sh\necho 'soffice: boom' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("WUFEI_SOFFICE", str(broken))
    with pytest.raises(OutputError, match="退出码 3"):
        convert({"a.docx": b"PK"})


@pytest.mark.slow
@needs_soffice
def test_attach_pdfs_converts_many_packages_in_one_process(write, tmp_path, monkeypatch) -> None:
    from wufei_docs.loading import check
    from wufei_docs.package.build import attach_pdfs, build_package
    from wufei_docs.scoring.score import score

    log = tmp_path / "soffice.log"
    wrapper = tmp_path / "soffice-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{SOFFICE}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("WUFEI_SOFFICE", str(wrapper))
    packages = []
    for example in sorted(EXAMPLES.glob("*.yaml")):
        checked = check(example)
        result = score(checked.enterprise, checked.rubric)
        packages.append(build_package(checked, result, source_bytes=example.read_bytes(), pdf=True, defer_pdf=True))
    assert all(not any(n.endswith(".pdf") for n in p.files) for p in packages)
    done = attach_pdfs(packages)
    for before, after in zip(packages, done, strict=True):
        assert sorted(after.files) == sorted([*before.files, *PDFS])
        assert after.fingerprint == before.fingerprint and "pdf" not in after.manifest["options"]  # a rendering
        assert all(after.files[name].startswith(b"%PDF") for name in PDFS)
    calls = log.read_text().splitlines()
    assert len(calls) == 1 and calls[0].count(".docx") == 6


@pytest.mark.slow
@needs_soffice
def test_a_resident_libreoffice_converts_again_and_again_and_ends_with_its_block(tmp_path) -> None:
    """`wufei serve` keeps one LibreOffice warm: each conversion hands its files to it (no new start), the
    PDFs have the pages a fresh soffice makes, and the instance is gone once the block ends."""
    from wufei_docs.package.build import build
    from wufei_docs.render.office import resident

    build(EXAMPLES / "赣州稀土新材料.yaml", tmp_path / "pkg")
    docs = {p.name: p.read_bytes() for p in sorted((tmp_path / "pkg").glob("*.docx"))}
    fresh = convert(docs)
    with resident(SOFFICE) as office:
        assert office is not None and not office.running  # started on the first conversion
        first = convert(docs)
        process = office._process
        assert office.running and process is not None
        second = convert(docs)
        assert office.running and office._process is process  # the same instance served both
    assert not office.running and process.poll() is not None

    def count(data: bytes, name: str) -> int:
        path = tmp_path / name
        path.write_bytes(data)
        return pages(path)

    for i, out in enumerate((first, second)):
        assert set(out) == set(docs)
        for name, data in out.items():
            assert count(data, f"{i}-{name}.pdf") == count(fresh[name], f"fresh-{name}.pdf")


@pytest.mark.slow
@needs_soffice
def test_libreoffice_does_not_outlive_a_killed_wufei(tmp_path) -> None:
    """kill -9 of a process converting PDFs (a `wufei bundle --pdf`, the server) takes LibreOffice with it:
    its process group is killed by a watcher that sees the pipe from the dead process close."""
    import os
    import signal
    import sys
    import time

    from wufei_docs.package.build import build

    build(EXAMPLES / "赣州稀土新材料.yaml", tmp_path / "pkg")
    marker = tmp_path / "pgid"
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from wufei_docs.render import pdf\n"
        "real = pdf._start\n"
        "def spy(*a, **k):\n"
        "    proc = real(*a, **k)\n"
        f"    Path({str(marker)!r}).write_text(str(proc.pid))\n"
        "    return proc\n"
        "pdf._start = spy\n"
        "data = Path(sys.argv[1], '申报书.docx').read_bytes()\n"
        "pdf.convert({f'{i}.docx': data for i in range(30)}, processes=1)\n"  # seconds of work left when killed
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "pkg")])
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pgid = int(marker.read_text())
    time.sleep(0.3)  # LibreOffice is starting: its process group exists
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    def group_alive() -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True

    deadline = time.monotonic() + 2  # the watcher acts at once; the conversion alone would take far longer
    while group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = group_alive()
    if alive:  # do not leave it running for the rest of the suite
        os.killpg(pgid, signal.SIGKILL)
    assert not alive, "LibreOffice outlived the process that started it"
