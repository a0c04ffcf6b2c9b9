"""The command line as a whole: every command is registered (an import error fails loudly instead of removing a
command) and answers --help."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import hopqa
from cli.main import app

ROOT = Path(__file__).resolve().parents[1]

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
    assert _registered(typer.main.get_command(app)) == set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_shows_help(path):
    r = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert COMMANDS[path] in r.output
    assert "Usage: " in r.output and " ".join(path) in r.output


def test_cli_imports_only_the_library_facade():
    """Each command module parses and prints through `hopqa`'s public names, never its internal modules."""
    offending = []
    for path in sorted((ROOT / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("hopqa."):
                offending.append(f"{path.name}:{node.lineno}: from {node.module} import ...")
            elif isinstance(node, ast.ImportFrom) and node.module == "hopqa":
                offending += [f"{path.name}:{node.lineno}: {a.name}" for a in node.names if a.name not in hopqa.__all__]
            elif isinstance(node, ast.Import):
                offending += [f"{path.name}:{node.lineno}: import {a.name}" for a in node.names
                              if a.name.startswith("hopqa.")]
    assert not offending, "the CLI reaches past the facade:\n" + "\n".join(offending)


def test_facade_evaluate_stays_the_function_once_the_cli_is_loaded():
    assert callable(hopqa.evaluate) and hopqa.evaluate.__module__ == "hopqa"
