"""The layout rules of docs/ARCHITECTURE.md, checked: one room per stage, small modules, no import cycle
(imports inside functions count), an exact public API, one zip writer, one docx engine."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import wufei_docs

PACKAGE = Path(wufei_docs.__file__).resolve().parent
ROOT = PACKAGE.parent
MAX_TOP_LEVEL_MODULES = 12
MAX_MODULE_LINES = 600

# Sub-packages from the bottom up: each may import only those before it (and the top-level modules below).
LAYERS = ["files", "scoring", "excel", "loading", "render", "package", "county", "city", "web", "cli"]
BOTTOM = {"_version", "errors", "_uscc", "_raw", "model", "_samples"}  # top-level modules every layer may use


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules an import statement loads (a `from X import name` loads X.name if it is one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")[: len(module.split(".")) - (0 if is_package else 1)]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports anywhere: at the top, inside functions, under TYPE_CHECKING."""
    graph = {}
    for module, (path, is_package) in MODULES.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets.update(t for t in _imported(module, is_package, node) if t in MODULES and t != module)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    tree = ast.parse("def f():\n    from wufei_docs.county import run\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert _imported("wufei_docs.render.view", False, node) == ["wufei_docs.county.run"]


def test_no_module_imports_itself_back_counting_imports_inside_functions() -> None:
    assert find_cycle(import_graph()) is None


def test_no_two_stages_import_each_other() -> None:
    stage_graph: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        stage = module.split(".")[1] if "." in module else module
        stage_graph.setdefault(stage, set()).update(
            t.split(".")[1] for t in targets if "." in t and t.split(".")[1] != stage
        )
    assert find_cycle(stage_graph) is None


def test_each_stage_imports_only_the_stages_below_it() -> None:
    wrong = []
    for module, targets in import_graph().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] not in LAYERS:
            continue
        allowed = set(LAYERS[: LAYERS.index(parts[1]) + 1]) | BOTTOM
        wrong += [f"{module} → {t}" for t in targets if "." in t and t.split(".")[1] not in allowed]
    assert wrong == []


def test_the_top_level_keeps_only_the_api_errors_and_the_model() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    stages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert stages == sorted(LAYERS)


def test_no_module_is_over_600_lines() -> None:
    long = {m: n for m, (p, _) in MODULES.items() if (n := len(p.read_text("utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_every_module_says_its_job_in_its_first_docstring_line() -> None:
    missing = [
        m for m, (p, _) in MODULES.items() if p.stem != "__main__" and not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert missing == []


def test_one_zip_writer() -> None:
    """Only files/zips.py writes zip archives (by hand or through zipfile)."""
    writers = []
    for module, (path, _) in MODULES.items():
        text = path.read_text("utf-8")
        if module != "wufei_docs.files.zips" and (
            'ZipFile(out, "w"' in text
            or ("zipfile.ZipFile(" in text and '"w"' in text)
            or b"PK\\x03\\x04" in text.encode()
        ):
            writers.append(module)
    assert writers == []


def test_one_docx_engine_python_docx_is_never_imported() -> None:
    users = []
    for module, (path, is_package) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom) and any(
                t == "docx" or t.startswith("docx.") for t in _imported(module, is_package, node)
            ):
                users.append(module)
    assert users == []


# --- the public API ------------------------------------------------------------------------------

PUBLIC = {
    "validate", "check", "load", "load_evaluation", "score", "build", "bundle", "load_rubric",
    "Checked", "Enterprise", "Evaluation", "ScoreResult", "ItemScore", "Rubric", "WriteReport", "BundleReport",
    "Entry", "WufeiError", "InputError", "TemplateError", "OutputError", "MissingToolError", "Problem", "__version__",
}  # fmt: skip


def test_the_public_api_is_exactly_all() -> None:
    assert set(wufei_docs.__all__) == PUBLIC
    assert len(wufei_docs.__all__) == len(PUBLIC)
    for name in wufei_docs.__all__:
        assert getattr(wufei_docs, name) is not None


def test_the_api_functions_are_functions_even_after_every_stage_is_imported() -> None:
    for module in MODULES:
        if not module.endswith("__main__"):
            importlib.import_module(module)
    from wufei_docs import build, bundle, load, score, validate

    assert all(callable(f) and f.__module__.startswith("wufei_docs.") for f in (build, bundle, load, score, validate))
    assert bundle.__name__ == "bundle" and load.__name__ == "load"


def test_type_checkers_see_the_same_names_the_lazy_import_gives() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text("utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    typed = {a.asname or a.name for n in block.body if isinstance(n, ast.ImportFrom) for a in n.names}
    assert typed == PUBLIC - {"__version__"}


def test_the_help_does_not_import_the_document_stack() -> None:
    """`wufei --help` (and so every command's start) imports no document, workbook or model library."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wufei_docs", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "wufei_docs.cli" in imported  # the measure works
    assert imported & {"docx", "docxtpl", "openpyxl", "jinja2", "pydantic", "lxml"} == set()


# --- the samples `wufei templates check` renders have the shape of real views --------------------


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_the_county_sample_has_the_shape_of_a_real_county_view() -> None:
    from wufei_docs.county.documents import county_view
    from wufei_docs.county.types import BundleReport, Entry
    from wufei_docs.model import Evaluation
    from wufei_docs.render.samples import sample_county_context

    entries = [
        Entry("a.yaml", "91360702MA35L0AB16", "甲公司", "章贡区", 100, "达标", 98, "达标", True, None, "2025-03-01", "2025-03-12", "同意"),
        Entry("b.yaml", "91360703MA38K2XP3H", "乙公司", "章贡区", 92, "达标", 86.5, "未达标", False, "核定分低", "2025-03-01", "2025-03-12", "核减"),
    ]  # fmt: skip
    evaluation = Evaluation.model_validate(
        {"format": "wufei/evaluation-1", "county": "章贡区", "evaluators": ["章贡区工信局"], "enterprises": {}}
    )
    real = county_view(BundleReport(Path("."), None, "章贡区", "ganzhou-2023", entries, []), evaluation)
    assert _shape(sample_county_context()) == _shape(real)


@pytest.mark.parametrize("which", ["list", "letter", "notice"])
def test_the_city_samples_have_the_shape_of_real_city_views(which: str) -> None:
    from wufei_docs.city import documents as docs
    from wufei_docs.render.samples import sample_city_context
    from wufei_docs.render.templates import CITY_LETTER, CITY_LIST, CITY_NOTICE

    day = dt.date(2025, 4, 10)
    rows = [docs.Listed(1, "甲公司", "91360702MA35L0AB16", "章贡区", "无废工厂", 98, 100, "达标")]
    real = {
        "list": lambda: (CITY_LIST, docs.list_view(1, day, rows)),
        "letter": lambda: (CITY_LETTER, docs.letter_view(1, day, rows, docs.Progress(1, 0, 12, 2025, day, 9), 90)),
        "notice": lambda: (
            CITY_NOTICE,
            docs.notice_view(1, day, 7, 1, [docs.Drawn(1, "甲公司", rows[0].uscc, "章贡区", 1)]),
        ),
    }[which]
    template, view = real()
    assert _shape(sample_city_context(template)) == _shape(view)
