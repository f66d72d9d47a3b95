"""A failure, a crash or a second run never leaves a half-written package: injected failures at every step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, variant
from tests.packages import DOCS, contents, make_package, tree
from wufei_docs.errors import OutputError
from wufei_docs.files import fsutil
from wufei_docs.files.locking import LOCK_NAME, folder_lock
from wufei_docs.package import writer as package
from wufei_docs.package.final import mark_final
from wufei_docs.package.writer import Package, package_is_current, write_package

CHANGED = {"items.A4.1.score": 8}
# moving v1 out (manifest + 3 documents) and v2 in (3 documents + 2 notes + manifest) = 10 moves
SWITCH_MOVES = 10


class Boom(RuntimeError):
    pass


def fail_on_call(n: int, real):  # type: ignore[no-untyped-def]
    """A stand-in for `real` that raises on its n-th call."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == n:
            raise Boom(f"injected failure on call {n}")
        return real(*args, **kwargs)

    wrapper.calls = calls  # type: ignore[attr-defined]
    return wrapper


def assert_previous_intact(folder: Path, before: dict[str, str]) -> None:
    assert contents(folder) == before
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no staging, journal or lock


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder holding version 1, and what it contains."""
    folder = tmp_path / "包"
    write_package(make_package(variant()), folder)
    return folder, contents(folder)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_failure_while_writing_the_new_version_leaves_the_previous_one(built, monkeypatch, n: int) -> None:
    folder, before = built
    monkeypatch.setattr(package, "atomic_write_bytes", fail_on_call(n, package.atomic_write_bytes))
    with pytest.raises(Boom):
        write_package(make_package(variant(**CHANGED)), folder)
    assert_previous_intact(folder, before)


@pytest.mark.parametrize("n", range(1, SWITCH_MOVES + 1))
def test_failure_at_every_move_of_the_switch_rolls_back(built, monkeypatch, n: int) -> None:
    folder, before = built
    mover = fail_on_call(n, fsutil.move)
    monkeypatch.setattr(fsutil, "move", mover)
    with pytest.raises(Boom):
        write_package(make_package(variant(**CHANGED)), folder)
    assert_previous_intact(folder, before)
    monkeypatch.undo()
    assert write_package(make_package(variant(**CHANGED)), folder).version == 2


def test_the_switch_has_the_expected_number_of_moves(built, monkeypatch) -> None:
    folder, _ = built
    mover = fail_on_call(0, fsutil.move)
    monkeypatch.setattr(fsutil, "move", mover)
    write_package(make_package(variant(**CHANGED)), folder)
    assert mover.calls["n"] == SWITCH_MOVES  # so the test above really fails at every step


def test_failure_in_the_change_note_leaves_the_previous_version(built, monkeypatch) -> None:
    folder, before = built

    def broken(_rev):  # type: ignore[no-untyped-def]
        raise Boom("note")

    monkeypatch.setattr(package, "note_docx", broken)
    with pytest.raises(Boom):
        write_package(make_package(variant(**CHANGED)), folder)
    assert_previous_intact(folder, before)


def test_failure_in_the_first_build_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(package, "atomic_write_bytes", fail_on_call(2, package.atomic_write_bytes))
    with pytest.raises(Boom):
        write_package(make_package(variant()), tmp_path / "新")
    assert not (tmp_path / "新").exists()  # the folder it created is gone too


def test_failure_while_making_the_final_copy_changes_nothing(built, monkeypatch) -> None:
    folder, before = built
    from wufei_docs.package import final

    monkeypatch.setattr(final, "atomic_write_bytes", fail_on_call(3, final.atomic_write_bytes))
    with pytest.raises(Boom):
        mark_final(folder)
    assert_previous_intact(folder, before)
    assert "final" not in json.loads((folder / "manifest.json").read_text("utf-8"))


def test_failure_during_a_switch_after_final_keeps_the_final_copy(built, monkeypatch) -> None:
    folder, _ = built
    mark_final(folder)
    before, sealed = contents(folder), tree(folder / "历史版本" / "1-定稿")
    monkeypatch.setattr(fsutil, "move", fail_on_call(6, fsutil.move))
    with pytest.raises(Boom):
        write_package(make_package(variant(**CHANGED)), folder)
    assert contents(folder) == before and tree(folder / "历史版本" / "1-定稿") == sealed


CRASH = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from tests.conftest import variant
    from tests.packages import make_package
    from wufei_docs.files import fsutil
    from wufei_docs.package.writer import write_package
    real, calls = fsutil.move, [0]
    def crashing(src, dst):
        calls[0] += 1
        if calls[0] == {n}:
            os._exit(9)  # like a power cut: no except, no finally, no rollback
        real(src, dst)
    fsutil.move = crashing
    write_package(make_package(variant(**{{"items.A4.1.score": 8}})), __import__("pathlib").Path({folder!r}))
    """
)


@pytest.mark.parametrize("n", [2, 5, 9])
def test_a_crash_mid_switch_is_rolled_back_by_the_next_run(built, n: int) -> None:
    folder, before = built
    code = CRASH.format(root=str(ROOT), n=n, folder=str(folder))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    assert (folder / ".wufei-journal.json").exists()  # the crash left a half-done switch
    assert contents(folder) != before
    assert not package_is_current(folder, make_package(variant()).fingerprint)
    report = write_package(make_package(variant()), folder)  # same input as version 1
    assert report.unchanged and any("已恢复" in m for m in report.messages)
    assert_previous_intact(folder, before)


# --- the lock ----------------------------------------------------------------------------------

