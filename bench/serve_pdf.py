"""One package's PDFs in a resident process (`wufei serve`): a warm LibreOffice vs a fresh soffice each time.

The three documents of the example package (申报书, 附件1, 附件2) are converted several times:
    fresh:    render/pdf.convert as `wufei build --pdf` does: a new soffice process (and profile) per build
    resident: the same call inside render/office.resident(): the first conversion starts one LibreOffice,
              each later one hands its files to it (measured from the second conversion on, as a server
              that has made one PDF already)
Both ways convert the same bytes on the same machine in the same run; the PDFs' page counts are compared.

Run: .venv/bin/python bench/serve_pdf.py [--repeat 4]
The last line is the ratio (fastest fresh / fastest resident).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    from wufei_docs.package.build import build
    from wufei_docs.render import pdf
    from wufei_docs.render.office import resident

    soffice = pdf.find_soffice()
    if soffice is None:
        sys.exit("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="wufei-bench-pdf-") as tmp:
        build(ROOT / "inputs" / "赣州稀土新材料.yaml", Path(tmp) / "pkg")
        docs = {p.name: p.read_bytes() for p in sorted((Path(tmp) / "pkg").glob("*.docx"))}
    fresh, warm = [], []
    sizes: dict[str, set[int]] = {}
    with resident(soffice):
        pdf.convert(docs)  # the server's first PDF starts the instance
        for _ in range(args.repeat):
            for label, runs in (("fresh", fresh), ("resident", warm)):
                start = time.perf_counter()
                out = pdf.convert(docs) if label == "resident" else _fresh(docs)
                runs.append(time.perf_counter() - start)
                for name, data in out.items():
                    sizes.setdefault(name, set()).add(data.count(b"/Type /Page\n") + data.count(b"/Type/Page"))
    print(f"documents: {', '.join(docs)}")
    print("fresh soffice   " + ", ".join(f"{t:.2f}s" for t in fresh) + f"   best {min(fresh):.2f}s")
    print("resident        " + ", ".join(f"{t:.2f}s" for t in warm) + f"   best {min(warm):.2f}s")
    print(f"page markers per document, all runs: {sizes}")
    print(f"ratio fresh/resident: {min(fresh) / min(warm):.1f}x")


def _fresh(docs: dict[str, bytes]) -> dict[str, bytes]:
    """`pdf.convert` outside the resident block: what `wufei build --pdf` does."""
    from wufei_docs.render import office, pdf

    saved = office._ACTIVE[:]
    office._ACTIVE.clear()
    try:
        return pdf.convert(docs)
    finally:
        office._ACTIVE[:] = saved


if __name__ == "__main__":
    main()
