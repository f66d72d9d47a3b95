"""CLI start-up: `wufei --help` and `wufei validate FILE`, process start to exit, vs an eager start that
imports the heavy document libraries up front (what a naive CLI does).

Run: .venv/bin/python bench/startup.py [--runs N]
Prints the median times, which heavy modules each command loads, and the ratio as the last line.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "赣州稀土新材料.yaml"
HEAVY = ("docx", "docxtpl", "openpyxl", "jinja2", "lxml")
EAGER = "import docx, docxtpl, openpyxl, jinja2, lxml.etree; from wufei_docs.cli import main; main()"


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True, cwd=ROOT)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def heavy_modules(args: list[str]) -> list[str]:
    # main() ends the process itself (after the exit handlers): the list is printed by one of those
    code = f"import atexit, sys; sys.argv=['wufei', *sys.argv[1:]]\natexit.register(lambda: print('\\nLOADED', [m for m in {HEAVY!r} if m in sys.modules]))\n"
    code += "from wufei_docs.cli import main; main()\n"
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT).stdout
    return eval(out.rsplit("LOADED", 1)[1].strip())  # our own printed list


def import_costs(args: list[str], top: int = 6) -> tuple[float, list[tuple[str, float]]]:
    """Total import time of a command (python -X importtime) and its most expensive top-level packages."""
    code = "import sys; sys.argv=['wufei', *sys.argv[1:]]\ntry:\n from wufei_docs.cli import main; main()\nexcept SystemExit: pass\n"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args], capture_output=True, text=True,
                         cwd=ROOT).stderr  # fmt: skip
    per_package: dict[str, float] = {}
    total = 0.0
    for line in err.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        ms, root = int(fields[0]) / 1000, fields[2].strip().split(".")[0]
        per_package[root] = per_package.get(root, 0.0) + ms
        total += ms
    return total, sorted(per_package.items(), key=lambda kv: -kv[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    py = sys.executable
    baseline = timed([py, "-c", "pass"], runs)
    help_ms = timed([py, "-m", "wufei_docs", "--help"], runs)
    validate_ms = timed([py, "-m", "wufei_docs", "validate", str(EXAMPLE)], runs)
    eager_help_ms = timed([py, "-c", EAGER.replace("main()", "import sys; sys.argv=['wufei','--help']; main()")], runs)
    print(f"python -c pass            {baseline:7.1f} ms")
    print(f"wufei --help              {help_ms:7.1f} ms   heavy modules loaded: {heavy_modules(['--help']) or '无'}")
    print(
        f"wufei validate example    {validate_ms:7.1f} ms   heavy modules loaded: {heavy_modules(['validate', str(EXAMPLE)]) or '无'}"
    )
    print(f"eager imports + --help    {eager_help_ms:7.1f} ms")
    for label, args in (("--help", ["--help"]), ("validate", ["validate", str(EXAMPLE)])):
        total, top = import_costs(args)
        print(f"import cost of {label}: {total:.0f} ms; largest: " + ", ".join(f"{n} {ms:.0f} ms" for n, ms in top))
    print(
        f"import cost of --help over bare python: {help_ms - baseline:.1f} ms; eager imports would add {eager_help_ms - help_ms:.1f} ms"
    )
    print(f"ratio eager/lazy --help: {eager_help_ms / help_ms:.2f}x")


if __name__ == "__main__":
    main()
