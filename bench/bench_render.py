"""Render speed: wufei's cached engine vs the naive `DocxTemplate(path).render(); save()` loop.

Run: .venv/bin/python bench/bench_render.py [N]   (prints ms per document and the ratio)
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from _common import naive_env

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(n: int = 30) -> None:
    from docxtpl import DocxTemplate

    from wufei_docs.loading import check
    from wufei_docs.render.engine import clear_cache, render_docx
    from wufei_docs.render.templates import templates_for
    from wufei_docs.render.view import view_model
    from wufei_docs.scoring.score import score

    checked = check(ROOT / "inputs" / "赣州稀土新材料.yaml")
    context = view_model(checked.enterprise, score(checked.enterprise, checked.rubric), checked.rubric)
    templates = list(templates_for(evaluated=False).values())
    docs = n * len(templates)

    def naive() -> None:
        for _ in range(n):
            for path in templates:
                tpl = DocxTemplate(path)
                tpl.render(context, naive_env(), autoescape=True)
                tpl.save(io.BytesIO())

    def plain() -> None:
        for _ in range(n):
            for path in templates:
                render_docx(path, context, cache=False)

    def fast() -> None:
        clear_cache()
        for _ in range(n):
            for path in templates:
                render_docx(path, context)

    results = {}
    for name, fn in (("naive docxtpl", naive), ("wufei plain (no cache)", plain), ("wufei cached", fast)):
        start = time.perf_counter()
        fn()
        results[name] = (time.perf_counter() - start) * 1000 / docs
        print(f"{name:24s} {results[name]:7.2f} ms/document")
    ratio = results["naive docxtpl"] / results["wufei cached"]
    print(f"cached engine is {ratio:.1f}x faster than the naive docxtpl loop ({docs} documents each)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
