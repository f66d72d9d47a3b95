"""Computed figures agree everywhere they are printed, with the rounded numbers they come from; a narrative that
quotes a different percentage is a warning naming its field; one minus sign; one 仿宋 name; East Asian fonts."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from tests.conftest import EXAMPLES, variant
from tests.docx_helpers import all_text, grid, open_docx, xml_parts
from wufei_docs.loading import check
from wufei_docs.loading.quoted import quoted_figure_warnings
from wufei_docs.scoring.figures import intensity_figures, manifest_rate, safe_rate

REPORT, SHEET, FORM = "申报书.docx", "附件1-评价指标自评表.docx", "附件2-评估申报表.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def build(cli, path, out):
    r = cli("build", path, "-o", out)
    assert r.exit_code == 0, r.output
    return r


def growth_from(before: str, now: str) -> str:
    g = ((Decimal(now) - Decimal(before)) / Decimal(before) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return ("−" if g < 0 else "＋" if g > 0 else "") + f"{abs(g)}%"


def test_demo_growth_is_computed_from_the_printed_intensities(cli, tmp_path) -> None:
    r = build(cli, EXAMPLES / "赣州稀土新材料.yaml", tmp_path / "out")
    assert "不一致" not in r.output  # the sample narrative agrees with its data
    report = open_docx(tmp_path / "out" / REPORT)
    intensity = grid(report.tables[3])
    before, now = intensity[1][-1].text, intensity[2][-1].text
    assert (before, now) == ("0.1312", "0.1207")
    growth = intensity[-1][-1].text
    assert growth == growth_from(before, now) == "−8.0%"  # not the −8.1 % of the unrounded values
    text = "\n".join(all_text(report))
    assert "较2023年（0.1312吨/万元）下降8.0%" in text
    assert "增长率 −8.0%" in text  # A1.6 in the work section
    assert "7.9%" not in text and "8.1%" not in text
    sheet = "\n".join(all_text(open_docx(tmp_path / "out" / SHEET)))
    assert "A1.6 由填报数据计算：产生强度 2023 年 0.1312 吨/万元，2024 年 0.1207 吨/万元，增长率 −8.0%。" in sheet
    form = "\n".join(all_text(open_docx(tmp_path / "out" / FORM)))
    assert "下降8.0%" in form
    score = cli("score", EXAMPLES / "赣州稀土新材料.yaml", "--json")
    assert "增长率 −8.0%" in score.output


def test_intensities_get_more_decimals_when_four_would_hide_the_change(write) -> None:
    years = {2023: {"output_value": 100000, "general_t": 12340, "hazardous_t": 1},  # 0.12341
             2024: {"output_value": 100000, "general_t": 12343, "hazardous_t": 1}}  # 0.12344  # fmt: skip
    e = check(write(variant(**{"waste.years": years}))).enterprise
    fig = intensity_figures(e)
    assert fig is not None and fig.places == 5
    assert (f"{fig.before}", f"{fig.now}") == ("0.12341", "0.12344")
    assert fig.growth == Decimal("0.0") and not fig.met  # rises by 0.02 %: printed as 0.0 %, still not met


def test_rates_never_print_100_unless_full(write) -> None:
    streams = [{"name": "边角料", "kind": "general", "node": "机加工", "generated_t": 10000, "utilized_t": 9996,
                "destination": "厂内", "method": "回用"}]  # fmt: skip
    e = check(write(variant(**{"waste.streams": streams, "waste.manifests": {"total": 3, "electronic": 2}}))).enterprise
    assert safe_rate(e) == Decimal("99.9")  # 99.96 % is not 100 %
    assert manifest_rate(e) == Decimal("66.7")


def test_a_narrative_that_contradicts_a_figure_is_a_warning_naming_the_field(cli, write, tmp_path) -> None:
    summary = "一是源头减量，2024年产生强度同比下降7.9%。二是规范管理，安全处理率达到98%，电子化率为100%。"
    data = variant(**{"application.summary": summary, "items.A1.1.note": "产生强度下降9.1%，符合要求"})
    path = write(data)
    warnings = quoted_figure_warnings(check(path).enterprise)
    assert len(warnings) == 2, warnings  # growth is −9.1 % (0.1100 → 0.1000), 安全处理率 100 %, 电子化率 100 %
    assert warnings[0].startswith("application.summary: 文中“") and "下降7.9%" in warnings[0] and "−9.1%" in warnings[0]
    assert warnings[1].startswith("application.summary: ") and "98%" in warnings[1] and "安全处理率 100%" in warnings[1]
    for command in (("validate", path), ("score", path), ("build", path, "-o", tmp_path / "out")):
        r = cli(*command)
        assert r.exit_code == 0, r.output
        assert "application.summary: 文中“" in r.output, command


def test_quotes_within_a_tenth_of_a_point_or_as_printed_are_fine(write) -> None:
    # exact growth −9.0909 %: printed −9.1 %; 9.0 and 9.1 are within 0.1 point
    for quoted in ("下降9.1%", "下降9.0%", "降低了约 9.1%", "增长率为−9.1%"):
        e = check(write(variant(**{"application.summary": f"产生强度{quoted}。"}))).enterprise
        assert quoted_figure_warnings(e) == [], quoted
    e = check(write(variant(**{"application.summary": "产生强度上升9.1%。"}))).enterprise
    assert len(quoted_figure_warnings(e)) == 1  # the wrong direction


def test_one_minus_sign_one_fangsong_name_and_east_asian_fonts_on_every_run(cli, write, tmp_path) -> None:
    years = {2023: {"output_value": 1000, "general_t": 100, "hazardous_t": 10},
             2024: {"output_value": 1000, "general_t": 90, "hazardous_t": 10}}  # fmt: skip
    out = tmp_path / "out"
    build(cli, write(variant(**{"waste.years": years})), out)
    for name in (REPORT, SHEET, FORM):
        data = (out / name).read_bytes()
        text = "\n".join(all_text(open_docx(data)))
        assert not re.search(r"(?<![\w/])-\d", text), name  # no hyphen-minus before a number
        parts = xml_parts(data)
        assert 'w:eastAsia="仿宋"' not in "".join(parts.values()), name  # 仿宋_GB2312 only
        for part, xml in parts.items():
            if not re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", part):
                continue
            for r in etree.fromstring(xml.encode("utf-8")).iter(W + "r"):
                if r.find(W + "t") is None:
                    continue
                fonts = r.find(f"{W}rPr/{W}rFonts")
                assert fonts is not None and fonts.get(W + "eastAsia") and fonts.get(W + "hint") == "eastAsia", (
                    name, "".join(r.itertext()))  # fmt: skip
    assert "−9.1%" in "\n".join(all_text(open_docx(out / REPORT)))
