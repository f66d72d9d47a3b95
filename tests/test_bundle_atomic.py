"""Issue 15: the bundle as one atomic, locked unit. A user's OUT.zip is never replaced; odd -o paths are
refused before anything is written; a second run waits for the first; a failure anywhere (a full disk, an
error in one package, kill -9 at any point) leaves the previous bundle as it was, and the next run gives a
bundle equal to a fresh one; pool workers do not outlive the bundle."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bundle_checks import assert_consistent, outputs, snapshot
from wufei_docs._samples import write_samples
from wufei_docs.county import switch
from wufei_docs.county.run import bundle
from wufei_docs.errors import OutputError, TemplateError

ROOT = Path(__file__).resolve().parents[1]


def samples(tmp_path: Path, n: int, name: str = "收件", seed: int = 5) -> tuple[Path, Path]:
    files, evaluation = write_samples(tmp_path / name, n, seed=seed)
    return files[0].parent, evaluation


def correct(src: Path) -> None:
    """A later state of the folder: three corrected files, one of them now vetoed (packages, lists, letter,
    bundle.json and summary all change)."""
    for path in sorted(src.glob("*.yaml"))[:3]:
        text = path.read_text("utf-8")
        path.write_text(text.replace("。", "，并持续改进。", 1), "utf-8")
    last = sorted(src.glob("*.yaml"))[-1]
    last.write_text(last.read_text("utf-8").replace("met: true", "met: false", 1), "utf-8")


def comparable(out: Path) -> dict[str, Any]:
    """The outputs a re-run shares with a first run (the version bookkeeping of a correction aside), hidden
    staging and lock files left out."""
    return {name: data for name, data in outputs(out).items() if not name.startswith(".")}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A bundle of 5 enterprises, the corrected input, and a fresh bundle of the corrected input."""
    root = tmp_path_factory.mktemp("base")
    src, ev = samples(root, 5)
    out = root / "out"
    bundle(src, ev, out, jobs=1)
    corrected = root / "corrected"
    shutil.copytree(src, corrected)
    correct(corrected)
    fresh = root / "fresh" / "out"
    bundle(corrected, ev, fresh, jobs=1)
    return {"src": src, "ev": ev, "out": out, "corrected": corrected, "fresh": comparable(fresh)}


@pytest.fixture
def previous(base: dict[str, Any], tmp_path: Path) -> tuple[Path, Path, Path, dict[str, str]]:
    """A copy of the first bundle (OUT and OUT.zip) and of the corrected input; the bundle's snapshot."""
    out = tmp_path / "out"
    shutil.copytree(base["out"], out)
    shutil.copy2(base["out"].with_name("out.zip"), tmp_path / "out.zip")
    src = tmp_path / "收件"
    shutil.copytree(base["corrected"], src)
    return src, base["ev"], out, snapshot(out)


def rerun_equals_fresh(base: dict[str, Any], src: Path, ev: Path, out: Path) -> None:
    bundle(src, ev, out, jobs=1)
    assert_consistent(out)
    assert comparable(out) == base["fresh"]


# --- 1. never replace a file wufei did not write --------------------------------------------------


def test_a_users_zip_is_never_replaced(cli, tmp_path: Path) -> None:
    src, ev = samples(tmp_path, 2)
    mine = tmp_path / "out.zip"
    mine.write_text("mine\n", "utf-8")
    r = cli("bundle", src, "--evaluation", ev, "-o", tmp_path / "out")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"{mine} 已存在，但不是 wufei 上次为" in r.stderr
    assert mine.read_text("utf-8") == "mine\n"
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_folder_at_out_zip_is_named_as_itself(cli, tmp_path: Path) -> None:
    src, ev = samples(tmp_path, 2)
    (tmp_path / "out.zip").mkdir()
    r = cli("bundle", src, "--evaluation", ev, "-o", tmp_path / "out")
    assert r.exit_code == 1
    assert f"{tmp_path / 'out.zip'} 已存在且是文件夹" in r.stderr and "wufei-new" not in r.stderr


def test_a_zip_swapped_for_a_users_file_after_a_bundle_is_refused(previous, cli) -> None:
    src, ev, out, before = previous
    (out.with_name("out.zip")).write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip of the user's
    before = snapshot(out)
    r = cli("bundle", src, "--evaluation", ev, "-o", out)
    assert r.exit_code == 1 and "out.zip 已存在，但不是 wufei 上次为" in r.stderr
    assert snapshot(out) == before


