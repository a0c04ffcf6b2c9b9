"""Comparison, yes/no and bridge-comparison questions on the same machine: shape detection, the lookups, and the
answer read over every lookup's facts (scripted language model) or compared by dates (rules); end to end on the
demo comparison questions."""
from __future__ import annotations

import json

import pytest

from hopqa.compare import compare_by_dates, shape
from hopqa.config import load_config
from hopqa.demo import demo_dir
from hopqa.fsm import TRANSITIONS
from hopqa.lm.reader import LMReader
from hopqa.qa import Asker
from hopqa.readers import RulesReader
from hopqa.testing import ScriptedLM
from hopqa.types import Fact

COMPARISON = demo_dir() / "questions_comparison.jsonl"


def _demo_records() -> list[dict]:
    return [json.loads(line) for line in COMPARISON.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("q,kind,entities", [
    ("Which film came out first, Alpha or The Beta?", "comparison", ("Alpha", "The Beta")),
    ("Who was born later, Oskar Wendel or Annika Strand?", "comparison", ("Oskar Wendel", "Annika Strand")),
    ("Are The Grey Herons and The Night Ferries both rock bands?", "yes_no", ("The Grey Herons", "The Night Ferries")),
    ("Were Oswin Carrel and Edvin Marrow both Velmoran composers?", "yes_no", ("Oswin Carrel", "Edvin Marrow")),
    ("What profession do Teodor Vasch and Ingrid Paal have in common?", "intersection", ("Teodor Vasch", "Ingrid Paal")),
    ("Which film has the director born earlier, Salt and Iron or The Quiet Ferry?", "bridge_comparison",
     ("Salt and Iron", "The Quiet Ferry")),
    ("Do both directors of films Salt and Iron and The Last Ferry to Serin have the same nationality?",
     "bridge_comparison", ("Salt and Iron", "The Last Ferry to Serin")),
])
def test_shapes(q, kind, entities):
    s = shape(q)
    assert (s.kind, s.entities) == (kind, entities)
    assert len(s.sub_questions) == len(entities) * (2 if s.bridge else 1)
    assert all(e in sq for e, sq in zip(entities, s.sub_questions))


@pytest.mark.parametrize("q", ["Where was the composer of Tidewater Suite born?", "Who founded Corvane Motors?",
                               "When did the band that released Signal Fires form?"])
def test_compositions_have_no_shape(q):
    assert shape(q) is None


def test_the_demo_compositions_are_not_comparisons():
    recs = [json.loads(line) for line in (demo_dir() / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in recs if shape(r["question"])] == []


def test_bridge_needs_the_hop_budget():
    s = shape("Which film has the director born earlier, Salt and Iron or The Quiet Ferry?", max_hops=3)
    assert s.kind == "bridge_comparison" and not s.bridge and len(s.sub_questions) == 2


def _f(text: str) -> Fact:
    return Fact(text, "p", "t", 1.0)


@pytest.mark.parametrize("q,expected", [
    ("Which university was founded earlier, A or B?", "B"),
    ("Which film was released more recently, A or B?", "A"),
    ("Who is younger, A or B?", "A"),
    ("Which is bigger, A or B?", None),  # not a date comparison
])
def test_compare_by_dates(q, expected):
    facts = [[_f("A was founded in 1806.")], [_f("B was founded in 1641 by a king.")]]
    assert compare_by_dates(q, ["A", "B"], facts) == expected


def test_compare_by_dates_needs_a_year_for_every_option():
    assert compare_by_dates("Which came first, A or B?", ["A", "B"], [[_f("A opened in 1900.")], [_f("B is old.")]]) is None


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory):
    from hopqa import CorpusSource, build_index, open_index
    from hopqa.demo import demo_corpus

    path = tmp_path_factory.mktemp("cmp") / "demo"
    from hopqa.config import IndexConfig

    build_index([CorpusSource(str(demo_corpus()))], path, config=IndexConfig(model="hash:256"))
    return open_index(path)


def test_comparison_flow_with_the_rule_reader(demo_index):
    q = "Which university was founded earlier, University of Arvenhal or University of Brenholt?"
    a = Asker(demo_index, load_config(), reader=RulesReader(load_config().reader)).ask(q)
    assert a.question_type == "comparison"
    assert a.sub_questions[0].startswith("University of Arvenhal:")
    states = [t.to_dict()["to"] for t in a.transitions]
    assert states.count("SEARCH") >= 2 and states[-1] == "DONE"
    for t in a.transitions:  # every step is a row of the transition table
        assert any(s.value == t.source and TRANSITIONS[(s, t.reason)].value == t.target for s, _ in TRANSITIONS
                   if (s, t.reason) in TRANSITIONS)
    titles = {h.title for hop in a.hops for h in hop.hits[:1]}
    assert {"University of Arvenhal", "University of Brenholt"} <= titles
    assert a.answer == "University of Brenholt" and a.answerable
    assert {h.title for h in a.evidence} >= {"University of Brenholt"}


def test_comparison_reads_every_lookup_with_the_language_model(demo_index):
    q = "Which band was formed earlier, The Night Ferries or Marisca Lanterns?"
    seen: list[list[str]] = []

    def reply(question, facts):
        seen.append(facts)
        return {"answer": "The Night Ferries", "facts": [1]}

    a = Asker(demo_index, load_config(), reader=LMReader(ScriptedLM(reply))).ask(q)
    assert a.answer == "The Night Ferries" and a.question_type == "comparison"
    assert len(seen) == 1  # one read, at ANSWER, over the facts of both lookups
    assert any("Night Ferries" in f for f in seen[0]) and any("Marisca Lanterns" in f for f in seen[0])
    assert a.usage["reader"]["calls"] == 1


def test_a_non_date_comparison_answers_one_of_its_options(demo_index):
    q = "Which band has more members, The Night Ferries or Marisca Lanterns?"
    from hopqa.compare import shape

    assert shape(q).kind == "comparison"
    a = Asker(demo_index, load_config(), reader=LMReader(ScriptedLM({q: {"answer": "Marisca Lanterns", "facts": [1]}}))).ask(q)
    assert (a.answer, a.answerable) == ("Marisca Lanterns", True)
    # a name stated in the facts that is neither option is never the answer (the reply schema allows only the options)
    lm = ScriptedLM({q: {"answer": "Jon Tarrik", "facts": [1]}})  # the Night Ferries' singer, stated
    b = Asker(demo_index, load_config(), reader=LMReader(lm)).ask(q)
    assert not b.answerable and b.answer == "unanswerable"


def test_yes_no_answer(demo_index):
    q = "Are Teodor Vasch and Ingrid Paal both Velmoran composers?"
    lm = ScriptedLM({q: {"answer": "no", "facts": [1, 2]}})
    a = Asker(demo_index, load_config(), reader=LMReader(lm)).ask(q)
    assert (a.answer, a.answerable, a.question_type) == ("no", True, "yes_no")


@pytest.fixture(scope="module")
def minilm_demo_index(tmp_path_factory, minilm):
    from hopqa import CorpusSource, build_index, open_index
    from hopqa.config import IndexConfig
    from hopqa.demo import demo_corpus

    path = tmp_path_factory.mktemp("cmp-minilm") / "demo"
    build_index([CorpusSource(str(demo_corpus()))], path, config=IndexConfig(), encoder=minilm)
    return open_index(path)


@pytest.mark.model
def test_bridge_comparison_follows_each_option(minilm_demo_index):
    q = "Which film has the director born earlier, Salt and Iron or The Quiet Ferry?"
    # the model gives each director's year (checked against that option's facts); the comparison is code
    lm = ScriptedLM({q: [{"years": [1926, 1958]}]})
    a = Asker(minilm_demo_index, load_config(), reader=LMReader(lm)).ask(q)
    assert a.question_type == "bridge_comparison" and len(a.hops) == 4
    follow = [h for h in a.hops if h.sub_question.endswith("(follow-up)")]
    assert len(follow) == 2 and {follow[0].facts[0].title, follow[1].facts[0].title} == {"Lucan Ferrow", "Maren Hollis"}
    assert a.answer == "Salt and Iron" and len(lm.calls) == 1
    # a year no fact of that option states is not used: the rules' first year stands in
    lm2 = ScriptedLM({q: [{"years": [1999, 1958]}]})
    a2 = Asker(minilm_demo_index, load_config(), reader=LMReader(lm2)).ask(q)
    assert a2.answer == "Salt and Iron"
    # rules only: the first year each director's facts give
    a3 = Asker(minilm_demo_index, load_config(), reader=RulesReader(load_config().reader)).ask(q)
    assert a3.answer == "Salt and Iron"


def test_demo_comparison_file_is_well_formed():
    recs = _demo_records()
    assert len(recs) >= 12
    types = {r["type"] for r in recs}
    assert {"comparison", "bridge_comparison"} <= types
    assert {r["answer"] for r in recs} >= {"yes", "no"}
    for r in recs:
        titles = {t for t, _ in r["context"]}
        assert all(t in titles for t, _ in r["supporting_facts"])
        assert all(0 <= i < len(dict(r["context"])[t]) for t, i in r["supporting_facts"])
