"""Where a bundle may write: OUT must be a folder of its own (never `.`, `..`, `/`, the input folder, one that
contains it or one inside it), and OUT.zip may be replaced only when it is the zip wufei made of OUT."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors, sealed


def zip_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".zip")


def check_paths(folder: Path, out: Path) -> None:
    """Refuse, before anything is written, an OUT that would mix the bundle with other files or with its
    own input (a zip of `..` would hold the parent's unrelated files, under names starting with `../`)."""
    hint = "请用 -o 指定一个专用的输出文件夹，例如 -o 章贡区推荐材料"
    if out.name in ("", ".", ".."):
        raise OutputError(f"输出文件夹不能是 “{out}”（当前文件夹、上级文件夹或根目录）；{hint}")
    try:
        o, f = out.resolve(), folder.resolve()
    except OSError as e:  # a name too long
        raise OutputError(oserrors.message(e, out, "无法使用输出文件夹")) from None
    except RuntimeError:  # a symlink loop
        raise OutputError(f"无法使用输出文件夹 {out}：符号链接循环") from None
    if o == o.parent:
        raise OutputError(f"输出文件夹不能是根目录 “{out}”；{hint}")
    if o == f:
        raise OutputError(
            f"输出文件夹 {out} 与企业申报文件所在的文件夹相同；生成的推荐名单.xlsx 会在下次运行时被当作企业文件读取，"
            "请另选输出文件夹"
        )
    if f.is_relative_to(o):
        raise OutputError(f"输出文件夹 {out} 包含企业申报文件所在的文件夹 {folder}；{hint}（不要选它的上级文件夹）")
    if o.is_relative_to(f):
        raise OutputError(f"输出文件夹 {out} 位于企业申报文件所在的文件夹 {folder} 之内；{hint}（放在该文件夹之外）")


def check_zip(out: Path, zip_path: Path, state: Path) -> None:
    """OUT.zip, if there is one, must be the zip an earlier run made of OUT: the one its records describe
    (`state`, sealed: same inode, size and times), or else an archive of a bundle (bundle.json) naming only
    files of OUT (a copy of OUT's files, even if one was edited since). Anything else — a user's file, a
    folder, a link — is refused."""
    if not (zip_path.exists() or zip_path.is_symlink()):
        return
    if zip_path.is_symlink() or not zip_path.is_file():
        kind = "符号链接" if zip_path.is_symlink() else ("文件夹" if zip_path.is_dir() else "特殊文件")
        raise OutputError(f"{zip_path} 已存在且是{kind}，不是 wufei 生成的压缩包；请移走或改名后重试，或加 --no-zip")
    if _recorded(zip_path, state) or _zip_of(out, zip_path):
        return
    raise OutputError(
        f"{zip_path} 已存在，但不是 wufei 上次为 {out} 生成的压缩包；为免覆盖您的文件，请移走或改名后重试，或加 --no-zip"
    )


def _recorded(zip_path: Path, state: Path) -> bool:
    data = sealed.read_data(state)
    try:
        st = zip_path.stat()
    except OSError:
        return False
    return isinstance(data, dict) and data.get("zip") == [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _zip_of(out: Path, zip_path: Path) -> bool:
    """A zip of a bundle whose every member is `<OUT name>/<a file of OUT>`."""
    try:
        with zipfile.ZipFile(zip_path) as z:
            members = z.infolist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False
    root = f"{out.name}/"
    if f"{root}bundle.json" not in {m.filename for m in members}:
        return False
    for info in members:
        name = info.filename
        if not name.startswith(root) or info.is_dir():
            return False
        parts = name[len(root) :].split("/")
        if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            return False
        if not os.path.isfile(out.joinpath(*parts)):
            return False
    return True
