"""Re-runs of `wufei bundle` reuse OUT/.wufei (assessments, package records, zip records, template sources):
every kind of change is still picked up, and a re-run gives the same outputs as a first run.
These tests check outputs and what was re-read, never times."""

from __future__ import annotations

import json
import marshal
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.bundle_checks import outputs
from tests.conftest import dump_yaml
from wufei_docs import loading as api
from wufei_docs._samples import write_samples
from wufei_docs.county.run import bundle
from wufei_docs.files.zips import zip_folder


@pytest.fixture
def county(tmp_path: Path) -> tuple[Path, Path]:
    files, evaluation = write_samples(tmp_path / "收件", 4, seed=3)
    return files[0].parent, evaluation


def fresh_equals(src: Path, ev: Path, out: Path, tmp_path: Path, **kw: Any) -> None:
    """A first run over the same inputs gives the same outputs, and a zip made from scratch of the re-run's
    folder is byte-identical to the re-run's (incremental) zip."""
    first = tmp_path / "fresh" / out.name
    bundle(src, ev, first, jobs=1, **kw)
    assert outputs(out) == outputs(first)
    copy = tmp_path / "zipcheck" / out.name
    shutil.copytree(out, copy)
    zip_folder(copy, copy.with_suffix(".zip"), exclude=frozenset({"历史版本"}))
    assert out.with_suffix(".zip").read_bytes() == copy.with_suffix(".zip").read_bytes()
    shutil.rmtree(first.parent)
    shutil.rmtree(copy.parent)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the enterprise files that were parsed and validated (jobs=1 runs in this process)."""
    seen: list[str] = []
    real = api.check

    def counting(path: Any) -> Any:
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(api, "check", counting)
    return seen


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text("utf-8"))


def by_source(out: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((out / "bundle.json").read_text("utf-8"))
    return {e["source"]: e for e in data["enterprises"]}


def test_unchanged_rerun_parses_nothing_and_changes_nothing(county, tmp_path, checks) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    assert sorted(checks) == sorted(p.name for p in src.iterdir())
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and ".wufei" not in p.parts}
    checks.clear()
    report = bundle(src, ev, out, jobs=1)
    assert checks == [] and report.rebuilt == []
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and ".wufei" not in p.parts}
    assert after == before  # not one output file rewritten
    fresh_equals(src, ev, out, tmp_path)


def test_changed_file_is_reassessed_and_rebuilt(county, tmp_path, checks) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=2)
    target = src / "0002.yaml"
    data = load(target)
    item = next(k for k, v in data["items"].items() if v["score"] >= 1)
    data["items"][item]["score"] -= 1
    target.write_text(dump_yaml(data), "utf-8")
    before = by_source(out)["0002.yaml"]
    checks.clear()
    report = bundle(src, ev, out, jobs=1)
    assert checks == ["0002.yaml"]
    assert [e.source for e in report.rebuilt] == ["0002.yaml"]
    assert by_source(out)["0002.yaml"]["self_total"] == before["self_total"] - 1
    fresh_equals(src, ev, out, tmp_path)


def test_changed_evaluation_entry_is_picked_up(county, tmp_path, checks) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    evaluation = load(ev)
    uscc = load(src / "0003.yaml")["unit"]["uscc"]
    evaluation["enterprises"][uscc]["scores"] = {"A4.1": 0}
    evaluation["enterprises"][uscc]["opinion"] = "复核后核减"
    ev.write_text(dump_yaml(evaluation), "utf-8")
    checks.clear()
    report = bundle(src, ev, out, jobs=1)
    assert checks == ["0003.yaml"]  # only the enterprise whose evaluation entry changed
    assert [e.source for e in report.rebuilt] == ["0003.yaml"]
    assert by_source(out)["0003.yaml"]["opinion"] == "复核后核减"
    fresh_equals(src, ev, out, tmp_path)


def test_changed_template_rebuilds_every_package(county, tmp_path, checks) -> None:
    from wufei_docs.render.templates import FORM, builtin_dir

    src, ev = county
    custom = tmp_path / "模板"
    custom.mkdir()
    shutil.copyfile(builtin_dir() / FORM, custom / FORM)
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1, templates=custom)
    _edit_docx(custom / FORM, "申报表", "申报登记表")
    checks.clear()
    report = bundle(src, ev, out, jobs=1, templates=custom)
    assert sorted(e.source for e in report.rebuilt) == sorted(p.name for p in src.iterdir())
    form = next((out / "企业").iterdir()) / "附件2-评估申报表.docx"
    with zipfile.ZipFile(form) as z:
        assert "申报登记表" in z.read("word/document.xml").decode()
    fresh_equals(src, ev, out, tmp_path, templates=custom)


def test_deleted_and_added_files(county, tmp_path, checks) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    (src / "0004.yaml").unlink()
    extra, _ = write_samples(tmp_path / "更多", 6, seed=3)
    shutil.copyfile(extra[5], src / "0006.yaml")
    checks.clear()
    report = bundle(src, ev, out, jobs=1)
    assert checks == ["0006.yaml"]
    assert sorted(by_source(out)) == ["0001.yaml", "0002.yaml", "0003.yaml", "0006.yaml"]
    assert [e.source for e in report.rebuilt] == ["0006.yaml"]
    summary = (out / "汇总.txt").read_text("utf-8")
    assert "企业文件 4 个" in summary
    with zipfile.ZipFile(out.with_suffix(".zip")) as z:
        listed = z.read("out/bundle.json").decode()
    assert "0006.yaml" in listed and "0004.yaml" not in listed


def test_deleted_or_edited_output_is_rebuilt(county, tmp_path, checks) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    folder = out / by_source(out)["0001.yaml"]["folder"]
    (folder / "申报书.docx").unlink()
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["fingerprint"] = "0" * 64  # hand-edited: no longer the version the cache saw
    other = out / by_source(out)["0002.yaml"]["folder"] / "manifest.json"
    other.write_text(json.dumps({**json.loads(other.read_text("utf-8")), "fingerprint": "0" * 64}), "utf-8")
    checks.clear()
    report = bundle(src, ev, out, jobs=1)
    assert sorted(e.source for e in report.rebuilt) == ["0001.yaml", "0002.yaml"]
    assert (folder / "申报书.docx").is_file()
    assert sorted(checks) == ["0001.yaml", "0002.yaml"]  # rendering needs the parsed file


def test_broken_cache_only_costs_time(county, tmp_path, checks) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    for name in ("assess.data", "county.data", "zip.data"):
        (out / ".wufei" / name).write_text("{ not data", "utf-8")
    (out / "推荐函.docx").write_bytes(b"edited by hand")
    checks.clear()
    bundle(src, ev, out, jobs=1)
    assert len(checks) == 4
    fresh_equals(src, ev, out, tmp_path)


def test_cache_stays_out_of_the_zip(county, tmp_path) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    assert (out / ".wufei" / "assess.data").is_file() and any((out / ".wufei" / "templates").iterdir())
    with zipfile.ZipFile(out.with_suffix(".zip")) as z:
        assert z.testzip() is None
        assert not [n for n in z.namelist() if "/." in n]


def _edit_docx(path: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "word/document.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            z.writestr(info, data)


def test_cache_from_another_machine_is_not_trusted(county, tmp_path, checks, monkeypatch) -> None:
    """OUT is copied around: a cache sealed with another key (or planted) is ignored, not believed."""
    src, ev = county
    out = tmp_path / "out"
    monkeypatch.setenv("WUFEI_CACHE_HOME", str(tmp_path / "机器甲"))
    bundle(src, ev, out, jobs=1)
    cache = out / ".wufei" / "assess.data"
    mac, _, data = cache.read_bytes().partition(b"\n")
    planted = marshal.loads(data)
    for record in planted["files"].values():  # a planted cache that says everyone scored 110 and is recommended
        record["entry"].update(self_total=110, recommended=True, reason=None)
    cache.write_bytes(mac + b"\n" + marshal.dumps(planted))
    checks.clear()
    bundle(src, ev, out, jobs=1)
    assert sorted(checks) == sorted(p.name for p in src.iterdir())  # wrong seal: every file read again
    assert all(e["self_total"] != 110 for e in by_source(out).values())
    monkeypatch.setenv("WUFEI_CACHE_HOME", str(tmp_path / "机器乙"))  # the folder handed to someone else
    checks.clear()
    bundle(src, ev, out, jobs=1)
    assert sorted(checks) == sorted(p.name for p in src.iterdir())
    fresh_equals(src, ev, out, tmp_path)


def test_without_a_key_nothing_is_cached(county, tmp_path, checks, monkeypatch) -> None:
    src, ev = county
    blocker = tmp_path / "不是文件夹"
    blocker.write_text("x", "utf-8")
    monkeypatch.setenv("WUFEI_CACHE_HOME", str(blocker / "sub"))
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    checks.clear()
    bundle(src, ev, out, jobs=1)
    assert len(checks) == 4 and not (out / ".wufei" / "assess.data").exists()
    fresh_equals(src, ev, out, tmp_path)


def test_evaluation_read_from_the_cache_equals_the_file(county, tmp_path, monkeypatch) -> None:
    from wufei_docs.county import cache as bundle_cache

    _, ev = county
    data = load(ev)
    first = next(iter(data["enterprises"]))
    data["enterprises"][first].update(compliance={"H2": False}, opinion="  意见前后有空格  ", scores={"A4.1": 4.5})
    ev.write_text(dump_yaml(data), "utf-8")
    out = tmp_path / "out"
    loaded, remember = bundle_cache.load_evaluation(ev, out)
    remember()
    assert (out / ".wufei" / "evaluation.pickle").is_file()
    monkeypatch.setattr(api, "load_evaluation", lambda path: pytest.fail("the file was parsed again"))
    cached, _ = bundle_cache.load_evaluation(ev, out)
    assert cached == loaded
    assert cached.enterprises[first].opinion == "意见前后有空格" and cached.enterprises[first].scores == {"A4.1": 4.5}


def test_new_tool_version_starts_afresh(county, tmp_path, checks, monkeypatch) -> None:
    from wufei_docs.county import cache as bundle_cache

    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    monkeypatch.setattr(bundle_cache, "code_digest", lambda: "另一个版本")
    checks.clear()
    bundle(src, ev, out, jobs=1)
    assert sorted(checks) == sorted(p.name for p in src.iterdir())
    fresh_equals(src, ev, out, tmp_path)


def test_symlinked_cache_folder_is_refused(county, tmp_path) -> None:
    from wufei_docs.errors import OutputError

    src, ev = county
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    (out / ".wufei").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="符号链接"):
        bundle(src, ev, out, jobs=1)
    assert list(elsewhere.iterdir()) == []


# --- a re-run in a new process: a helper forked early renders the corrected package --------------


@pytest.fixture
def new_process(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make this (test) process look like a fresh `wufei bundle`: nothing compiled yet, so a re-run with
    a correction or two forks the helper; records each `prestart` outcome."""
    from wufei_docs.county import run as bundle_module
    from wufei_docs.county.pool import Workers

    started: list[bool] = []
    prestart = Workers.prestart

    def spy(self: Workers, warm_up: Any) -> bool:
        started.append(prestart(self, warm_up))
        return started[-1]

    monkeypatch.setattr(bundle_module, "_renderer_loaded", lambda: False)
    monkeypatch.setattr(Workers, "prestart", spy)
    return started


