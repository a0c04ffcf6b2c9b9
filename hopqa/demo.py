"""The bundled demo: an invented small world (corpus) and multi-hop questions about it in MuSiQue format."""
from __future__ import annotations

import json
from pathlib import Path


def demo_dir() -> Path:
    return Path(__file__).resolve().parent / "data" / "demo"


def demo_corpus() -> Path:
    """The demo passages, one JSON object a line: {id, title, text}."""
    return demo_dir() / "corpus.jsonl"


def demo_questions(unanswerable: bool = False) -> Path:
    """The demo questions in MuSiQue JSONL format (answerable ones; or the unanswerable contrast set)."""
    return demo_dir() / ("questions_unanswerable.jsonl" if unanswerable else "questions.jsonl")


def demo_question() -> str:
    """The first 2-hop demo question's text (for `make demo`)."""
    with demo_questions().open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"].startswith("2hop"):
                return rec["question"]
    raise RuntimeError("no 2-hop demo question")
