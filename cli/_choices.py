"""The closed sets of option values, as Enums so Typer lists them in --help and rejects any other value with its own
usage error (exit 2). tests/test_cli.py checks each against the library's own list of accepted values."""
from __future__ import annotations

from enum import Enum


class PolicyName(str, Enum):
    local = "local"
    llm = "llm"


class ReaderKind(str, Enum):
    auto = "auto"
    lm = "lm"
    rules = "rules"


class Setting(str, Enum):
    open = "open"
    distractor = "distractor"


class DatasetFormat(str, Enum):
    auto = "auto"
    musique = "musique"
    hotpot = "hotpot"
    wiki2 = "2wiki"
    plain = "plain"


class CorpusFormat(str, Enum):
    auto = "auto"
    jsonl = "jsonl"
    json = "json"
    musique = "musique"
    hotpot = "hotpot"
    wiki2 = "2wiki"
    folder = "folder"


class Perturbation(str, Enum):
    shuffle = "shuffle"
    reverse = "reverse"
    distractors = "distractors"


class Engine(str, Enum):
    local = "local"
    ray = "ray"
