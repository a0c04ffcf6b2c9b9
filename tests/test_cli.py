"""The command line as a whole: every command is registered (an import error fails loudly instead of removing a
command) and answers --help."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app

COMMANDS = {
    ("index", "build"): "Build an index.",
    ("index", "add"): "Append passages to an index",
    ("index", "info"): "Show an index's manifest.",
    ("index", "list"): "List the indexes under the index root.",
    ("ask",): "Answer a multi-hop question from an index.",
    ("eval",): "Evaluate on a dataset.",
    ("llm", "serve"): "Start llama.cpp's OpenAI-compatible server",
}


def _registered(group, prefix=()) -> set[tuple[str, ...]]:
    names = set()
    for name, cmd in getattr(group, "commands", {}).items():
        path = (*prefix, name)
        sub = _registered(cmd, path)
        names |= sub or {path}
    return names


def test_every_command_is_registered():
    import typer

    assert _registered(typer.main.get_command(app)) == set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_shows_help(path):
    r = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert COMMANDS[path] in r.output
    assert "Usage: " in r.output and " ".join(path) in r.output
