"""The bundle's switch: every package folder, the county documents, bundle.json, 汇总.txt and the zip become
current together, or none of them does.

Like one package folder's switch (package/writer.py with files/fsutil.Journal), one level up. Everything new
is staged first — each package in its folder's DEFERRED_STAGING, the county files in OUT/.wufei-bundle-stage/new,
the zip (of OUT as the moves will leave it) beside OUT.zip under a hidden name — while OUT stays as it was.
Then one journal in OUT lists every move (old files out to 历史版本/ or to the stage, new files in, the zip
last) before any is made; deleting it is the commit point. A run that fails (an exception, a full disk) rolls the moves back at once; one that is
killed leaves the journal, and the next run rolls it back before doing anything else. A journal written
before staging (moves: none; clean-up: every staging folder) lets the next run clear what a run stopped
while staging left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors
from wufei_docs.files.fsutil import Journal, atomic_write_bytes, fsync_dir, journal_names_ok, move

JOURNAL = ".wufei-bundle-journal.json"
STAGE = ".wufei-bundle-stage"  # OUT/STAGE/new: county files to move in; OUT/STAGE/old: the files they replace


def zip_temp_names(zip_path: Path) -> tuple[str, str]:
    """The staged new zip and the replaced old one, beside OUT.zip (same folder: a rename, never a copy)."""
    return f".{zip_path.name}.wufei-new", f".{zip_path.name}.wufei-old"


class BundleSwitch:
    """One bundle run's switch (see the module docstring). Paths in `moves`, `created` and `cleanup` are
    relative to OUT; `zip_moves` are names in OUT's parent folder."""

    def __init__(self, out: Path, zip_path: Path | None) -> None:
        self.out, self.zip_path = out, zip_path
        self.moves: list[tuple[str, str]] = []
        self.created: list[str] = []
        self.cleanup: list[str] = [STAGE]
        self.zip_moves: list[tuple[str, str]] = []
        self.prune: list[tuple[str, list[str]]] = []
        self.journalled = False  # a journal is on disk
        self.releasing: threading.Thread | None = None  # deleting the replaced zip

    @property
    def new(self) -> Path:
        """Where the county files are staged."""
        return self.out / STAGE / "new"

    @property
    def new_zip(self) -> Path:
        assert self.zip_path is not None
        return self.zip_path.with_name(zip_temp_names(self.zip_path)[0])

    # --- planning --------------------------------------------------------------------------------

    def prepare(self, package_folders: list[str], staging: str) -> None:
        """Before anything is staged: record what a stopped run would leave (each package's staging folder,
        the stage, package folders made for the first time) so that the next run clears it."""
        from wufei_docs.files.fsutil import remove_tree

        stage = self.out / STAGE
        if stage.exists() or stage.is_symlink():
            remove_tree(stage) if stage.is_dir() and not stage.is_symlink() else stage.unlink()
        for folder in package_folders:
            for part in _parents(folder):
                if part not in self.created and not (self.out / part).exists():
                    self.created.append(part)
            self.cleanup.append(f"{folder}/{staging}")
        if self.zip_path is not None:
            for name in zip_temp_names(self.zip_path):
                with contextlib.suppress(FileNotFoundError):
                    (self.zip_path.parent / name).unlink()  # debris of an interrupted run (ours by name)
        if package_folders:  # (without, a stopped run leaves only the stage, which the next run clears)
            self._save(durable=False)  # lost in a power cut, it would only leave hidden debris

    def add_package(self, folder: str, pending: Journal | None, prune: list[str]) -> None:
        """A package folder's switch (write_package(defer=True)), folded into this one."""
        if pending is None:
            return
        self.moves += [(f"{folder}/{a}", f"{folder}/{b}") for a, b in pending.moves]
        self.created += [f"{folder}/{c}" for c in pending.created if f"{folder}/{c}" not in self.created]
        self.cleanup += [f"{folder}/{c}" for c in pending.cleanup if f"{folder}/{c}" not in self.cleanup]
        if prune:
            self.prune.append((folder, prune))

    def add_file(self, name: str) -> None:
        """A file staged as new/<name>: the current one (if any) moves to old/<name>, the new one in."""
        target = self.out / name
        if target.exists() or target.is_symlink():
            self.moves.append((name, f"{STAGE}/old/{name}"))
        self.moves.append((f"{STAGE}/new/{name}", name))

    # --- doing -----------------------------------------------------------------------------------

    def begin(self) -> None:
        """Write the journal with every move: from here a stopped run is rolled back by the next one."""
        (self.out / STAGE / "old").mkdir(parents=True, exist_ok=True)
        self._save()

    def run(self) -> None:
        """Make the moves in OUT; a source that is not there (deleted by hand) is skipped."""
        for rel in self.created:
            (self.out / rel).mkdir(parents=True, exist_ok=True)
        for src, dst in self.moves:
            source, target = self.out / src, self.out / dst
            if source.exists() or source.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                move(source, target)
        fsync_dir(self.out)

    def add_zip(self) -> None:
        """The staged zip (made of OUT as the moves will leave it) is to replace OUT.zip."""
        assert self.zip_path is not None
        new, old = zip_temp_names(self.zip_path)
        if self.zip_path.exists():
            self.zip_moves.append((self.zip_path.name, old))
        self.zip_moves.append((new, self.zip_path.name))

    def run_zip(self) -> None:
        assert self.zip_path is not None
        here = self.zip_path.parent
        for src, dst in self.zip_moves:
            if (here / src).exists():
                move(here / src, here / dst)
        fsync_dir(here)

    def switch(self, zipped: bool) -> None:
        """Make the staged bundle current (`zipped`: with the staged zip)."""
        if not self.moves:
            self.only_zip(zipped)
            return
        if zipped:
            self.add_zip()
        self.begin()
        self.run()
        if zipped:
            self.run_zip()
        self.commit()

    def only_zip(self, rebuilt: bool) -> None:
        """Nothing in OUT changes: no journal is needed, the zip (if `rebuilt`) replaces OUT.zip in one
        rename, the stage goes."""
        from wufei_docs.files.fsutil import remove_tree

        if rebuilt:
            assert self.zip_path is not None
            move(self.new_zip, self.zip_path)
        if self.journalled:
            (self.out / JOURNAL).unlink()
        remove_tree(self.out / STAGE)

    def commit(self) -> None:
        """The commit point (the journal goes), then the clearing up: stage, staging folders, sub-folders a
        package no longer uses; the replaced zip is deleted by a thread (`wait`)."""
        from wufei_docs.files.fsutil import prune_empty_dirs

        journal = self._journal()
        journal.commit()
        if self.zip_path is not None:
            old = self.zip_path.with_name(zip_temp_names(self.zip_path)[1])
            self.releasing = threading.Thread(target=old.unlink, kwargs={"missing_ok": True}, name="wufei-old-zip")
            self.releasing.start()
        for folder, names in self.prune:
            with contextlib.suppress(OSError):
                prune_empty_dirs(self.out / folder, names)

    def wait(self) -> None:
        if self.releasing is not None:
            self.releasing.join()

    def rollback(self) -> None:
        """Undo what was done (zip first, newest move first), drop what was staged or created."""
        _rollback(self.out, self.zip_path, self._journal(), self.zip_moves)

    def _journal(self) -> Journal:
        return Journal(self.out, self.moves, self.cleanup, self.created, name=JOURNAL)

    def _save(self, durable: bool = True) -> None:
        payload = {"moves": self.moves, "cleanup": self.cleanup, "created": self.created, "zip": self.zip_moves}
        data = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
        atomic_write_bytes(self.out / JOURNAL, data, durable=durable)
        self.journalled = True
        if durable:
            fsync_dir(self.out)


