"""Every command a user can run is documented in the README."""

from __future__ import annotations

import typer.main

from tests.conftest import ROOT
from wufei_docs.cli import app


def command_paths(group, prefix: str = "wufei") -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        out.append(path)
        out += command_paths(command, path)
    return out


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    paths = command_paths(typer.main.get_command(app))
    assert {"wufei build", "wufei bundle", "wufei city import", "wufei templates check"} <= set(paths)
    missing = [
        p for p in paths if p.split(" ", 1)[1].split(" ")[-1] not in readme or (p not in readme and p.count(" ") == 1)
    ]
    assert missing == []


def test_every_command_has_chinese_help() -> None:
    for path in command_paths(typer.main.get_command(app)):
        group = typer.main.get_command(app)
        for part in path.split()[1:]:
            group = group.commands[part]  # type: ignore[attr-defined]
        assert group.help and any("\u4e00" <= ch <= "\u9fff" for ch in group.help), path
