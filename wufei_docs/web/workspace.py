"""The workspace folder: the same files the CLI reads and writes, laid out for the three kinds of user.

    企业/<名称>.yaml              enterprise data files (what `wufei validate/score/build` and `wufei bundle` read)
    申报材料/<名称>/              `wufei build` output of each (versions in 历史版本/, 修改说明)
    县/evaluation.yaml            the county's evaluation (FORMAT.md §5)
    县/推荐材料/ 县/推荐材料.zip   `wufei bundle` output
    市/wufei-register.db          the city register (`wufei city --db`)
    市/收件/ 市/名单/ 市/抽查/     imported bundles, published lists, spot-check notices

Names that come from a browser never become paths: a file is found by listing its folder and comparing
names, and new names are made from the unit name with everything but letters, digits, CJK, - and _ dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DATA_SUFFIXES = (".yaml", ".yml", ".xlsx")
_SAFE = re.compile(r"[^0-9A-Za-z_\-\u3400-\u4dbf\u4e00-\u9fff（）()]+")
_STEM = re.compile(r"^[0-9A-Za-z_\-\u3400-\u4dbf\u4e00-\u9fff（）()]{1,60}$")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def enterprises(self) -> Path:
        return self.root / "企业"

    @property
    def packages(self) -> Path:
        return self.root / "申报材料"

    @property
    def county(self) -> Path:
        return self.root / "县"

    @property
    def evaluation(self) -> Path:
        return self.county / "evaluation.yaml"

    @property
    def bundle_out(self) -> Path:
        return self.county / "推荐材料"

    @property
    def bundle_zip(self) -> Path:
        return self.county / "推荐材料.zip"

    @property
    def city(self) -> Path:
        return self.root / "市"

    @property
    def register(self) -> Path:
        return self.city / "wufei-register.db"

    @property
    def inbox(self) -> Path:
        return self.city / "收件"

    @property
    def lists(self) -> Path:
        return self.city / "名单"

    @property
    def checks(self) -> Path:
        return self.city / "抽查"

    def create(self) -> None:
        for folder in (self.enterprises, self.packages, self.county, self.city, self.inbox):
            folder.mkdir(parents=True, exist_ok=True)

    def enterprise_files(self) -> list[Path]:
        if not self.enterprises.is_dir():
            return []
        return sorted(
            p
            for p in self.enterprises.iterdir()
            if p.suffix.lower() in DATA_SUFFIXES and not p.name.startswith((".", "~$")) and p.is_file()
        )

    def find(self, stem: str) -> Path | None:
        """The enterprise file whose name (without suffix) is `stem`, found by listing, never by joining."""
        if not _STEM.match(stem):
            return None
        return next((p for p in self.enterprise_files() if p.stem == stem), None)

    def package(self, stem: str) -> Path:
        assert _STEM.match(stem)
        return self.packages / stem

    def new_stem(self, wanted: str) -> str:
        """A file name not in use, made from `wanted` (a unit name typed or read from a file)."""
        stem = safe_stem(wanted) or f"企业-{dt.datetime.now():%Y%m%d-%H%M%S}"
        taken = {p.stem for p in self.enterprise_files()}
        candidate, n = stem, 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}", n + 1
        return candidate

    @contextmanager
    def upload_dir(self) -> Iterator[Path]:
        """A private temp folder (mode 0700) for uploads, removed afterwards."""
        with tempfile.TemporaryDirectory(prefix="wufei-upload-") as tmp:
            yield Path(tmp)


def safe_stem(text: str) -> str:
    stem = _SAFE.sub("", text or "").strip("-_")[:40]
    return "" if stem.lower() in _RESERVED else stem


def upload_name(filename: str | None, allowed: tuple[str, ...]) -> str | None:
    """A generated name with the upload's suffix when that suffix is allowed (else None)."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in allowed:
        return None
    return f"upload-{secrets.token_hex(8)}{suffix}"
