"""Shared by the bench scripts: data sets, the naive docxtpl baseline, timing in a fresh process, memory.

Every bench builds its own data set with wufei_docs._samples (or takes an existing folder with --dir),
runs the naive way and wufei's way in the same run on the same machine, and prints the ratio last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _compile_own_modules() -> None:
    """As `make bytecode`: wufei's modules are measured from their .pyc files, as an installed package
    runs (the naive way's docxtpl is installed and compiled too). Where PYTHONDONTWRITEBYTECODE is set,
    an editable install would otherwise compile them again in every process."""
    import compileall

    compileall.compile_dir(ROOT / "wufei_docs", quiet=1)


_compile_own_modules()


def data_arguments(parser: argparse.ArgumentParser, n: int, *, jobs: bool = False) -> None:
    parser.add_argument("--n", type=int, default=n, help=f"enterprises to generate (default {n})")
    parser.add_argument("--dir", type=Path, help="use this folder of enterprise files instead of generating")
    parser.add_argument("--evaluation", type=Path, help="evaluation file for --dir (default: DIR/evaluation.yaml)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each way; the fastest counts, all are printed (default 3)"
    )
    if jobs:
        parser.add_argument("--jobs", type=int, default=None, help="bundle worker processes (default: CPU count)")


def data_set(args: argparse.Namespace, work: Path) -> tuple[Path, Path]:
    """(folder of enterprise files, evaluation file): --dir as given, else n generated samples."""
    if args.dir is not None:
        folder = args.dir.resolve()
        evaluation = args.evaluation or next(
            (p for p in (folder / "evaluation.yaml", folder.parent / f"{folder.name}-evaluation.yaml") if p.is_file()),
            None,
        )
        if evaluation is None:
            sys.exit(f"no evaluation file: pass --evaluation (looked for {folder / 'evaluation.yaml'})")
        return folder, evaluation.resolve()
    from wufei_docs._samples import write_samples

    _, evaluation = write_samples(work / "enterprises", args.n, seed=7)
    return work / "enterprises", evaluation


def copy_data(folder: Path, evaluation: Path, target: Path) -> tuple[Path, Path]:
    """A private copy (the rebundle bench edits one file)."""
    import shutil

    shutil.copytree(folder, target / "enterprises", ignore=shutil.ignore_patterns(evaluation.name))
    shutil.copyfile(evaluation, target / "evaluation.yaml")
    return target / "enterprises", target / "evaluation.yaml"


def naive_env() -> Any:
    """docxtpl does not know our `{% vmerge %}` cell tag; for timing it may simply print nothing."""
    from jinja2 import nodes
    from jinja2.ext import Extension
    from jinja2.sandbox import SandboxedEnvironment

    class VMerge(Extension):
        tags = {"vmerge"}  # noqa: RUF012

        def parse(self, parser):  # type: ignore[no-untyped-def]
            lineno = next(parser.stream).lineno
            parser.parse_expression()
            return nodes.Output([], lineno=lineno)

    return SandboxedEnvironment(extensions=[VMerge])


def bundle_jobs(folder: Path, evaluation: Path) -> list[tuple[Path, dict[str, Any], str]]:
    """(template, view-model context, output name) for every document the bundle makes, computed the way
    the bundle computes them (核定分 with 自评分 beside it for evaluated enterprises)."""
    from wufei_docs.county.run import discover
    from wufei_docs.errors import WufeiError
    from wufei_docs.loading import check, load_evaluation
    from wufei_docs.render.templates import templates_for
    from wufei_docs.render.view import view_model
    from wufei_docs.scoring.score import score

    ev = load_evaluation(evaluation)
    jobs = []
    for path in discover(folder, exclude=[evaluation]):
        try:
            checked = check(path)
        except WufeiError:
            continue
        ent, rubric = checked.enterprise, checked.rubric
        own = score(ent, rubric)
        entry = ev.enterprises.get(ent.unit.uscc)
        result = score(ent, rubric, entry) if entry is not None else own
        context = view_model(ent, result, rubric, self_result=own if entry is not None else None)
        for name, template in templates_for(evaluated=entry is not None).items():
            jobs.append((template, context, f"{path.stem}-{name}"))
    return jobs


def naive_render(jobs: list[tuple[Path, dict[str, Any], str]], out: Path) -> float:
    """The plain loop: DocxTemplate(path) → render → save, once per document; returns seconds."""
    from docxtpl import DocxTemplate

    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for template, context, name in jobs:
        doc = DocxTemplate(template)
        doc.render(context, naive_env(), autoescape=True)
        doc.save(out / name)
    return time.perf_counter() - start


# --- wufei runs in a fresh process ---------------------------------------------------------------

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from wufei_docs.county.run import bundle
args = json.loads(sys.argv[1])

def hwm():  # this process's peak RSS (VmHWM; getrusage's also counts the bench process that forked it)
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

start = time.perf_counter()
report = bundle(Path(args["folder"]), Path(args["evaluation"]), Path(args["out"]), jobs=args["jobs"],
                pdf=args["pdf"])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rebuilt": len(report.rebuilt), "entries": len(report.entries),
                  "failed": len(report.failed),
                  "self_kb": hwm(),
                  "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def run_bundle(
    folder: Path, evaluation: Path, out: Path, *, jobs: int | None = None, pdf: bool = False
) -> dict[str, Any]:
    """`wufei_docs.county.run.bundle(...)` in a new Python process (cold caches, as a county's `wufei bundle`):
    seconds inside the call, the process's wall time, and peak memory (sampled sum over the process tree,
    plus getrusage's peaks of the parent and of the largest worker)."""
    args = json.dumps({"folder": str(folder), "evaluation": str(evaluation), "out": str(out), "jobs": jobs, "pdf": pdf})
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, args], stdout=subprocess.PIPE, cwd=ROOT, text=True)
    sampler = _TreeSampler(proc.pid)
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"bundle failed (exit {proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(wall=wall, tree_peak_mb=sampler.peak_kb / 1024)
    return result


