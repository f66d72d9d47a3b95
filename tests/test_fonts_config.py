"""The fontconfig file of every PDF conversion (render/fonts.py): extends the configuration in force, names
simplified-Chinese stand-ins of the right kind for each 公文 face, and is left out where there is none."""

from __future__ import annotations

from lxml import etree

from wufei_docs.render.fonts import ALIASES, KAI, SANS, SERIF, config_text, write_config


def test_the_configuration_includes_the_one_in_force_and_aliases_every_gongwen_face(tmp_path, monkeypatch) -> None:
    base = tmp_path / "base.conf"
    base.write_text("<fontconfig/>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(base))
    path = write_config(tmp_path)
    assert path is not None
    root = etree.fromstring(path.read_text("utf-8").split("\n", 2)[2].encode())  # after the declaration, DOCTYPE
    assert root.find("include").text == str(base)
    aliases = {a.findtext("family"): [f.text for f in a.find("prefer")] for a in root.iter("alias")}
    for face in ("仿宋_GB2312", "仿宋", "FangSong", "宋体", "SimSun", "方正小标宋简体", "小标宋", "黑体", "SimHei",
                 "楷体_GB2312", "楷体", "KaiTi"):  # fmt: skip
        assert aliases[face][0] == face  # the real font first, where it is installed
        stand_ins = [f for f in aliases[face] if f in (*SERIF, *SANS, *KAI)]
        assert stand_ins and all(f.endswith((" SC", " CN", " GB", "WenKai", "Hei")) for f in stand_ins), face  # no JP
    assert "Noto Serif CJK SC" in aliases["仿宋_GB2312"] and "Noto Sans CJK SC" not in aliases["仿宋_GB2312"]
    assert "Noto Sans CJK SC" in aliases["黑体"] and "Noto Serif CJK SC" not in aliases["黑体"]
    assert set(ALIASES) <= set(aliases)


def test_no_configuration_where_there_is_none_to_extend(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "missing.conf"))
    assert write_config(tmp_path) is None and not (tmp_path / "fonts.conf").exists()
    assert "<include" in config_text("/etc/fonts/fonts.conf")