def test_the_zip_of_out_is_recognised_without_the_records(previous, base) -> None:
    src, ev, out, _ = previous
    shutil.rmtree(out / ".wufei")  # the records of the last run are gone: the zip is still known by its members
    rerun_equals_fresh(base, src, ev, out)


# --- 4. output paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [".", "..", "/", "input", "parent", "inside", "dotdot-path"])
def test_odd_output_paths_are_refused_and_nothing_is_written(cli, tmp_path: Path, monkeypatch, kind: str) -> None:
    src, ev = samples(tmp_path / "w", 2)
    here = tmp_path / "w" / "a" / "b"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    out = {
        ".": Path("."),
        "..": Path(".."),
        "/": Path("/"),
        "input": src,
        "parent": src.parent,
        "inside": src / "out",
        "dotdot-path": Path("x") / "..",
    }[kind]
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    r = cli("bundle", src, "--evaluation", ev, "-o", out)
    assert r.exit_code == 1, r.output
    assert "输出文件夹" in r.stderr and "Traceback" not in r.output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    assert not Path("/.zip").exists()


# --- 2. the lock ---------------------------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from wufei_docs.files.locking import folder_lock
with folder_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def holding(out: Path, seconds: float, kill: bool = True) -> Iterator[subprocess.Popen[str]]:
    """Another process holds OUT's lock for `seconds` (killed at the end of the block if `kill`)."""
    with subprocess.Popen([sys.executable, "-c", HOLD, str(out), str(seconds)], stdout=subprocess.PIPE,
                          text=True) as holder:  # fmt: skip
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        try:
            yield holder
        finally:
            if kill:
                holder.kill()
            holder.wait()


def test_a_second_run_waits_then_names_the_holder(previous, cli) -> None:
    src, ev, out, before = previous
    with holding(out, 120) as holder:
        r = cli("bundle", src, "--evaluation", ev, "-o", out, "--wait", "0.3")
    assert r.exit_code == 1
    assert f"正被另一个 wufei 运行使用（进程 {holder.pid}，" in r.stderr and "已等待 0.3 秒" in r.stderr
    assert "开始于 " in r.stderr
    assert snapshot(out) == before


def test_a_second_run_goes_on_once_the_first_has_ended(previous, base, cli) -> None:
    src, ev, out, _ = previous
    with holding(out, 1.0, kill=False):
        r = cli("bundle", src, "--evaluation", ev, "-o", out, "--jobs", "1")  # waits (up to 30 s by default)
    assert r.exit_code == 0, r.output
    assert_consistent(out)
    assert comparable(out) == base["fresh"]


def test_two_concurrent_bundles_into_one_out_end_consistent(tmp_path: Path) -> None:
    big, ev_big = samples(tmp_path, 20, name="二十家")
    small, ev_small = samples(tmp_path, 5, name="五家")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "wufei_docs", "bundle"]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    runs = []
    for (src, ev), log in zip(((big, ev_big), (small, ev_small)), logs, strict=True):
        with log.open("w") as f:
            runs.append(subprocess.Popen([*command, str(src), "--evaluation", str(ev), "-o", str(out), "--jobs", "1"],
                                         stdout=f, stderr=subprocess.STDOUT))  # fmt: skip
    codes = [p.wait(120) for p in runs]
    assert codes == [0, 0], [log.read_text("utf-8") for log in logs]
    data = assert_consistent(out)
    assert len(data["enterprises"]) in (20, 5)
    bundle(big, ev_big, out, jobs=1)  # a plain re-run gives the 20
    assert len(assert_consistent(out)["enterprises"]) == 20


# --- 3 and 6. failures leave the previous bundle ---------------------------------------------------


