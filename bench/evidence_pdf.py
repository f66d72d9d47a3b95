"""申报材料.pdf with 40 支撑材料 (issue 16): the binding's cost next to LibreOffice's, and peak memory.

The bench makes one enterprise file with 40 evidence files (default 20 MB: 20 multi-page PDFs of scanned-looking
pages and 20 JPEG photos of incompressible noise, so the megabytes are real), then, each in a fresh process:
  lo:     LibreOffice alone converting the package's three documents (render/pdf.convert, one process);
  cold:   the package's PDFs *and* 申报材料.pdf (package/build.attach_pdfs: conversion, the 申报书's page ranges
          — a second LibreOffice run for the 申报书 — and the binding of the 40 files), first time;
  warm:   the same again: the documents' page counts are remembered, LibreOffice runs once (a rebuild after a
          changed scan, a county re-run);
  build:  the whole `wufei build --pdf` (validation with the evidence checks, hashing, copies, write), warm.
For each: wall time and the peak RSS of the Python process (ru_maxrss; LibreOffice runs in its own process).
`--mb 100` shows that the Python process's memory does not grow with the scans.

Run: .venv/bin/python bench/evidence_pdf.py [--files 40] [--mb 20] [--repeat 1]
The last line: binding's added time (bound − lo) against LibreOffice's, and the peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from wufei_docs.loading import check
from wufei_docs.scoring.score import score
from wufei_docs.package.build import attach_pdfs, build, build_package
mode, source, out = {mode!r}, Path({source!r}), Path({out!r})
checked = check(source)
result = score(checked.enterprise, checked.rubric)
start = time.perf_counter()
if mode == "lo":
    from wufei_docs.render.pdf import convert
    pkg = build_package(checked, result, source_bytes=source.read_bytes())
    start = time.perf_counter()
    convert({{n: d for n, d in pkg.files.items() if n.endswith(".docx")}}, processes=1)
elif mode in ("cold", "warm"):
    pkg = build_package(checked, result, source_bytes=source.read_bytes(), pdf=True, defer_pdf=True)
    start = time.perf_counter()
    [pkg] = attach_pdfs([pkg])
else:
    start = time.perf_counter()
    build(source, out, pdf=True)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def make_evidence(folder: Path, files: int, megabytes: float) -> Path:
    """An enterprise file (the sample) listing `files` materials of `megabytes` in total, half PDFs, half photos."""
    import img2pdf

    from wufei_docs._samples import sample_enterprise

    media = folder / "支撑材料"
    media.mkdir(parents=True)
    per_file = megabytes * 1024 * 1024 / files
    evidence = []
    for n in range(1, files + 1):
        eid = f"E{n:02d}"
        if n % 2:  # a scanned document: 3 pages, each a noisy JPEG
            pages = [_noise_jpeg(per_file / 3, seed=n * 10 + k) for k in range(3)]
            (media / f"{eid}.pdf").write_bytes(img2pdf.convert(pages))
            evidence.append({"id": eid, "title": f"扫描件{n}", "file": f"支撑材料/{eid}.pdf"})
        else:
            (media / f"{eid}.jpg").write_bytes(_noise_jpeg(per_file, seed=n))
            evidence.append({"id": eid, "title": f"现场照片{n}", "file": f"支撑材料/{eid}.jpg"})
    data = sample_enterprise(0)
    data["evidence"] = evidence
    from ruamel.yaml import YAML

    path = folder / "企业.yaml"
    with path.open("w", encoding="utf-8") as f:
        YAML().dump(data, f)
    return path


def _noise_jpeg(target_bytes: float, seed: int) -> bytes:
    """A JPEG of about `target_bytes`: random pixels do not compress, so size ≈ pixels × ~0.68 bytes at q85."""
    import io
    import random

    from PIL import Image

    side = max(64, int((target_bytes / 0.68) ** 0.5 / 8) * 8)
    rnd = random.Random(seed)
    image = Image.frombytes("L", (side, side), rnd.randbytes(side * side)).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def run(mode: str, source: Path, out: Path, cache: Path) -> dict[str, float]:
    """One mode in a fresh process; `cold` with an empty cache folder of its own."""
    if mode == "cold":
        cache = cache.with_name(f"{cache.name}-{out.name}")
    env = {**os.environ, "WUFEI_CACHE_HOME": str(cache)}
    code = CHILD.format(root=str(ROOT), mode=mode, source=str(source), out=str(out))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.exit(f"{mode} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mb", type=float, default=20.0, help="total size of the evidence files (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wufei-bench-evidence-") as tmp:
        work = Path(tmp)
        source = make_evidence(work / "收件", args.files, args.mb)
        total = sum(p.stat().st_size for p in (work / "收件" / "支撑材料").iterdir())
        print(f"{args.files} evidence files, {total / 1048576:.1f} MB ({os.cpu_count()} CPUs)")
        best: dict[str, dict[str, float]] = {}
        run("warm", source, work / "out-prime", work / "cache")  # what a first build leaves for the next
        for mode in ("lo", "cold", "warm", "build"):
            runs = [run(mode, source, work / f"out-{mode}-{k}", work / "cache") for k in range(args.repeat)]
            best[mode] = min(runs, key=lambda r: r["seconds"])
            shown = ", ".join(f"{r['seconds']:.2f} s" for r in runs)
            print(f"{mode:6} {shown:>24}   peak {max(r['peak_mb'] for r in runs):.0f} MB (Python process)")
        bound = work / "out-build-0" / "申报材料.pdf"
        if bound.is_file():
            print(f"申报材料.pdf: {bound.stat().st_size / 1048576:.1f} MB")
        lo = best["lo"]["seconds"]
        cold, warm = best["cold"]["seconds"] - lo, best["warm"]["seconds"] - lo
        print(
            f"binding adds {cold:.2f} s ({cold / lo:.2f}×) the first time, {warm:.2f} s ({warm / lo:.2f}×) once the "
            f"page counts are known, to LibreOffice's {lo:.2f} s; peak {max(b['peak_mb'] for b in best.values()):.0f} MB"
        )


if __name__ == "__main__":
    main()
