"""Make the bundled example's 支撑材料 (inputs/支撑材料/): small stand-ins for the scans a real applicant has.

Each is a page or two marked 演示用 so that `make demo` shows what a package carries: PDFs merged page for
page, a photo (JPEG) and a PNG placed on A4 pages, all bound into 申报材料.pdf with a bookmark each.
Run once after changing the example's evidence list; the files are committed (a fresh machine needs no font).

    .venv/bin/python tools/make_sample_evidence.py
"""

from __future__ import annotations

import io
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "inputs" / "支撑材料"
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"  # fonts-noto-cjk (index 2: SC)
A4 = (1240, 1754)  # 150 dpi

MATERIALS = [  # (file, title, pages)
    ("E01.pdf", "关于成立“无废工厂”创建领导小组的通知", 1),
    ("E02.pdf", "“无废工厂”创建工作实施方案", 2),
    ("E03.jpg", "清洁生产审核验收意见", 1),
    ("E04.png", "危险废物贮存库改造竣工资料", 1),
    ("E05.pdf", "2024年度固体废物管理台账", 2),
    ("E06.pdf", "危险废物委托利用处置合同及受托方经营许可证", 1),
    ("E07.pdf", "突发环境事件应急预案备案表", 1),
    ("E08.pdf", "江西省绿色工厂认定文件", 1),
]


def page(title: str, number: int, pages: int, *, landscape: bool = False) -> Image.Image:
    size = (A4[1], A4[0]) if landscape else A4
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.truetype(FONT, 44, index=2), ImageFont.truetype(FONT, 30, index=2)
    draw.rectangle((60, 60, size[0] - 60, size[1] - 60), outline=120, width=3)
    draw.text((size[0] // 2, 220), title, font=big, fill=0, anchor="mm")
    lines = [
        "（示例材料，演示用）",
        "赣州某某稀土新材料有限公司",
        f"第 {number} 页，共 {pages} 页",
        "真实申报时，此处为盖章文件的扫描件或现场照片。",
    ]
    for i, line in enumerate(lines):
        draw.text((size[0] // 2, 360 + 70 * i), line, font=small, fill=60, anchor="mm")
    return image


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, title, pages in MATERIALS:
        images = [page(title, n, pages, landscape=name == "E03.jpg") for n in range(1, pages + 1)]
        target = TARGET / name
        if name.endswith(".pdf"):
            encoded = []
            for image in images:
                buffer = io.BytesIO()
                image.save(buffer, "PNG", optimize=True)
                encoded.append(buffer.getvalue())
            layout = img2pdf.get_fixed_dpi_layout_fun((150, 150))
            target.write_bytes(img2pdf.convert(encoded, layout_fun=layout))
        elif name.endswith(".jpg"):
            images[0].save(target, "JPEG", quality=70)
        else:
            images[0].save(target, "PNG", optimize=True)
        print(f"{target.relative_to(ROOT)}  {target.stat().st_size:>7} bytes")


if __name__ == "__main__":
    main()
