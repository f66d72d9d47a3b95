"""The fontconfig file every PDF conversion uses: the 公文 faces the documents name, mapped to the best
installed simplified-Chinese faces.

Machines that convert with LibreOffice (Linux servers) rarely have 仿宋_GB2312, 方正小标宋简体, 黑体 or 楷体;
without help fontconfig substitutes one sans face for all of them (body text in 黑体-like glyphs). The
aliases below keep the kind of face: 仿宋/宋 → a serif (宋体-like) face, 黑体 → sans, 楷体 → a 楷书 face,
always a simplified-Chinese (SC/CN) face so no Japanese or traditional glyph forms appear. Each list is
tried in order and the first installed face wins, so a machine that has the real fonts keeps them.
"""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape

SYSTEM_CONFIG = "/etc/fonts/fonts.conf"

# Installed simplified-Chinese faces, best first, for each kind of face the documents ask for.
SERIF = ["Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "AR PL UMing CN", "AR PL SungtiL GB"]
SANS = ["Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei"]
KAI = ["LXGW WenKai", "AR PL UKai CN", "AR PL KaitiM GB"]
FANGSONG = ["FangSong", "仿宋", "FangSong_GB2312", "仿宋_GB2312", "STFangsong", "华文仿宋"]
SONG = ["SimSun", "宋体", "NSimSun", "STSong", "华文宋体"]
HEI = ["SimHei", "黑体", "STHeiti", "华文黑体"]
XIAOBIAOSONG = ["方正小标宋简体", "方正小标宋_GBK", "小标宋", "FZXiaoBiaoSong-B05S"]
KAITI = ["KaiTi", "楷体", "KaiTi_GB2312", "楷体_GB2312", "STKaiti", "华文楷体"]

# requested family → families tried in order (the real font first, then its stand-ins)
ALIASES: dict[str, list[str]] = {
    **{name: [*FANGSONG, *SERIF] for name in FANGSONG},
    **{name: [*SONG, *SERIF] for name in SONG},
    **{name: [*XIAOBIAOSONG, *SONG, *SERIF] for name in XIAOBIAOSONG},
    **{name: [*HEI, *SANS] for name in HEI},
    **{name: [*KAITI, *KAI, *SERIF] for name in KAITI},
}  # fmt: skip


def base_config() -> str:
    """The configuration ours extends: the user's own FONTCONFIG_FILE, else the system's."""
    return os.environ.get("FONTCONFIG_FILE") or SYSTEM_CONFIG


def config_text(system_config: str | None = None) -> str:
    """A fontconfig file: the system (or the user's own FONTCONFIG_FILE) configuration plus our aliases."""
    base = system_config or base_config()
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<fontconfig>",
        f'  <include ignore_missing="yes">{escape(base)}</include>',
    ]
    for requested, preferred in ALIASES.items():
        prefer = "".join(f"<family>{escape(f)}</family>" for f in dict.fromkeys([requested, *preferred]))
        lines.append(f'  <alias binding="same"><family>{escape(requested)}</family><prefer>{prefer}</prefer></alias>')
    for name in XIAOBIAOSONG:  # a heavy 宋体: its stand-in is a bold serif face (the real font stays as it is)
        lines.append(
            f'  <match target="pattern"><test name="family"><string>{escape(name)}</string></test>'
            '<edit name="weight" mode="assign"><const>bold</const></edit></match>'
        )
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


def write_config(folder: Path) -> Path | None:
    """Write the configuration into `folder` (the conversion's scratch folder) and return its path; None
    where there is no fontconfig configuration to extend (Windows, macOS: LibreOffice finds fonts itself)."""
    if not Path(base_config()).is_file():
        return None
    path = folder / "fonts.conf"
    path.write_text(config_text(), encoding="utf-8")
    return path


def font_environment(folder: Path) -> dict[str, str]:
    """What a LibreOffice process's environment needs for our aliases ({} where there is no fontconfig):
    every place that starts soffice adds it (`{**os.environ, …, **font_environment(root)}`)."""
    path = write_config(folder)
    return {} if path is None else {"FONTCONFIG_FILE": str(path)}
