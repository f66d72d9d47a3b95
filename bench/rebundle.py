"""Re-bundle after one enterprise changed vs the full bundle.

Full: `bundle(...)` into an empty folder. Then one enterprise file is corrected and `bundle(...)` runs again
into the same folder, the way a county re-runs `wufei bundle` during the 15 days. Two kinds of correction:
  text   a sentence in one enterprise's 情况简介 changes (its package is rebuilt; lists unchanged)
  score  one self-assessed score changes (its package is rebuilt, and 推荐名单/推荐函 change with it)
After each re-run the bench checks that the outputs equal those of a full bundle of the corrected data.

Three ways of timing, each full bundle and re-bundle alike:
  new process   each run in a fresh Python process (cold: nothing imported, compiled or cached in memory);
                the time of the bundle() call, imports of wufei_docs.county.run excluded
  one process   a full bundle, then the re-bundles, in one process (a script or tool using the library)
  command       the whole `python -m wufei_docs bundle …` command from process start to exit: the above plus
                ~0.13 s of interpreter start and imports (pydantic models, CLI) that every run pays

Run: .venv/bin/python bench/rebundle.py [--n 200] [--dir DIR [--evaluation FILE]] [--jobs N] [--repeat 3]
Every run is printed; ratios are fastest full run / fastest re-bundle. The last line gives the ratio for the
slower kind of correction, each way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
from pathlib import Path

from _common import (
    best,
    copy_data,
    data_arguments,
    data_set,
    fmt_runs,
    median,
    run_bundle,
    run_command,
    run_session,
    workdir,
)


def corrections(text: str) -> dict[str, str]:
    """Two edits of one enterprise file: a text change and a score change (both stay valid)."""
    edited = re.sub(r"(profile: .*?)。", r"\1，并持续改进。", text, count=1)
    if edited == text:
        edited = text.replace("已落实", "已全面落实", 1)
    # a claimed score of 1 or more drops by 1 (an item can always score less)
    scored = re.sub(r"(\n {4}score: )([1-9][0-9]*)(\.0)?\n", lambda m: f"{m[1]}{int(m[2]) - 1}\n", text, count=1)
    return {"text": edited, "score": scored}


def outputs(folder: Path) -> dict[str, object]:
    """Every output, comparable between a re-bundle and a full bundle of the same data: the re-bundle
    made the corrected package a new version (历史版本, 修改说明, version number in its manifest), which a
    first bundle has not; everything else must be the same bytes."""
    out: dict[str, object] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or ".wufei" in rel.parts or "历史版本" in rel.parts or p.name.startswith("修改说明"):
            continue
        if p.name in ("manifest.json", "bundle.json"):
            out[rel.as_posix()] = _without_versions(json.loads(p.read_text("utf-8")))
        else:
            out[rel.as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _without_versions(data: object) -> object:
    if isinstance(data, dict):
        return {
            k: _without_versions(v)
            for k, v in data.items()
            if k not in ("version", "previous") and not str(k).startswith("修改说明")
        }
    if isinstance(data, list):
        return [_without_versions(v) for v in data]
    return data


def zip_is_fresh(out: Path, work: Path) -> bool:
    """The re-bundle's zip (built from reused members) equals a zip of the same folder made from scratch."""
    from wufei_docs.files.zips import zip_folder

    copy = work / "zipcheck" / out.name
    shutil.copytree(out, copy)
    zip_folder(copy, copy.with_suffix(".zip"), exclude=frozenset({"历史版本"}))
    same = copy.with_suffix(".zip").read_bytes() == out.with_suffix(".zip").read_bytes()
    shutil.rmtree(copy.parent)
    return same