def _correct(path: Path, score_delta: int) -> None:
    """A text and a score correction of one enterprise file."""
    data = YAML(typ="safe").load(path.read_text("utf-8"))
    data["unit"]["profile"] = data["unit"]["profile"] + "（已更正）"
    item = next(v for v in data["items"].values() if isinstance(v, dict) and (v.get("score") or 0) >= 1)
    item["score"] = item["score"] + score_delta
    path.write_text(dump_yaml(data), "utf-8")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the helper is forked (POSIX only)")
def test_rerun_with_a_helper_equals_a_first_run(county, tmp_path, new_process) -> None:
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=2)
    target = sorted(src.glob("*.yaml"))[1]
    _correct(target, -1)
    report = bundle(src, ev, out, jobs=2)
    assert new_process == [True]  # the re-run forked its helper (the first run had nothing cached)
    assert [e.source for e in report.rebuilt] == [target.name]
    fresh_equals(src, ev, out, tmp_path)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the helper is forked (POSIX only)")
def test_error_in_the_helper_is_raised_here_and_leaves_the_package(county, tmp_path, new_process, monkeypatch) -> None:
    from tests.packages import tree
    from wufei_docs.county import run as bundle_module
    from wufei_docs.errors import TemplateError, WufeiError

    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=2)
    before = tree(out / "企业")
    _correct(sorted(src.glob("*.yaml"))[0], -1)

    monkeypatch.setattr(bundle_module, "_produce", _broken_produce)  # the helper, forked later, runs this
    with pytest.raises(TemplateError, match="无法生成"):
        bundle(src, ev, out, jobs=2)
    assert new_process == [True]
    assert tree(out / "企业") == before

    monkeypatch.setattr(bundle_module, "_produce", _dying_produce)
    with pytest.raises(WufeiError, match="子进程意外退出"):
        bundle(src, ev, out, jobs=2)
    assert tree(out / "企业") == before


