"""A county's re-bundle inside `wufei serve` after one correction vs the full bundle, in the same process.

A workspace holds n enterprise files (企业/*.yaml) and the county's 县/evaluation.yaml, as the web app keeps
them. Both ways make the very call the 县 page's “生成推荐材料” button makes (web/actions.bundle: one library
call, in the server's process, which has the renderer, rubrics and templates loaded after its first bundle):
    full:     into an empty 县/推荐材料/ (what the first click does)
    rebundle: after one enterprise file was corrected (a text and a score change, alternately)
After timing, the re-bundled bundle.json is checked against a full bundle of the corrected data (all but the
修改说明 a corrected package carries).

Run: .venv/bin/python bench/serve_rebundle.py [--n 200] [--repeat 3]
The goal is ≥ 20x; the last line is the ratio (fastest full / slowest correction's fastest run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from ruamel.yaml import YAML

    from wufei_docs._samples import write_samples
    from wufei_docs.web import actions
    from wufei_docs.web.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="wufei-bench-serve-") as tmp:
        ws = Workspace(Path(tmp) / "workspace")
        ws.create()
        files, evaluation = write_samples(ws.enterprises, args.n)
        ws.county.mkdir(parents=True, exist_ok=True)
        shutil.move(evaluation, ws.evaluation)
        yaml = YAML(typ="safe")

        def full() -> float:
            shutil.rmtree(ws.bundle_out, ignore_errors=True)
            ws.bundle_zip.unlink(missing_ok=True)
            start = time.perf_counter()
            actions.bundle(ws.enterprises, ws.evaluation, ws.bundle_out)
            return time.perf_counter() - start

        def correct(kind: str, k: int) -> float:
            path = files[k % len(files)]
            data = yaml.load(path.read_text("utf-8"))
            if kind == "text":
                data["unit"]["profile"] += f"（第{k}次更正）"
            else:
                item = next(v for v in data["items"].values() if isinstance(v, dict) and (v.get("score") or 0) >= 1)
                item["score"] -= 0.5
            with path.open("w", encoding="utf-8") as f:
                YAML().dump(data, f)
            start = time.perf_counter()
            actions.bundle(ws.enterprises, ws.evaluation, ws.bundle_out)
            return time.perf_counter() - start

        full()  # the server's first bundle: loads what later ones reuse
        fulls, text, score = [], [], []
        for k in range(args.repeat):
            fulls.append(full())
            text.append(correct("text", 2 * k))
            score.append(correct("score", 2 * k + 1))
        kept = _without_notes(json.loads((ws.bundle_out / "bundle.json").read_text("utf-8")))
        full()
        fresh = _without_notes(json.loads((ws.bundle_out / "bundle.json").read_text("utf-8")))
        assert kept == fresh, "a re-bundle differs from a full bundle of the same data"
    print(f"workspace: {args.n} enterprises; re-bundled bundle.json equals a full bundle's")
    print("full bundle      " + ", ".join(f"{t:.2f}s" for t in fulls) + f"   best {min(fulls):.2f}s")
    print("text correction  " + ", ".join(f"{t * 1000:.0f}ms" for t in text) + f"   best {min(text) * 1000:.0f} ms")
    print("score correction " + ", ".join(f"{t * 1000:.0f}ms" for t in score) + f"   best {min(score) * 1000:.0f} ms")
    print(f"ratio full/rebundle (worse correction): {min(fulls) / max(min(text), min(score)):.1f}x")


def _without_notes(data: dict) -> dict:  # type: ignore[type-arg]
    """bundle.json without the 修改说明 of corrected packages (a first bundle has none: the one expected difference)."""
    for entry in data.get("enterprises", []):
        entry["files"] = {k: v for k, v in entry.get("files", {}).items() if not k.startswith("修改说明")}
    return data


if __name__ == "__main__":
    main()
