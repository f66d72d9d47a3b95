"""County bundle vs the naive docxtpl loop, over the same templates and the same view-model contexts.

Naive: for every document, `DocxTemplate(template).render(context, env); save(file)` in a plain loop; the
contexts (validated, scored, view model) are computed beforehand and not timed, and docxtpl is imported.
wufei: `wufei_docs.county.run.bundle(...)` end to end into an empty folder, in a fresh process as a county
runs it: read + validate + score every file, render and write every package (manifest, versions), 推荐名单
(xlsx + docx), 推荐函, bundle.json, summary and the zip. Also prints the bundle's peak memory.

Run: .venv/bin/python bench/bundle_vs_naive.py [--n 200] [--dir DIR [--evaluation FILE]] [--jobs N] [--repeat 3]
The last line is the ratio (fastest naive run / fastest wufei run; every run is printed).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from _common import best, bundle_jobs, data_arguments, data_set, fmt_runs, median, naive_render, run_bundle, workdir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser, 200, jobs=True)
    args = parser.parse_args()
    with workdir("wufei-bench-bundle-") as tmp:
        work = Path(tmp)
        folder, evaluation = data_set(args, work)
        jobs = bundle_jobs(folder, evaluation)
        docs = len(jobs)
        print(f"data: {folder} ({docs // 3} valid enterprises, {docs} documents)")

        naive, wufei, peaks = [], [], []
        for i in range(args.repeat):
            naive.append(naive_render(jobs, work / f"naive-{i}"))
            shutil.rmtree(work / f"naive-{i}")
            run = run_bundle(folder, evaluation, work / f"out-{i}" / "bundle", jobs=args.jobs)
            wufei.append(run["seconds"])
            peaks.append(run)
            print(
                f"run {i + 1}: naive {naive[-1]:.2f}s   wufei bundle {run['seconds']:.2f}s "
                f"(process start to exit {run['wall']:.2f}s, {run['rebuilt']} packages)"
            )
            shutil.rmtree(work / f"out-{i}")
        n, w = best(naive), best(wufei)
        print(
            f"naive docxtpl loop   {fmt_runs(naive)}   best {n:.2f}s = {n * 1000 / docs:.1f} ms/document, median {median(naive):.2f}s"
        )
        print(
            f"wufei bundle         {fmt_runs(wufei)}   best {w:.2f}s = {w * 1000 / docs:.2f} ms/document (all stages), "
            f"median {median(wufei):.2f}s"
        )
        tree = max(p["tree_peak_mb"] for p in peaks)
        parent = max(p["self_kb"] for p in peaks) / 1024
        worker = max(p["child_kb"] for p in peaks) / 1024
        print(
            f"peak memory: {tree:.0f} MB summed over the process tree (sampled); "
            f"parent {parent:.0f} MB, largest worker {worker:.0f} MB (getrusage)"
        )
        print(f"ratio naive/wufei: {n / w:.1f}x")


if __name__ == "__main__":
    main()