def enospc(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def failing_at(k: int, real: Any) -> Any:
    calls = [0]

    def call(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == k:
            enospc()
        return real(*args, **kwargs)

    return call


@pytest.mark.parametrize("k", [1, 3, 6, 9, 12, 15, 18])
def test_disk_full_at_any_durable_write_leaves_the_previous_bundle(previous, base, monkeypatch, k: int) -> None:
    src, ev, out, before = previous
    monkeypatch.setattr(os, "fsync", failing_at(k, os.fsync))
    try:
        bundle(src, ev, out, jobs=1)
    except OSError as e:
        assert e.errno == errno.ENOSPC and e.filename  # the message will name the file
        assert snapshot(out) == before
        assert not list(out.parent.glob(".out.zip.*"))
    else:  # k past the last fsync of a durable write (fsync_dir ignores errors): the run completed
        assert_consistent(out)
    monkeypatch.undo()
    rerun_equals_fresh(base, src, ev, out)


@pytest.mark.parametrize("k", [1, 2, 5, 9, 14])
def test_a_failure_at_any_move_of_the_switch_is_rolled_back(previous, base, monkeypatch, k: int) -> None:
    src, ev, out, before = previous
    monkeypatch.setattr(switch, "move", failing_at(k, switch.move))
    with pytest.raises(OSError):
        bundle(src, ev, out, jobs=1)
    assert snapshot(out) == before
    monkeypatch.undo()
    rerun_equals_fresh(base, src, ev, out)


def test_disk_full_while_writing_the_zip(previous, base, monkeypatch) -> None:
    from wufei_docs.files import zips

    src, ev, out, before = previous
    monkeypatch.setattr(zips, "_write_all", failing_at(3, zips._write_all))
    with pytest.raises(OSError) as caught:
        bundle(src, ev, out, jobs=1)
    assert caught.value.filename == str(out.with_name("out.zip"))
    assert snapshot(out) == before
    monkeypatch.undo()
    rerun_equals_fresh(base, src, ev, out)


def test_an_error_in_one_package_leaves_no_partial_output(previous, base, monkeypatch, tmp_path: Path) -> None:
    from wufei_docs.package import build

    src, ev, out, before = previous
    real = build.build_package
    calls = [0]

    def third_fails(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise TemplateError("模板 申报书.docx 无法生成：测试")
        return real(*args, **kwargs)

    monkeypatch.setattr(build, "build_package", third_fails)
    with pytest.raises(TemplateError):
        bundle(src, ev, tmp_path / "new", jobs=1)  # a first bundle: nothing at all is left
    assert not (tmp_path / "new").exists() and not (tmp_path / "new.zip").exists()
    fresh_src = tmp_path / "全部"
    shutil.copytree(src, fresh_src)
    for path in fresh_src.glob("*.yaml"):  # every package changes: the third one fails
        path.write_text(path.read_text("utf-8").replace("。", "，另有说明。", 1), "utf-8")
    calls[0] = 0
    with pytest.raises(TemplateError):
        bundle(fresh_src, ev, out, jobs=1)
    assert snapshot(out) == before
    monkeypatch.undo()
    rerun_equals_fresh(base, src, ev, out)


def test_real_disk_full_on_a_small_tmpfs(cli, base, tmp_path: Path) -> None:
    """A real ENOSPC where the test may mount a tmpfs (root on Linux): the message names the file in
    Chinese, the bundle stays as it was; with room again, the next run completes."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                                           capture_output=True).returncode:  # fmt: skip
        pytest.skip("cannot mount a tmpfs here")
    try:
        out = mount / "out"
        shutil.copytree(base["out"], out)
        shutil.copy2(base["out"].with_name("out.zip"), mount / "out.zip")
        src = tmp_path / "收件"
        shutil.copytree(base["corrected"], src)
        before = snapshot(out)
        free = shutil.disk_usage(mount).free
        filler = mount / "filler"
        with filler.open("wb") as f:
            f.write(bytes(max(0, free - 150_000)))  # room for a little, not for the new packages and zip
        r = cli("bundle", src, "--evaluation", base["ev"], "-o", out, "--jobs", "1")
        assert r.exit_code == 1 and "磁盘空间不足" in r.stderr and "Traceback" not in r.output
        assert snapshot(out) == before
        filler.unlink()
        r = cli("bundle", src, "--evaluation", base["ev"], "-o", out, "--jobs", "1")
        assert r.exit_code == 0, r.output
        assert_consistent(out)
        assert comparable(out) == base["fresh"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


# --- kill -9 ---------------------------------------------------------------------------------------

KILL_AT = """
import os, signal, sys
n, calls, real = int(sys.argv[1]), [0], os.replace
def replace(*args, **kwargs):
    calls[0] += 1
    if calls[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
os.replace = replace
from wufei_docs.county.run import bundle
bundle(sys.argv[2], sys.argv[3], sys.argv[4], jobs=1)
"""


@pytest.mark.parametrize("n", [1, 6, 20, 28, 33, 44, 56, 66, 72, 78])
def test_kill_9_at_any_rename_then_a_rerun(previous, base, n: int) -> None:
    """Killed at the n-th rename of the run (every atomic write and every move of the switch is one): the
    interrupted switch is rolled back to exactly the previous bundle (or, killed after its commit point,
    the new bundle stands), and a re-run gives a bundle equal to a fresh one."""
    src, ev, out, before = previous
    done = subprocess.run([sys.executable, "-c", KILL_AT, str(n), str(src), str(ev), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    switch.recover(out)  # what the next run does first
    if snapshot(out) != before:
        assert_consistent(out)  # killed after the commit point
    rerun_equals_fresh(base, src, ev, out)


# --- 5. no orphans ---------------------------------------------------------------------------------


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_end_when_the_bundle_is_killed(tmp_path: Path) -> None:
    src, ev = samples(tmp_path, 24)
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "wufei_docs", "bundle", str(src), "--evaluation", str(ev),
                            "-o", str(out), "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    workers: set[int] = set()
    for _ in range(600):  # until the pool is up (the run ends with its workers otherwise)
        workers = children(run.pid)
        if len(workers) >= 2 or run.poll() is not None:
            break
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert workers, "the bundle ended before its pool started"
    for _ in range(200):
        if not any(alive(w) for w in workers):
            break
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)]
    bundle(src, ev, out, jobs=1)  # and the next run completes
    assert_consistent(out)


def test_a_lock_held_by_a_run_in_this_process_is_refused_not_waited_for(tmp_path: Path) -> None:
    from wufei_docs.files.locking import folder_lock

    src, ev = samples(tmp_path, 1)
    out = tmp_path / "out"
    import threading

    errors: list[Exception] = []
    with folder_lock(out):

        def other() -> None:
            try:
                bundle(src, ev, out, jobs=1, wait=0.2)
            except OutputError as e:
                errors.append(e)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert errors and "正被另一个 wufei 运行使用" in str(errors[0])


def test_an_unchanged_rerun_keeps_the_zip_and_a_new_file_in_out_is_zipped(previous) -> None:
    src, ev, out, _ = previous
    bundle(src, ev, out, jobs=1)
    zip_path = out.with_name("out.zip")
    first = zip_path.stat()
    bundle(src, ev, out, jobs=1)
    again = zip_path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)  # not even rewritten
    assert not (out / switch.JOURNAL).exists() and not (out / switch.STAGE).exists()
    folder = next((out / "企业").iterdir())
    (folder / "补充说明.txt").write_text("县里补充的说明\n", "utf-8")  # nothing of wufei's changes: only the zip
    bundle(src, ev, out, jobs=1)
    assert zip_path.stat().st_ino != first.st_ino
    assert_consistent(out)


def test_the_next_run_rolls_back_a_stopped_switch_and_says_so(previous, base, monkeypatch) -> None:
    """A run stopped mid-switch with no chance to roll back (as kill -9 would leave it): the next run rolls
    the switch back first, says so, and completes."""
    src, ev, out, before = previous
    monkeypatch.setattr(switch, "move", failing_at(4, switch.move))
    monkeypatch.setattr(switch.BundleSwitch, "rollback", lambda self: None)
    with pytest.raises(OSError):
        bundle(src, ev, out, jobs=1)
    assert (out / switch.JOURNAL).exists() and snapshot(out) != before  # half switched
    monkeypatch.undo()
    report = bundle(src, ev, out, jobs=1)
    assert report.notes == [f"{out}：上次运行中断，已先恢复到中断前的推荐材料"]
    assert_consistent(out)
    assert comparable(out) == base["fresh"]


def test_no_zip_leaves_an_earlier_zip_and_says_it_is_out_of_date(previous) -> None:
    src, ev, out, before = previous
    report = bundle(src, ev, out, jobs=1, zip_output=False)
    zip_path = out.with_name("out.zip")
    assert snapshot(out)["../out.zip"] == before["../out.zip"]
    assert report.notes == [f"{zip_path} 是以前生成的压缩包，未随本次（--no-zip）更新，与推荐材料不再一致"]
    assert_consistent(out, zipped=False)