def _broken_produce(a: Any) -> Any:  # module level: tasks reach the helper pickled, functions by name
    from wufei_docs.errors import TemplateError

    raise TemplateError("模板 测试 无法生成")


def _dying_produce(a: Any) -> Any:
    import os

    os._exit(3)  # the helper dies (killed, out of memory)


class _Planted:
    """A pickle that would create a file when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_planted_pickles_and_code_are_never_loaded(county, tmp_path) -> None:
    """The evaluation cache is a pickle and the template store holds compiled code: files put there by
    someone else (no seal, or a forged one) are ignored, never unpickled or run."""
    import pickle

    from wufei_docs.render.engine import clear_cache

    src, ev = county
    out = tmp_path / "out"
    clear_cache()  # templates compiled by earlier tests would not be compiled (and stored) again
    bundle(src, ev, out, jobs=1)
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Planted(marker))
    kept = out / ".wufei" / "templates"
    targets = [out / ".wufei" / "evaluation.pickle", *sorted(kept.glob("*.code")), *sorted(kept.glob("*.members"))]
    assert any(t.suffix == ".code" for t in targets) and any(t.suffix == ".members" for t in targets)
    for target in targets:
        target.write_bytes(b"0" * 64 + b"\n" + evil)
    bundle(src, ev, out, jobs=1)
    assert not marker.exists()
    fresh_equals(src, ev, out, tmp_path)


def test_package_folder_seen_unchanged_by_its_stat(county, tmp_path, checks) -> None:
    """A package folder not changed for a while is known current by its stat alone; deleting or adding a
    file changes the folder's mtime, and the package is rebuilt."""
    import os

    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    folders = [out / e["folder"] for e in by_source(out).values()]
    for folder in folders:
        os.utime(folder, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))  # "changed long ago"
    bundle(src, ev, out, jobs=1)  # records the folders' stats
    from wufei_docs.files import sealed

    records = sealed.read_data(out / ".wufei" / "assess.data")["files"]
    assert all(r["package"]["dir"] is not None for r in records.values())
    checks.clear()
    assert bundle(src, ev, out, jobs=1).rebuilt == [] and checks == []
    (folders[0] / "附件1-评价指标自评表.docx").unlink()
    (folders[1] / "多余.txt").write_text("x", "utf-8")
    report = bundle(src, ev, out, jobs=1)
    assert [e.folder for e in report.rebuilt] == [folders[0].relative_to(out).as_posix()]
    assert (folders[0] / "附件1-评价指标自评表.docx").is_file()
    (folders[1] / "多余.txt").unlink()  # someone else's file: the bundle leaves it (and zips it)
    bundle(src, ev, out, jobs=1)
    fresh_equals(src, ev, out, tmp_path)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the helper is forked (POSIX only)")