def _parents(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _rollback(out: Path, zip_path: Path | None, journal: Journal, zip_moves: list[tuple[str, str]]) -> None:
    if zip_path is not None:
        here = zip_path.parent
        for src, dst in reversed(zip_moves):
            if (here / dst).exists() and not (here / src).exists():
                os.replace(here / dst, here / src)
        fsync_dir(here)
    journal.rollback()  # removes the journal: the zip's temp names are debris from here on
    if zip_path is not None:
        for name in zip_temp_names(zip_path):
            with contextlib.suppress(FileNotFoundError):
                (zip_path.parent / name).unlink()


def recover(out: Path) -> bool:
    """Roll back a bundle switch that a stopped run left (its journal in OUT); True if there was one."""
    path = out / JOURNAL
    if not (path.exists() or path.is_symlink()):
        return False
    zip_path = out.with_name(out.name + ".zip")
    allowed = {zip_path.name, *zip_temp_names(zip_path)}
    try:
        if path.is_symlink():
            raise ValueError("是符号链接")
        payload = json.loads(path.read_text("utf-8"))
        moves = [(str(a), str(b)) for a, b in payload["moves"]]
        zip_moves = [(str(a), str(b)) for a, b in payload["zip"]]
        cleanup, created = list(payload["cleanup"]), list(payload["created"])
        names = [n for m in moves for n in m] + cleanup + created
        if not journal_names_ok(out, names) or not all(n in allowed for m in zip_moves for n in m):
            raise ValueError("格式不对，或含有输出文件夹之外的路径")
    except (OSError, ValueError, KeyError, TypeError) as e:
        why = oserrors.describe(e) if isinstance(e, OSError) else str(e) if isinstance(e, ValueError) else "格式不对"
        raise OutputError(f"{out}: 上次中断留下的记录 {JOURNAL} 无法读取（{why}），请人工检查该文件夹") from None
    _rollback(out, zip_path, Journal(out, moves, cleanup, created, name=JOURNAL), zip_moves)
    return True