HOLD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from wufei_docs.files.locking import folder_lock
    with folder_lock(Path({folder!r})):
        print("locked", flush=True)
        sys.stdin.read()
    """
)


def test_a_second_run_on_the_same_folder_is_refused_with_a_clear_message(built, cli) -> None:
    folder, before = built
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(root=str(ROOT), folder=str(folder))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError) as caught:
            write_package(make_package(variant(**CHANGED)), folder)
        message = str(caught.value)
        assert str(folder) in message and "正被另一个 wufei 运行使用" in message and str(holder.pid) in message
        r = cli("final", folder)
        assert r.exit_code == 1 and "正被另一个 wufei 运行使用" in r.stderr
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert contents(folder) == before
    assert write_package(make_package(variant(**CHANGED)), folder).version == 2


def test_a_lock_left_by_a_dead_process_is_taken_over(built) -> None:
    folder, _ = built
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (folder / LOCK_NAME).write_text(json.dumps({"pid": int(dead.stdout), "host": "x", "started": "earlier"}))
    assert write_package(make_package(variant(**CHANGED)), folder).version == 2
    assert not (folder / LOCK_NAME).exists()


def test_the_lock_is_reentrant_for_the_run_that_holds_it(tmp_path: Path) -> None:
    with folder_lock(tmp_path):
        write_package(make_package(variant()), tmp_path)  # e.g. bundle holds OUT and writes the lists into it
        assert (tmp_path / LOCK_NAME).exists()
    assert not (tmp_path / LOCK_NAME).exists()


# --- never outside the folder ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../逃逸.docx", "/tmp/abs.docx", "a/b/c.docx", ".hidden", "a/../b.docx", "manifest.json", "历史版本/x"]
)
def test_unsafe_or_reserved_file_names_are_refused(tmp_path: Path, name: str) -> None:
    pkg = Package({name: b"x"}, {}, "fp")
    with pytest.raises(OutputError, match=r"输出文件名|重名"):
        write_package(pkg, tmp_path / "包")
    assert not (tmp_path / "逃逸.docx").exists() and not (tmp_path / "包").exists()


def test_a_symlinked_subfolder_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "包"
    write_package(Package({"a.docx": b"1"}, {}, "one"), folder)
    os.symlink(outside, folder / "PDF")
    with pytest.raises(OutputError, match="符号链接"):
        write_package(Package({"a.docx": b"2", "PDF/a.pdf": b"%PDF"}, {}, "two"), folder)
    assert list(outside.iterdir()) == [] and (folder / "a.docx").read_bytes() == b"1"


def test_a_symlinked_history_folder_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "包"
    write_package(Package({"a.docx": b"1"}, {}, "one"), folder)
    os.symlink(outside, folder / "历史版本")
    with pytest.raises(OutputError, match="符号链接"):
        write_package(Package({"a.docx": b"2"}, {}, "two"), folder)
    assert list(outside.iterdir()) == [] and (folder / "a.docx").read_bytes() == b"1"


def test_files_not_written_by_wufei_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / DOCS[0]).write_bytes(b"the old hand-made application")
    with pytest.raises(OutputError, match="不是 wufei 生成的材料包"):
        write_package(make_package(variant()), tmp_path)
    assert (tmp_path / DOCS[0]).read_bytes() == b"the old hand-made application"


def test_a_stray_file_with_a_new_name_is_archived_not_overwritten(tmp_path: Path) -> None:
    write_package(make_package(variant()), tmp_path)
    (tmp_path / "PDF").mkdir()
    (tmp_path / "PDF" / "申报书.pdf").write_bytes(b"made by hand")
    report = write_package(make_package(variant(), pdf=True), tmp_path)  # same documents: no new version
    assert report.unchanged and (tmp_path / "PDF" / "申报书.pdf").read_bytes() == b"made by hand"
    assert any("PDF/申报书.pdf 不是 wufei 为第 1 版生成的文件，未覆盖" in m for m in report.messages)
    write_package(make_package(variant(**{"unit.staff": 5}), pdf=True), tmp_path)  # new documents: archived
    assert (tmp_path / "历史版本" / "1" / "PDF" / "申报书.pdf").read_bytes() == b"made by hand"


def test_a_corrupt_manifest_is_reported_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(OutputError, match=r"manifest\.json 无法读取"):
        write_package(make_package(variant()), tmp_path)
    assert (tmp_path / "manifest.json").read_text() == "{not json"


def test_a_manifest_naming_files_outside_is_refused(tmp_path: Path) -> None:
    write_package(Package({"a.docx": b"1"}, {}, "one"), tmp_path / "包")
    manifest = json.loads((tmp_path / "包" / "manifest.json").read_text("utf-8"))
    manifest["files"]["../victim.txt"] = "0"
    (tmp_path / "包" / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "victim.txt").write_text("keep me")
    with pytest.raises(OutputError):
        write_package(Package({"a.docx": b"2"}, {}, "two"), tmp_path / "包")
    assert (tmp_path / "victim.txt").read_text() == "keep me"


def test_debris_of_an_interrupted_run_is_cleared(built) -> None:
    folder, before = built
    (folder / ".wufei-staging-abc").mkdir()
    (folder / ".wufei-staging-abc" / DOCS[0]).write_bytes(b"half")
    (folder / ".manifest.json.x1y2.tmp").write_bytes(b"{")
    (folder / ".用户自己的文件").write_bytes(b"not ours")
    report = write_package(make_package(variant()), folder)
    assert report.unchanged
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == [".用户自己的文件"]
    (folder / ".用户自己的文件").unlink()
    assert_previous_intact(folder, before)