def test_helper_started_for_a_rerun_that_changes_nothing_is_dropped(county, tmp_path, new_process) -> None:
    from tests.packages import tree

    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=2)

    def outputs_as_files() -> dict[str, Any]:  # the caches in .wufei are rewritten on every run
        return {k: v for k, v in tree(out).items() if not k.startswith(".wufei/")}

    before = outputs_as_files()
    report = bundle(src, ev, out, jobs=2)
    assert new_process == [True] and report.rebuilt == []
    assert outputs_as_files() == before


def test_unchanged_files_known_by_their_stat_and_changed_ones_still_seen(county, tmp_path, checks, monkeypatch) -> None:
    """Files recorded with a settled stat are not even read on a re-run; any write changes the stat."""
    from wufei_docs.county import cache as bundle_cache

    monkeypatch.setattr(bundle_cache, "RACY_NS", -(10**12))  # everything counts as settled (no waiting)
    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    bundle(src, ev, out, jobs=1)  # records the stats of the files seen unchanged
    hashed: list[bytes] = []
    real_digest = bundle_cache.digest
    monkeypatch.setattr(bundle_cache, "digest", lambda data: hashed.append(data) or real_digest(data))
    checks.clear()
    assert bundle(src, ev, out, jobs=1).rebuilt == [] and checks == []
    enterprise_files = {p.read_bytes() for p in src.glob("*.yaml")}
    assert not enterprise_files & set(hashed)  # (the evaluation file and the templates are still hashed)
    target = sorted(src.glob("*.yaml"))[2]
    target.write_text(target.read_text("utf-8").replace("已落实", "已全面落实", 1), "utf-8")
    report = bundle(src, ev, out, jobs=1)
    assert [e.source for e in report.rebuilt] == [target.name] and checks == [target.name]
    fresh_equals(src, ev, out, tmp_path)


def test_package_of_a_file_taken_out_stays_on_disk_but_out_of_the_zip(county, tmp_path) -> None:
    """A county takes an enterprise file out of the folder: its old package is not sent in the zip (the
    summary says so) but nothing is deleted; with the file back, it is in the zip again."""
    from tests.packages import tree

    src, ev = county
    out = tmp_path / "out"
    bundle(src, ev, out, jobs=1)
    target = sorted(src.glob("*.yaml"))[1]
    folder = by_source(out)[target.name]["folder"]
    before = tree(out / folder)
    moved = target.rename(tmp_path / target.name)
    report = bundle(src, ev, out, jobs=1)
    assert any(w.startswith(f"{folder}：没有对应的有效申报文件") for w in report.warnings)
    assert tree(out / folder) == before
    with zipfile.ZipFile(out.with_suffix(".zip")) as z:
        names = z.namelist()
    assert not [n for n in names if n.startswith(f"out/{folder}/")]
    assert [n for n in names if n.startswith("out/企业/")]
    moved.rename(target)
    report = bundle(src, ev, out, jobs=1)
    assert not [w for w in report.warnings if "没有对应的有效申报文件" in w]
    fresh_equals(src, ev, out, tmp_path)
