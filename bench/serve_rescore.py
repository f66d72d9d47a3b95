"""Re-scoring after an edit in the browser: what `wufei serve` takes vs a new process per score.

The web form posts all its fields after each pause in typing; the server validates them and scores them
(one library call each, in a process that has everything loaded) and sends back the score panel with every
field's messages. The naive way to put a web page on the CLI is to save the file and run
`wufei score FILE --json` in a new process for every edit.

Both ways are timed on the same machine in the same run, each edit a different value (so nothing is cached):
    server: POST /enterprises/<file>/check with the form's ~280 fields, round trip on loopback to a real uvicorn
    server-api: POST /api/score with the file (the JSON API)
    naive: subprocess `wufei score FILE --json` after writing the edited file

Run: .venv/bin/python bench/serve_rescore.py [--edits N]
The goal is < 50 ms per re-score on the server; the last line is the ratio.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "inputs" / "赣州稀土新材料.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def form_fields(html: str) -> list[tuple[str, str]]:
    """The fields a browser would post for the enterprise page (inputs, selected options, textareas)."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.pairs: list[list[str]] = []
            self.select: str | None = None
            self.textarea: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "input" and a.get("name") and a.get("type") != "file":
                if a.get("type") != "checkbox" or "checked" in a:
                    self.pairs.append([a["name"], a.get("value", "")])
            elif tag == "select":
                self.select = a.get("name")
            elif tag == "option" and self.select and "selected" in a:
                self.pairs.append([self.select, a.get("value", "")])
            elif tag == "textarea":
                self.textarea = [a["name"], ""]
                self.pairs.append(self.textarea)

        def handle_data(self, data: str) -> None:
            if self.textarea is not None:
                self.textarea[1] += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "textarea":
                self.textarea = None
            elif tag == "select":
                self.select = None

    parser = Form()
    parser.feed(html)
    return [(k, v) for k, v in parser.pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=30, help="edits timed for each way (default 30)")
    args = parser.parse_args()

    import httpx2 as httpx
    import uvicorn

    from wufei_docs.web.app import Config, create_app

    work = Path(tempfile.mkdtemp(prefix="wufei-bench-serve-"))
    try:
        (work / "ws" / "企业").mkdir(parents=True)
        shutil.copy(EXAMPLE, work / "ws" / "企业" / "e.yaml")
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(Config(work / "ws", port=port)), host="127.0.0.1", port=port,
                           log_level="warning", lifespan="off")
        )  # fmt: skip
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/enterprises/e").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf
            fields = form_fields(page)
            staff = next(i for i, (k, _) in enumerate(fields) if k == "unit.staff")

            def server_edit(n: int) -> float:
                posted = list(fields)
                posted[staff] = ("unit.staff", str(300 + n))
                start = time.perf_counter()
                r = client.post("/enterprises/e/check", data=dict(posted), headers={"x-csrf-token": csrf.group(1)})
                took = time.perf_counter() - start
                assert r.status_code == 200 and 'id="score-total">100<' in r.text, r.text[:300]
                return took * 1000

            def api_edit(n: int) -> float:
                body = EXAMPLE.read_bytes().replace(b"staff: 320", f"staff: {300 + n}".encode())
                start = time.perf_counter()
                r = client.post("/api/score", files={"file": ("e.yaml", body)})
                took = time.perf_counter() - start
                assert r.status_code == 200 and r.json()["total"] == 100
                return took * 1000

            for n in range(3):  # warm up: first requests load the templates and the rubric
                server_edit(n), api_edit(n)
            served = [server_edit(n) for n in range(args.edits)]
            api = [api_edit(n) for n in range(args.edits)]

        edited = work / "edited.yaml"
        wufei = [sys.executable, "-m", "wufei_docs", "score"]

        def naive_edit(n: int) -> float:
            start = time.perf_counter()
            edited.write_bytes(EXAMPLE.read_bytes().replace(b"staff: 320", f"staff: {300 + n}".encode()))
            out = subprocess.run([*wufei, str(edited), "--json"], capture_output=True, cwd=ROOT, check=True).stdout
            took = time.perf_counter() - start
            assert b'"total": 100' in out
            return took * 1000

        naive = [naive_edit(n) for n in range(max(5, args.edits // 3))]
        server.should_exit = True
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def show(label: str, samples: list[float]) -> float:
        median = statistics.median(samples)
        print(
            f"{label:<58} median {median:7.1f} ms  (min {min(samples):.1f}, max {max(samples):.1f}, n={len(samples)})"
        )
        return median

    print(f"re-score after an edit, {EXAMPLE.name} ({len(fields)} form fields)")
    s = show("server: form check (validate + score + panel + messages)", served)
    show("server: POST /api/score (JSON API)", api)
    n = show("naive: new process `wufei score --json` per edit", naive)
    print(f"goal < 50 ms per server re-score: {'met' if s < 50 else 'NOT met'}")
    print(f"ratio naive / server: {n / s:.1f}x")


if __name__ == "__main__":
    main()
