"""The default embedded language-model reader for real (Qwen2.5-Coder-1.5B on llama.cpp) on a few demo questions: a
composition, two comparisons, a yes/no question. Marked `lm` (and `model`: MiniLM retrieval); one to two minutes on
2 CPU cores. Skipped when the model packages are not installed (the rule reader is then the default). The small
model runs for real in tests/test_llm_real_server.py (the default of `hopqa llm serve`)."""
from __future__ import annotations

import json

import pytest

from hopqa.config import load_config
from hopqa.demo import demo_dir
from hopqa.lm.model import embedded_available
from hopqa.qa import Asker
from hopqa.readers import choose_reader

pytestmark = [pytest.mark.lm, pytest.mark.model,
              pytest.mark.skipif(not embedded_available(), reason="the embedded model is not installed")]

QUESTIONS = {
    "Where was the composer of Tidewater Suite born?": "Dunmere",
    "Which band was formed earlier, The Night Ferries or Marisca Lanterns?": "The Night Ferries",
    "Which university was founded earlier, University of Arvenhal or University of Brenholt?": "University of Brenholt",
    "Is Lake Omber the largest lake in Velmora?": "yes",
}


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory, minilm):
    from hopqa import CorpusSource, build_index, open_index
    from hopqa.config import IndexConfig
    from hopqa.demo import demo_corpus

    path = tmp_path_factory.mktemp("lm") / "demo"
    build_index([CorpusSource(str(demo_corpus()))], path, config=IndexConfig(), encoder=minilm)
    return open_index(path)


def test_embedded_reader_answers_demo_questions(demo_index):
    cfg = load_config(overrides={"reader": {"kind": "lm"}})
    choice = choose_reader(cfg)
    assert choice.notice is None and choice.reader.name == "lm"
    asker = Asker(demo_index, cfg, reader=choice.reader)
    got = {q: asker.ask(q) for q in QUESTIONS}
    assert {q: a.answer for q, a in got.items()} == QUESTIONS
    first = next(iter(got.values()))
    assert first.config["reader"] == "lm" and first.config["reader_model"].startswith("qwen2.5-coder-1.5b")
    calls = sum(a.usage["reader"]["calls"] for a in got.values())
    assert calls >= 2  # the comparisons are read by the model (years, or the question over both lookups)
    assert any("model_load_seconds" in a.timings for a in got.values())
    assert all(a.usage["reader"]["invalid_replies"] == 0 for a in got.values())  # schema-constrained decoding
    assert got["Is Lake Omber the largest lake in Velmora?"].question_type == "yes_no"
    json.dumps([a.to_dict() for a in got.values()])


def test_demo_comparison_file_loads_as_2wiki():
    from hopqa.eval_datasets import load_eval_dataset

    items = load_eval_dataset(demo_dir() / "questions_comparison.jsonl")
    assert len(items) == 13
