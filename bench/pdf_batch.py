"""PDF for 30 documents: one `soffice --convert-to pdf` process per file (naive) vs wufei's batch.

The 30 documents are the packages of 10 generated enterprises (申报书, 附件1, 附件2), rendered once.
naive:  `soffice --headless --convert-to pdf --outdir OUT FILE`, one process per file, one after the other
        (sharing one profile, created before timing, so the naive way does not pay for it);
one:    wufei_docs.render.pdf.convert(docs, processes=1): all files in ONE LibreOffice process;
wufei:  wufei_docs.render.pdf.convert(docs): the same, split over 2 processes with their own profiles on 2+ cores.

Run: .venv/bin/python bench/pdf_batch.py [--n 10] [--dir DIR [--evaluation FILE]] [--repeat 1]
The last line is the ratio (naive time / wufei time; with --repeat, the fastest run of each).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from _common import best, bundle_jobs, data_arguments, data_set, fmt_runs, workdir


def naive(docs: dict[str, bytes], work: Path, soffice: str) -> float:
    folder = work / "naive"
    folder.mkdir()
    env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
    profile = f"-env:UserInstallation={(work / 'profile').as_uri()}"
    warm = folder / "warm.docx"
    warm.write_bytes(next(iter(docs.values())))
    subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(warm)],
                   capture_output=True, env=env, check=True)  # fmt: skip
    paths = []
    for i, data in enumerate(docs.values()):
        path = folder / f"{i:05d}.docx"
        path.write_bytes(data)
        paths.append(path)
    start = time.perf_counter()
    for path in paths:
        subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(path)],
                       capture_output=True, env=env, check=True)  # fmt: skip
    seconds = time.perf_counter() - start
    missing = [p.name for p in paths if not p.with_suffix(".pdf").is_file()]
    if missing:
        raise SystemExit(f"naive conversion failed for {missing}")
    return seconds


def main() -> None:
    from wufei_docs.render.engine import render_docx
    from wufei_docs.render.pdf import convert, find_soffice

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser, 10)
    parser.set_defaults(repeat=1)
    args = parser.parse_args()
    soffice = find_soffice()
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    with workdir("wufei-bench-pdf-") as tmp:
        work = Path(tmp)
        folder, evaluation = data_set(args, work)
        jobs = bundle_jobs(folder, evaluation)[:30]
        docs = {name: render_docx(template, context) for template, context, name in jobs}
        print(f"{len(docs)} documents, {os.cpu_count()} CPUs")
        times: dict[str, list[float]] = {"naive": [], "one": [], "wufei": []}
        for i in range(args.repeat):
            run = work / f"run-{i}"
            run.mkdir()
            times["naive"].append(naive(docs, run, soffice))
            for label, processes in (("one", 1), ("wufei", None)):
                start = time.perf_counter()
                pdfs = convert(docs, processes=processes)
                times[label].append(time.perf_counter() - start)
                assert len(pdfs) == len(docs) and all(p.startswith(b"%PDF") for p in pdfs.values())
            print(f"run {i + 1}: " + "   ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()))
        n, one, w = (best(times[k]) for k in ("naive", "one", "wufei"))
        print(f"naive: one soffice per file   {fmt_runs(times['naive'])}   {n / len(docs):.2f} s per document")
        print(f"one soffice for all files     {fmt_runs(times['one'])}   ratio {n / one:.1f}x")
        print(f"wufei (batch over 2 soffice)  {fmt_runs(times['wufei'])}   ratio {n / w:.1f}x")
        print(f"ratio naive/wufei: {n / w:.1f}x")


if __name__ == "__main__":
    main()
