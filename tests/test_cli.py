"""The command line as a whole: every command is registered (an import error fails loudly instead of removing a
command) and answers --help."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import hopqa
from hopqa_cli import _choices as C
from hopqa_cli.main import app

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


# --------------------------------------------------------------------------------------------------------------------
# Typed choices: a value outside the set is Typer's usage error (exit 2) naming the allowed values, before any work


def usage_error(r) -> str:
    """Typer's usage error with the panel's borders and line wrapping taken out."""
    assert r.exit_code == 2, (r.exit_code, r.output)
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit)), r.output
    return " ".join(r.output.replace("│", " ").split())


@pytest.mark.parametrize("args, option, allowed", [
    (["ask", "--index", "x", "--policy", "oracle", "q?"], "--policy", "'local', 'llm'"),
    (["ask", "--index", "x", "--reader", "gpt", "q?"], "--reader", "'auto', 'lm', 'rules'"),
    (["eval", "--demo", "--policy", "oracle"], "--policy", "'local', 'llm'"),
    (["eval", "--demo", "--setting", "closed"], "--setting", "'open', 'distractor'"),
    (["eval", "--demo", "--format", "csv"], "--format", "'auto', 'musique', 'hotpot', '2wiki', 'plain'"),
    (["eval", "--demo", "--reader", "gpt"], "--reader", "'auto', 'lm', 'rules'"),
    (["eval", "--demo", "--perturb", "nope"], "--perturb", "'shuffle', 'reverse', 'distractors'"),
    (["index", "build", "--demo", "--name", "x", "--format", "csv"], "--format",
     "'auto', 'jsonl', 'json', 'musique', 'hotpot', '2wiki', 'folder'"),
    (["index", "add", "c.jsonl", "--name", "x", "-f", "csv"], "--format",
     "'auto', 'jsonl', 'json', 'musique', 'hotpot', '2wiki', 'folder'"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_bad_choice_is_a_usage_error_listing_the_allowed_values(args, option, allowed):
    text = usage_error(CliRunner().invoke(app, args))
    assert f"Invalid value for '{option}'" in text and f"is not one of {allowed}." in text, text


def test_a_bad_choice_from_the_environment_is_rejected_too(monkeypatch):
    monkeypatch.setenv("HOPQA_READER", "gpt")
    text = usage_error(CliRunner().invoke(app, ["ask", "--index", "x", "q?"]))
    assert "is not one of 'auto', 'lm', 'rules'." in text, text


def test_the_choices_match_what_the_library_accepts():
    from typing import get_args, get_type_hints

    from hopqa.config import ReaderConfig
    from hopqa.corpus import Format
    from hopqa.eval_datasets import DatasetFormat
    from hopqa.evaluate import Setting
    from hopqa.perturb import PERTURBATIONS
    from hopqa.qa import make_policy

    values = lambda enum: [m.value for m in enum]  # noqa: E731
    assert values(C.CorpusFormat) == list(get_args(Format))
    assert values(C.DatasetFormat) == list(get_args(DatasetFormat))
    assert values(C.Setting) == list(get_args(Setting))
    assert values(C.Perturbation) == list(PERTURBATIONS)
    assert values(C.Engine) == list(hopqa.ENGINES)
    assert values(C.ReaderKind) == list(get_args(get_type_hints(ReaderConfig)["kind"]))
    config = hopqa.load_config(None, {"llm": {"url": "http://127.0.0.1:9/v1", "model": "m"}})  # never called
    for name in values(C.PolicyName):  # each name builds its policy; any other is refused
        assert make_policy(name, config).name == name
    with pytest.raises(hopqa.InputError, match="unknown policy 'oracle'"):
        make_policy("oracle", config)


def test_the_cli_under_test_is_this_checkouts_cli_folder():
    import hopqa_cli.main

    assert Path(hopqa_cli.main.__file__).resolve() == ROOT / "cli" / "main.py"
    assert Path(hopqa.__file__).resolve() == ROOT / "hopqa" / "__init__.py"