def check_outputs(
    folder: Path, evaluation: Path, target: Path, edits: dict[str, str], work: Path, jobs: int | None
) -> None:
    """Correctness, once: after each correction the re-bundle's outputs equal a full bundle's."""
    original = target.read_text("utf-8")
    out = work / "check" / "bundle"
    run_bundle(folder, evaluation, out, jobs=jobs)
    for kind, text in edits.items():
        target.write_text(text, "utf-8")
        run_bundle(folder, evaluation, out, jobs=jobs)
        fresh = work / "fresh" / "bundle"
        run_bundle(folder, evaluation, fresh, jobs=jobs)
        if outputs(out) != outputs(fresh):
            raise SystemExit(f"{kind}: re-bundle outputs differ from a full bundle of the same data")
        if not zip_is_fresh(out, work):
            raise SystemExit(f"{kind}: the re-bundle's zip differs from a zip made from scratch")
        shutil.rmtree(fresh.parent)
        target.write_text(original, "utf-8")
        run_bundle(folder, evaluation, out, jobs=jobs)
    shutil.rmtree(out.parent)
    print(
        "checked: after each correction the outputs equal a full bundle of the corrected data (but for the new "
        "version's 修改说明 and version number), and the zip equals one made from scratch"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser, 200, jobs=True)
    args = parser.parse_args()
    with workdir("wufei-bench-rebundle-") as tmp:
        work = Path(tmp)
        source, source_ev = data_set(args, work / "data")
        folder, evaluation = copy_data(source, source_ev, work / "copy")
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
        target = files[len(files) // 2]
        edits = corrections(target.read_text("utf-8"))
        print(f"data: {folder} ({len(files)} files); corrected file: {target.name}")
        check_outputs(folder, evaluation, target, edits, work, args.jobs)

        # (a) each run its own process, as `wufei bundle` on the command line
        cold: dict[str, list[float]] = {"full": [], **{k: [] for k in edits}}
        # (b) one process per repeat: full bundle, then the re-bundles (a script or tool calling the library)
        warm: dict[str, list[float]] = {"full": [], **{k: [] for k in edits}}
        # (c) the whole command, process start to exit
        command: dict[str, list[float]] = {"full": [], **{k: [] for k in edits}}
        original = target.read_text("utf-8")
        for i in range(args.repeat):
            out = work / f"cold-{i}" / "bundle"
            cold["full"].append(run_bundle(folder, evaluation, out, jobs=args.jobs)["seconds"])
            for kind, text in edits.items():
                target.write_text(text, "utf-8")
                run = run_bundle(folder, evaluation, out, jobs=args.jobs)
                assert run["rebuilt"] == 1, run
                cold[kind].append(run["seconds"])
                target.write_text(original, "utf-8")
                run_bundle(folder, evaluation, out, jobs=args.jobs)
            shutil.rmtree(out.parent)
            session = run_session(folder, evaluation, work / f"warm-{i}" / "bundle", target, edits, jobs=args.jobs)
            for kind, (seconds, rebuilt) in session.items():
                assert rebuilt == (1 if kind != "full" else session["full"][1]), session
                warm[kind].append(seconds)
            shutil.rmtree(work / f"warm-{i}")
            out = work / f"command-{i}" / "bundle"
            command["full"].append(run_command(folder, evaluation, out, jobs=args.jobs))
            for kind, text in edits.items():
                target.write_text(text, "utf-8")
                command[kind].append(run_command(folder, evaluation, out, jobs=args.jobs))
                target.write_text(original, "utf-8")
                run_command(folder, evaluation, out, jobs=args.jobs)
            shutil.rmtree(out.parent)
            print(
                f"run {i + 1}: new process per run: full {cold['full'][-1]:.2f}s, "
                + ", ".join(f"{k} {cold[k][-1] * 1000:.0f} ms" for k in edits)
                + f" | one process: full {warm['full'][-1]:.2f}s, "
                + ", ".join(f"{k} {warm[k][-1] * 1000:.0f} ms" for k in edits)
                + f" | command: full {command['full'][-1]:.2f}s, "
                + ", ".join(f"{k} {command[k][-1] * 1000:.0f} ms" for k in edits)
            )
        ratios = {}
        ways = (
            ("new process per run (bundle() call, cold)", cold),
            ("one process (library)", warm),
            ("whole command (process start to exit)", command),
        )
        for label, runs in ways:
            f = best(runs["full"])
            print(f"{label}: full bundle {fmt_runs(runs['full'])}, best {f:.2f}s, median {median(runs['full']):.2f}s")
            for kind in edits:
                m = best(runs[kind])
                ratios[(label, kind)] = f / m
                print(f"    re-bundle after a {kind:5s} correction: {fmt_runs(runs[kind], 1000, 'ms')}, best "
                      f"{m * 1000:.0f} ms, ratio {f / m:.1f}x")  # fmt: skip
        worst = {label: min(v for (way, _), v in ratios.items() if way == label) for label, _ in ways}
        cold_ratio, lib, cmd = worst.values()
        print(
            f"ratio full/rebundle (worse correction): {lib:.1f}x in one process, {cold_ratio:.1f}x with a new "
            f"process per run, {cmd:.1f}x for the whole command"
        )


if __name__ == "__main__":
    main()
