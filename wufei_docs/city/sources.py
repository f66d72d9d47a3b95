"""Where a county bundle's bytes come from: a folder or a zip, read without extracting or following links.

`open_source(path)` gives a `Source` that returns bundle.json (size- and ratio-limited) and hashes the
package files bundle.json lists. A zip is never extracted: member names are checked, members are read
in chunks up to their declared size (which zipfile enforces), and the total read is capped; a folder's
files are read only when they are regular files inside the folder (no symlink out, no device).
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wufei_docs.errors import InputError, os_reason

BUNDLE_JSON = "bundle.json"
MAX_JSON_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 50_000
MAX_RATIO = 200  # uncompressed / compressed size of bundle.json
MAX_NAME = 1024
MAX_HASHED_BYTES = 4 * 1024**3  # all package files of one bundle together
MAX_SMALL = 8 * 1024 * 1024  # a package's manifest.json
CHUNK = 1024 * 1024

# Why a listed file could not be hashed (the digest is then one of these words)
MISSING, NOT_A_FILE, TOO_LARGE, UNREADABLE = "缺少", "不是普通文件", "过大", "无法读取"


@dataclass(frozen=True)
class Source:
    """bundle.json's bytes, where it sits, and how to hash a file named relative to it."""

    raw: bytes
    prefix: str  # folder inside the zip that holds bundle.json ("" at the root or for folders)
    digests: Callable[[list[str]], dict[str, str]]  # relative names → sha256 hex, or a reason word
    read: Callable[[list[str]], dict[str, bytes | None]]  # small files (manifest.json); None: absent or too large


def open_source(path: Path) -> Source:
    if path.is_dir():
        return _folder(path)
    if path.is_file():
        return _zip(path)
    raise InputError(path, "找不到推荐包（应为 wufei bundle 生成的文件夹或 zip 文件）")


def _folder(folder: Path) -> Source:
    target = folder / BUNDLE_JSON
    if not target.is_file():
        raise InputError(folder, f"文件夹中没有 {BUNDLE_JSON}，不是 wufei bundle 生成的推荐包")
    if target.stat().st_size > MAX_JSON_BYTES:
        raise InputError(target, f"文件过大（超过 {MAX_JSON_BYTES // 1024 // 1024} MB）")
    root = folder.resolve()

    def digests(names: list[str]) -> dict[str, str]:
        budget = [MAX_HASHED_BYTES]
        return {rel: _hash_file(root, rel, budget) for rel in names}

    def read(rels: list[str]) -> dict[str, bytes | None]:
        return {rel: _read_small_file(root, rel) for rel in rels}

    return Source(target.read_bytes(), "", digests, read)


def _read_small_file(root: Path, rel: str) -> bytes | None:
    path = root / rel
    try:
        if not path.resolve().is_relative_to(root) or not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as f:
            data = f.read(MAX_SMALL + 1)
    except (OSError, RuntimeError):
        return None
    return data if len(data) <= MAX_SMALL else None


def _hash_file(root: Path, rel: str, budget: list[int]) -> str:
    """sha256 of a regular file inside `root`; a reason word when it is missing, elsewhere or too large."""
    path = root / rel
    try:
        if not path.resolve().is_relative_to(root):
            return NOT_A_FILE  # a symlink pointing out of the bundle
        info = path.stat()
    except FileNotFoundError:
        return MISSING
    except (OSError, RuntimeError):
        return UNREADABLE
    if not stat.S_ISREG(info.st_mode):
        return NOT_A_FILE
    if info.st_size > budget[0]:
        return TOO_LARGE
    budget[0] -= info.st_size
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except OSError:
        return UNREADABLE
    return digest.hexdigest()