class _TreeSampler:
    """Samples the summed RSS of a process and its descendants every 5 ms (Linux /proc; else 0)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(self.pid))
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()


def _tree_rss_kb(pid: int) -> int:
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


_SESSION = r"""
import json, sys, time
from pathlib import Path
from wufei_docs.county.run import bundle
args = json.loads(sys.argv[1])
folder, evaluation, out, target = (Path(args[k]) for k in ("folder", "evaluation", "out", "target"))
original = target.read_text("utf-8")

def timed():
    start = time.perf_counter()
    report = bundle(folder, evaluation, out, jobs=args["jobs"])
    return time.perf_counter() - start, len(report.rebuilt)

result = {"full": timed()}
for kind, text in args["edits"].items():
    target.write_text(text, "utf-8")
    result[kind] = timed()
    target.write_text(original, "utf-8")
    timed()  # back to the original, not timed
print(json.dumps(result))
"""


def run_command(folder: Path, evaluation: Path, out: Path, *, jobs: int | None = None) -> float:
    """The whole `wufei bundle` command, from process start to exit (interpreter, imports, output);
    seconds of wall-clock time."""
    cmd = [sys.executable, "-m", "wufei_docs", "bundle", str(folder), "-e", str(evaluation), "-o", str(out)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"wufei bundle failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return seconds


def run_session(
    folder: Path, evaluation: Path, out: Path, target: Path, edits: dict[str, str], *, jobs: int | None = None
) -> dict[str, tuple[float, int]]:
    """In ONE new process: a full bundle, then for each edit of `target` a re-bundle (timed) and a re-run
    with the original (not timed); as a county's script or a long-running tool would call the library."""
    payload = {"folder": str(folder), "evaluation": str(evaluation), "out": str(out), "target": str(target),
               "edits": edits, "jobs": jobs}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", _SESSION, json.dumps(payload)], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"bundle session failed: {proc.stderr[-2000:]}")
    return {k: (v[0], v[1]) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


# --- reporting -------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def best(values: list[float]) -> float:
    """The fastest run: the one least disturbed by other work on the machine (as timeit does); used
    for both ways alike."""
    return min(values)


def repeat(n: int, fn: Callable[[int], float]) -> list[float]:
    return [fn(i) for i in range(n)]


def fmt_runs(values: list[float], unit: float = 1.0, suffix: str = "s") -> str:
    return ", ".join(f"{v * unit:.3g}{suffix}" for v in values)


def workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=prefix)