def _zip(path: Path) -> Source:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError(path, "不是有效的 zip 文件，也不是推荐包文件夹") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise InputError(path, f"zip 中的文件过多（{len(infos)} 个，上限 {MAX_ZIP_MEMBERS}）")
        names = [i.filename for i in infos]
        bad = [n for n in names if unsafe_member(n)]
        if bad:
            raise InputError(path, f"zip 中有不安全的文件名（{shorten(bad[0])}），拒绝读取")
        if len(set(names)) != len(names):
            raise InputError(path, "zip 中有重名文件，拒绝读取")
        candidates = [i for i in infos if i.filename == BUNDLE_JSON or _one_level_down(i.filename)]
        if len(candidates) != 1:
            found = "没有" if not candidates else "有多个"
            raise InputError(path, f"zip 中{found} {BUNDLE_JSON}（应在根目录或唯一的顶层文件夹中）")
        info = candidates[0]
        raw = _read_json_member(zf, info, path)
    prefix = info.filename[: -len(BUNDLE_JSON)]

    def digests(rels: list[str]) -> dict[str, str]:
        return _hash_members(path, prefix, rels)

    def read(rels: list[str]) -> dict[str, bytes | None]:
        return _read_small_members(path, prefix, rels)

    return Source(raw, prefix, digests, read)


def _read_small_members(path: Path, prefix: str, rels: list[str]) -> dict[str, bytes | None]:
    """Small members, read with the zip opened once."""
    found: dict[str, bytes | None] = dict.fromkeys(rels)
    try:
        with zipfile.ZipFile(path) as zf:
            members = {i.filename: i for i in zf.infolist()}
            for rel in rels:
                info = members.get(prefix + rel)
                if info is not None and not info.is_dir() and info.file_size <= MAX_SMALL:
                    found[rel] = _read_member(zf, info)
    except (zipfile.BadZipFile, OSError):
        pass
    return found


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    try:
        with zf.open(info) as f:
            return f.read(MAX_SMALL)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return None


def _hash_members(path: Path, prefix: str, rels: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    budget = MAX_HASHED_BYTES
    try:
        with zipfile.ZipFile(path) as zf:
            members = {i.filename: i for i in zf.infolist()}
            for rel in rels:
                info = members.get(prefix + rel)
                if info is None or info.is_dir():
                    found[rel] = MISSING if info is None else NOT_A_FILE
                elif info.file_size > budget:
                    found[rel] = TOO_LARGE
                else:
                    budget -= info.file_size
                    found[rel] = _hash_member(zf, info)
    except (zipfile.BadZipFile, OSError):
        return {rel: found.get(rel, UNREADABLE) for rel in rels}
    return found


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """Read in chunks: zipfile stops at the declared size and checks the CRC at the end."""
    digest = hashlib.sha256()
    try:
        with zf.open(info) as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return UNREADABLE
    return digest.hexdigest()


def _read_json_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """Read bundle.json with limits that do not trust the zip's own size fields."""
    if info.file_size > MAX_JSON_BYTES:
        raise InputError(path, f"{info.filename} 过大（超过 {MAX_JSON_BYTES // 1024 // 1024} MB）")
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        raise InputError(path, f"{info.filename} 的压缩比异常（可能是压缩炸弹），拒绝读取")
    try:
        with zf.open(info) as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as e:
        raise InputError(path, f"无法读取 {info.filename}：{_unreadable(e)}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise InputError(path, f"{info.filename} 过大（超过 {MAX_JSON_BYTES // 1024 // 1024} MB）")
    return raw


def _unreadable(e: Exception) -> str:
    """Why a member cannot be read, without zipfile's English text (an encrypted member's is a ZipInfo repr)."""
    if isinstance(e, RuntimeError) and "encrypted" in str(e):
        return "文件已加密（设有密码），请用 wufei bundle 重新生成推荐包"
    if isinstance(e, NotImplementedError):
        return "使用了不支持的压缩方式"
    if isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile) and e.errno:
        return os_reason(e)
    return "文件已损坏"


def _one_level_down(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and parts[1] == BUNDLE_JSON and bool(parts[0])


def unsafe_member(name: str) -> bool:
    """A member name that could point outside a folder or hide something (even though we never extract)."""
    if not name or len(name) > MAX_NAME or name.startswith("/") or "\\" in name:
        return True
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return True
    parts = name.rstrip("/").split("/")
    return any(p in ("", ".", "..") for p in parts) or ":" in parts[0]


def shorten(text: str, limit: int = 80) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "…"
