"""The hop machine (hopqa/fsm.py) driven by the offline policy on a toy corpus of an invented world.

Everything here uses the deterministic `hash:256` test encoder: no model, well under a second per question.
Transitions the local policy never takes ("revised", "insufficient") are driven by a tiny scripted policy.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from hopqa.config import Config, HopConfig, IndexConfig, RetrievalConfig
from hopqa.corpus import CorpusSource
from hopqa.fsm import TRANSITIONS, Context, MachineError, State, describe, run
from hopqa.hops import Condenser, HopRunner, Retriever, subject_names
from hopqa.index import build_index, open_index
from hopqa.qa import Asker
from hopqa.types import Fact

# An invented world: Pellmark, its towns, a novelist, a painter, a museum, a river.
TOY = [
    ("t01", "The Glass Orchard", "The Glass Orchard is a novel by the writer Bram Tulliver, published in 1932. "
                                 "It tells of a family of glassblowers in Ondria."),
    ("t02", "Bram Tulliver", "Bram Tulliver (1890–1961) was a Pellish novelist. Born in Ondria, he worked as a harbour "
                             "clerk before turning to writing. He died in Corvelle in 1961."),
    ("t03", "Ondria", "Ondria is a port town in Pellmark at the mouth of the Vessa River. It is known for its glassworks "
                      "and its red lighthouse."),
    ("t04", "Corvelle", "Corvelle is the capital of Pellmark, on the Vessa River. Its university was founded in 1402."),
    ("t05", "Mira Holt", "Mira Holt (born 1950) is a Pellish painter. Born in Corvelle, she studied at the Corvelle "
                         "Academy of Art."),
    ("t06", "Saltwind Bridge", "Saltwind Bridge is a 1979 painting by Mira Holt. It hangs in the Ondria Museum."),
    ("t07", "Ondria Museum", "The Ondria Museum is an art museum in Ondria, founded in 1911. Its first director was "
                             "Lene Farrow."),
    ("t08", "Vessa River", "The Vessa River rises in the Tamber Hills and flows west through Corvelle and Ondria to the "
                           "sea."),
    ("t09", "Tamber Hills", "The Tamber Hills are low granite hills in eastern Pellmark, covered in heather and old "
                            "copper mines."),
    ("t10", "Lene Farrow", "Lene Farrow (1870–1944) was a Pellish art historian. She wrote a history of glassmaking "
                           "in Ondria."),
]

# (question, expected answer or None when the test does not pin it)
QUESTIONS = [
    ("Where was the author of The Glass Orchard born?", "Ondria"),
    ("Where did the author of The Glass Orchard die?", "Corvelle"),
    ("Where was the painter of Saltwind Bridge born?", "Corvelle"),
    ("Who was the first director of the museum that holds Saltwind Bridge?", "Lene Farrow"),
    ("Which port town is known for its glassworks?", None),  # no rule applies: decomposition-free hops
    ("glassblowers lighthouse copper", None),  # keyword query: decomposition-free, runs to the hop budget
    ("What is the population of the capital of Pellmark?", None),  # the corpus has no population: unsupported
    ("Who was the spouse of the author of The Glass Orchard?", None),  # no spouse in the corpus: retry, rejected
]
BAD_DECOMPOSITION = ["Where was #2 born?", "Who wrote The Glass Orchard?"]  # #2 points forwards: invalid


@pytest.fixture(scope="module")
def toy_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy")
    corpus = folder / "toy.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in TOY), encoding="utf-8")
    build_index([CorpusSource(str(corpus))], folder / "ix", config=IndexConfig(model="hash:256"))
    return open_index(folder / "ix")


def asker(index, **hops) -> Asker:
    return Asker(index, Config(hops=HopConfig(**hops)), "local")


def pairs(answer) -> set[tuple[str, str]]:
    return {(t.source, t.reason) for t in answer.transitions}


@pytest.fixture(scope="module")
def answers(toy_index):
    """Every toy question answered with budgets 4 and 2, plus the special runs that reach the rarer transitions."""
    out = []
    for max_hops in (4, 2):
        a = asker(toy_index, max_hops=max_hops)
        out += [(q, max_hops, a.ask(q)) for q, _ in QUESTIONS]
    a4 = asker(toy_index)
    # The oracle path with a broken decomposition: REVISE_DECOMPOSITION rejects it.
    out.append(("invalid", 4, a4.ask(QUESTIONS[0][0], sub_questions=BAD_DECOMPOSITION)))
    # Retrieval restricted to one passage (as in the distractor setting, with a 1-paragraph context): the second hop
    # finds nothing new ("exhausted"), and JUDGE stops on "no_progress" (decomposition-free) or spends the budget.
    one = [toy_index.row["t03"]]
    out.append(("one passage, free", 4, a4.ask("Which port town is known for its glassworks?", allowed=np.asarray(one))))
    out.append(("one passage, decomposed", 4, a4.ask(QUESTIONS[0][0], allowed=np.asarray(one))))
    return out


# --------------------------------------------------------------------------------------------------------------------
# The transition table


LOCAL_UNREACHABLE = {(State.REVISE_DECOMPOSITION, "revised"), (State.JUDGE, "insufficient")}


def test_local_policy_takes_every_transition_it_can(answers):
    covered = set().union(*(pairs(a) for _, _, a in answers))
    expected = {(s.value, e) for (s, e) in TRANSITIONS if (s, e) not in LOCAL_UNREACHABLE}
    assert expected - covered == set(), f"transitions never taken: {sorted(expected - covered)}"
    assert covered <= {(s.value, e) for (s, e) in TRANSITIONS}  # nothing outside the table


def test_every_recorded_transition_follows_the_table(answers):
    for _, _, a in answers:
        assert a.transitions[0].source == State.DECOMPOSE.value
        assert a.transitions[-1].target == State.DONE.value
        for prev, t in zip(a.transitions, a.transitions[1:]):
            assert t.source == prev.target
        for t in a.transitions:
            assert TRANSITIONS[(State(t.source), t.reason)].value == t.target


def test_toy_answers(answers):
    expected = dict(QUESTIONS)
    for q, max_hops, a in answers:
        if expected.get(q):
            assert a.answerable and a.answer == expected[q], (q, max_hops, a.answer)
    by_q = {(q, m): a for q, m, a in answers}
    assert not by_q[("What is the population of the capital of Pellmark?", 4)].answerable
    assert by_q[("What is the population of the capital of Pellmark?", 4)].answer == "unanswerable"


def test_special_runs_take_the_rare_transitions(answers):
    by_q = {q: a for q, m, a in answers if m == 4}
    assert ("REVISE_DECOMPOSITION", "invalid") in pairs(by_q["invalid"])
    assert by_q["invalid"].sub_questions == []  # dropped: decomposition-free hops instead
    # why reaches the trace (typed policy state, hopqa.fsm.PolicyState): the dropped draft and its problems
    diag = by_q["invalid"].to_dict()["diagnostics"]
    assert diag["dropped_decomposition"] and diag["decomposition_problems"][0]
    assert all(isinstance(p, str) for p in diag["decomposition_problems"][0])
    assert "proposal" not in diag and "raw_replies" not in diag
    free = by_q["one passage, free"]
    assert [t.reason for t in free.transitions] == [
        "no_decomposition", "retrieved", "accepted", "next", "exhausted", "no_progress", "answered"]
    assert [len(h.hits) for h in free.hops] == [1, 0]
    chain = by_q["one passage, decomposed"]
    assert ("SEARCH", "exhausted") in pairs(chain) and ("JUDGE", "max_hops") in pairs(chain)
    assert len(chain.hops) == 4


class ScriptedPolicy:
    """A fake policy that returns scripted events (the Policy protocol), for transitions the local rules never take."""

    name = "scripted"

    def __init__(self, script: dict[str, list[str]]):
        self.script = {k: list(v) for k, v in script.items()}
        self.calls: list[str] = []

    def _next(self, state: str, ctx: Context) -> str:
        self.calls.append(state)
        return self.script[state].pop(0)

    def decompose(self, ctx):
        ctx.sub_questions = ["Who wrote The Glass Orchard?", "Where was #1 born?"]
        return self._next("decompose", ctx)

    def revise_decomposition(self, ctx):
        return self._next("revise_decomposition", ctx)

    def search(self, ctx, runner):
        runner(ctx, ctx.question, sub_question=None)
        return self._next("search", ctx)

    def revise_search(self, ctx, runner):
        return self._next("revise_search", ctx)

    def judge(self, ctx):
        return self._next("judge", ctx)

    def answer(self, ctx):
        ctx.answer, ctx.answerable, ctx.confidence = "Ondria", True, 0.9
        return self._next("answer", ctx)

    def unanswerable(self, ctx):
        ctx.answerable = False
        return self._next("unanswerable", ctx)

    def usage(self):
        return {"calls": len(self.calls)}


def context(index, question: str = "Where was the author of The Glass Orchard born?", **hops) -> Context:
    return Context(question, Config(hops=HopConfig(**hops)))


def hop_runner(index, ctx: Context) -> HopRunner:
    return HopRunner(Retriever(index, ctx.config.retrieval), Condenser(index), ctx.config.hops)


def test_scripted_policy_takes_revised_and_insufficient(toy_index):
    policy = ScriptedPolicy({"decompose": ["decomposed"], "revise_decomposition": ["revised", "revised", "valid"],
                             "search": ["retrieved"], "revise_search": ["accepted"], "judge": ["insufficient"],
                             "unanswerable": ["done"]})
    ctx = context(toy_index)
    ans = run("Where was the author of The Glass Orchard born?", policy, ctx, hop_runner(toy_index, ctx))
    assert [(t.source, t.reason, t.target) for t in ans.transitions] == [
        ("DECOMPOSE", "decomposed", "REVISE_DECOMPOSITION"),
        ("REVISE_DECOMPOSITION", "revised", "REVISE_DECOMPOSITION"),
        ("REVISE_DECOMPOSITION", "revised", "REVISE_DECOMPOSITION"),
        ("REVISE_DECOMPOSITION", "valid", "SEARCH"),
        ("SEARCH", "retrieved", "REVISE_SEARCH"),
        ("REVISE_SEARCH", "accepted", "JUDGE"),
        ("JUDGE", "insufficient", "UNANSWERABLE"),
        ("UNANSWERABLE", "done", "DONE"),
    ]
    assert not ans.answerable and ans.answer == "unanswerable" and ans.evidence == []
    assert ans.usage == {"calls": 8}


def test_unknown_event_raises_machine_error(toy_index):
    policy = ScriptedPolicy({"decompose": ["decomposed"], "revise_decomposition": ["looks fine"]})
    with pytest.raises(MachineError, match="'looks fine'.*REVISE_DECOMPOSITION"):
        ctx = context(toy_index)
        run("q?", policy, ctx, hop_runner(toy_index, ctx))


def test_a_machine_that_never_finishes_raises(toy_index):
    policy = ScriptedPolicy({"decompose": ["decomposed"], "revise_decomposition": ["revised"] * 100})
    with pytest.raises(MachineError, match="did not finish within 10 steps"):
        ctx = context(toy_index)
        run("q?", policy, ctx, hop_runner(toy_index, ctx), max_steps=10)


def test_describe_lists_every_row():
    text = describe()
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["state", "event"]
    assert len(lines) == 1 + len(TRANSITIONS)
    rows = {tuple(line.split()[:3]) for line in lines[1:]}
    assert rows == {(s.value, e, t.value) for (s, e), t in TRANSITIONS.items()}
    for line in lines[1:]:  # every row explains its event
        assert len(line.split()) > 3


# --------------------------------------------------------------------------------------------------------------------
# Hops


@pytest.mark.parametrize("k", [10, 3])
@pytest.mark.parametrize("retrieval", [RetrievalConfig(), RetrievalConfig(fusion="rrf"), RetrievalConfig(mode="bm25"),
                                       RetrievalConfig(mode="dense")], ids=["mix", "rrf", "bm25", "dense"])
def test_one_hop_is_plain_search(toy_index, k, retrieval):
    cfg = Config(retrieval=retrieval, hops=HopConfig(max_hops=1, k=k, final_k=k))
    a = Asker(toy_index, cfg)
    for q, _ in QUESTIONS:
        ans = a.ask(q)
        plain = toy_index.search(q, k, retrieval=retrieval, mode=retrieval.mode)
        assert [h.id for h in ans.ranking] == [h.id for h in plain], q
        assert len(ans.hops) == 1 and ans.sub_questions == []
        assert [t.reason for t in ans.transitions][:1] == ["no_decomposition"]


def assert_read_once(q: str, a, n_read: int) -> None:
    read: set[str] = set()
    for hop in a.hops:
        assert not read & {h.id for h in hop.hits}, (q, hop.hop)  # a read passage is never retrieved again
        assert not read & {f.passage_id for f in hop.facts}, (q, hop.hop)  # nor condensed again
        assert {f.passage_id for f in hop.facts} <= {h.id for h in hop.hits[:n_read]}
        read |= {h.id for h in hop.hits[:n_read]}


def test_no_passage_is_read_twice(toy_index, answers):
    for q, _, a in answers:
        assert_read_once(q, a, 1)  # HopConfig.read = 1
    a2 = asker(toy_index, read=2)
    for q, _ in QUESTIONS:
        assert_read_once(q, a2.ask(q), 2)


def test_no_new_fact_stops_the_decomposition_free_search(toy_index):
    # Nothing is read (read=0): the first hop retrieves but adds no fact, so JUDGE stops at once.
    ans = asker(toy_index, read=0).ask("glassblowers lighthouse copper")
    assert len(ans.hops) == 1 and ans.hops[0].hits and ans.hops[0].facts == []
    assert [t.reason for t in ans.transitions][:5] == ["no_decomposition", "retrieved", "accepted", "no_progress",
                                                       "unsupported"]
    # The same query with reading on runs to the budget.
    assert len(asker(toy_index).ask("glassblowers lighthouse copper").hops) == 4


def test_hop_runner_is_one_unit_over_the_context_state(toy_index):
    """The hop: its query (a pending reformulation first, once), then retrieve unread passages, condense, record."""
    ctx = context(toy_index, "glassblowers lighthouse copper", read=1)
    runner = hop_runner(toy_index, ctx)
    assert runner.query(ctx, None) == ctx.question  # the first hop asks the question itself
    ctx.pending_query = "lighthouse keeper"
    assert runner.query(ctx, None) == "lighthouse keeper" and ctx.pending_query is None
    first = runner(ctx, "glassblowers", sub_question=None)
    second = runner(ctx, "glassblowers", sub_question="Who were the glassblowers?")
    assert [h.hop for h in ctx.hops] == [1, 2] and ctx.hops[-1] is second
    assert first.state == second.state == "SEARCH" and second.sub_question == "Who were the glassblowers?"
    # a passage is read once: the second hop's first hit is not the first hop's (read=1)
    assert first.hits[0].row in ctx.read_rows and second.hits[0].row != first.hits[0].row
    assert {f.passage_id for f in first.facts} <= {f.passage_id for f in ctx.facts}
    assert len(ctx.read_rows) == 2


def test_judge_stops_on_no_progress_unit(toy_index):
    from hopqa.policy.local import LocalPolicy

    ctx = context(toy_index, "glassblowers lighthouse copper")
    runner = hop_runner(toy_index, ctx)
    runner(ctx, "glassblowers", sub_question=None)
    runner(ctx, "lighthouse", sub_question=None)
    assert ctx.new_facts_last_hop > 0
    ctx.new_facts_last_hop = 0
    assert LocalPolicy().judge(ctx) == "no_progress"


@pytest.mark.parametrize("max_hops", [1, 2, 3])
def test_max_hops_is_respected(toy_index, max_hops):
    a = asker(toy_index, max_hops=max_hops)
    for q, _ in QUESTIONS:
        ans = a.ask(q)
        assert 1 <= len(ans.hops) <= max_hops, q
        assert len(ans.sub_questions) <= max_hops
    assert len(a.ask("glassblowers lighthouse copper").hops) == max_hops


# --------------------------------------------------------------------------------------------------------------------
# The JSON schema of Answer.to_dict()

ANSWER_KEYS = {"question", "answer", "answerable", "guess", "confidence", "question_type", "sub_questions", "hops", "evidence", "ranking",
               "transitions", "timings", "usage", "config", "diagnostics"}
HOP_KEYS = {"hop", "state", "sub_question", "query", "hits", "facts", "sub_answer", "seconds"}
HIT_KEYS = {"id", "title", "text", "score", "hop", "dense_rank", "bm25_rank"}
FACT_KEYS = {"text", "passage_id", "title", "score", "hop"}
EVIDENCE_KEYS = {"id", "title", "text"}
RANKING_KEYS = {"id", "title", "score", "hop"}
TRANSITION_KEYS = {"from", "to", "reason"}
TIMING_KEYS = {"total_seconds", "retrieval_seconds"}
LM_TIMING_KEYS = {"reader_seconds", "model_load_seconds"}  # with a language-model reader (load: first question only)
CONFIG_KEYS = {"policy", "reader", "reader_model", "index", "model", "retrieval", "hops"}
QUESTION_TYPES = {"composition", "comparison", "yes_no", "intersection", "bridge_comparison"}


def check_answer_schema(d: dict, *, index_path: str | None = None) -> None:
    """The stable --json schema: exact key sets at every level and the value types. Shared with test_ask.py."""
    assert set(d) == ANSWER_KEYS
    assert isinstance(d["question"], str) and isinstance(d["answer"], str) and isinstance(d["answerable"], bool)
    assert isinstance(d["confidence"], float) and 0.0 <= d["confidence"] <= 1.0
    assert d["guess"] is None if d["answerable"] else (d["guess"] is None or isinstance(d["guess"], str))
    assert isinstance(d["sub_questions"], list) and all(isinstance(s, str) for s in d["sub_questions"])
    assert d["hops"], "at least one hop"
    for n, hop in enumerate(d["hops"], 1):
        assert set(hop) == HOP_KEYS and hop["hop"] == n and hop["state"] == "SEARCH"
        assert isinstance(hop["query"], str) and isinstance(hop["seconds"], float)
        assert hop["sub_question"] is None or isinstance(hop["sub_question"], str)
        assert hop["sub_answer"] is None or isinstance(hop["sub_answer"], str)
        for h in hop["hits"]:
            assert set(h) == HIT_KEYS and h["hop"] == n and isinstance(h["score"], float)
        for f in hop["facts"]:
            assert set(f) == FACT_KEYS and f["hop"] == n and isinstance(f["text"], str)
    for e in d["evidence"]:
        assert set(e) == EVIDENCE_KEYS and all(isinstance(v, str) for v in e.values())
    assert d["ranking"] and len(d["ranking"]) <= 10
    for r in d["ranking"]:
        assert set(r) == RANKING_KEYS
    assert len({r["id"] for r in d["ranking"]}) == len(d["ranking"])
    for t in d["transitions"]:
        assert set(t) == TRANSITION_KEYS
    assert TIMING_KEYS <= set(d["timings"]) <= TIMING_KEYS | LM_TIMING_KEYS and all(v >= 0 for v in d["timings"].values())
    assert d["question_type"] in QUESTION_TYPES
    assert isinstance(d["usage"], dict)
    assert set(d["config"]) == CONFIG_KEYS
    assert set(d["config"]["retrieval"]) == {f.name for f in dataclasses.fields(RetrievalConfig)}
    assert set(d["config"]["hops"]) == {f.name for f in dataclasses.fields(HopConfig)}
    if index_path is not None:
        assert d["config"]["index"] == index_path
    if not d["answerable"]:
        assert d["answer"] == "unanswerable" and d["evidence"] == []
    json.dumps(d)  # plain JSON all the way down


def test_answer_json_schema_is_stable(toy_index, answers):
    for _, _, a in answers:
        d = a.to_dict()
        check_answer_schema(d, index_path=str(toy_index.path))
        assert d["config"]["policy"] == "local" and d["config"]["model"] == "hash:256" and d["usage"] == {}
    answerable = [a for _, _, a in answers if a.answerable]
    assert answerable and all(a.to_dict()["evidence"] for a in answerable)
    assert json.loads(json.dumps(answers[0][2].to_dict())) == answers[0][2].to_dict()


# --------------------------------------------------------------------------------------------------------------------
# REVISE_SEARCH: answer verification


def toy_fact(pid: str, text: str) -> Fact:
    return Fact(text, pid, dict((i, t) for i, t, _ in TOY)[pid], 1.0, 1)


def test_verification_needs_the_asked_relation(toy_index):
    c = Condenser(toy_index)
    died = toy_fact("t02", "He died in Corvelle in 1961.")
    born = toy_fact("t02", "Born in Ondria, he worked as a harbour clerk before turning to writing.")
    # the reader takes a place of the right type from the "died" sentence ...
    from hopqa.reader import read

    assert read("Where was Bram Tulliver born?", [died]).candidates[0].text == "Corvelle"
    # ... but that sentence does not state the asked relation; the "born" sentence does ("birthplace" -> born)
    for q in ("Where was Bram Tulliver born?", "What is the birthplace of Bram Tulliver?",
              "Bram Tulliver >> place of birth"):
        v = c.verify(q, died, ["Bram Tulliver"])
        assert not v.supported and v.reason == "the fact does not state the asked relation", (q, v)
        assert c.verify(q, born, ["Bram Tulliver"]).supported, q
    # a relation no passage of the index words at all is stated by no fact
    assert not c.verify("Where was Bram Tulliver buried?", died, ["Bram Tulliver"]).supported
    # the passage title stands in for "He": the subject is named
    assert c.verify("Where did Bram Tulliver die?", died, ["Bram Tulliver"]).supported


def test_verification_needs_the_asked_subject(toy_index):
    c = Condenser(toy_index)
    q = "When was the Ondria Museum founded?"
    subjects = subject_names(q)
    assert subjects == ["Ondria Museum"]
    other = toy_fact("t04", "Its university was founded in 1402.")  # "founded", but of Corvelle's university
    own = toy_fact("t07", "The Ondria Museum is an art museum in Ondria, founded in 1911.")
    v = c.verify(q, other, subjects)
    assert not v.supported and v.reason == "the fact is not about the subject" and v.stated == {"found"}
    assert c.verify(q, own, subjects).supported
    # the answer-type noun alone is no relation to check ("Which river ..."); words describing the subject are not
    # the relation asked ("first director" in "Where was the first director of X born?")
    river = toy_fact("t04", "Corvelle is the capital of Pellmark, on the Vessa River.")
    assert c.verify("Which river flows through Corvelle?", river, ["Corvelle"]).supported
    director = toy_fact("t07", "Its first director was Lene Farrow.")
    assert c.verify("Where was the first director of Ondria Museum born?", director, ["Ondria Museum"]).supported
    assert not c.verify("Where was the first director of Ondria Museum born?", director, ["Ondria Museum"],
                        described=["first director"]).supported


@pytest.mark.parametrize("question", [
    "Where was the author of The Glass Orchard buried?",  # "He died in Corvelle": a place, not the burial
    "When did the author of The Glass Orchard marry?",  # "(1890–1961)": dates, not the marriage
    "Where was the first director of the museum that holds Saltwind Bridge born?",  # Lene Farrow has no birthplace
])
def test_unverified_chains_are_unanswerable(toy_index, question):
    a = asker(toy_index).ask(question)
    assert not a.answerable and a.answer == "unanswerable", (question, a.answer)
    assert a.transitions[-2].reason == "unsupported"


def test_unanswerable_questions_keep_a_best_guess_apart_from_the_answer(toy_index):
    """The chain "author of The Glass Orchard -> burial place" breaks at its last link ("He died in Corvelle" is a
    place, not the burial): the answer stays "unanswerable", the guess is what the readers would say if they had to,
    and `[reader] guess = false` turns it off."""
    from hopqa.config import ReaderConfig

    q = "Where was the author of The Glass Orchard buried?"
    a = asker(toy_index).ask(q)
    assert not a.answerable and a.answer == "unanswerable" and a.evidence == []
    assert a.guess and a.guess != "unanswerable"
    assert a.to_dict()["guess"] == a.guess
    off = Asker(toy_index, Config(reader=ReaderConfig(guess=False)), "local").ask(q)
    assert not off.answerable and off.guess is None
    answered = asker(toy_index).ask(QUESTIONS[0][0])
    assert answered.answerable and answered.guess is None
    # the trace says where the guess came from and what the rule reader read at each step (candidates best first)
    d = a.diagnostics
    assert d["guess_source"] == "last_sub_answer" and d["unsupported_steps"] == [2]
    assert set(d["step_candidates"]) == {"1", "2"} and d["step_candidates"]["2"][0]["text"] == a.guess
    for cands in d["step_candidates"].values():
        assert [set(c) for c in cands] == [{"text", "score", "passage_id", "fact_index", "cue"}] * len(cands)
        assert [c["score"] for c in cands] == sorted((c["score"] for c in cands), reverse=True)
    assert "guess_source" not in answered.diagnostics and "guess_source" not in off.diagnostics
    json.dumps(a.to_dict())  # the diagnostics stay JSON


def test_best_guess_records_its_source():
    """`best_guess`: the policy's own guess, else the chain's last sub-answer, else the rule reader's top span over the
    kept facts; the source lands in the policy state (and so in the trace); nothing read, no guess and no source."""
    from hopqa.fsm import best_guess

    def ctx(**kw) -> Context:
        c = Context("Where was Bram Tulliver born?", Config())
        for k, v in kw.items():
            setattr(c, k, v)
        return c

    facts = [Fact("Bram Tulliver was born in Ondria in 1890.", "t01", "Bram Tulliver", 1.0)]
    own = ctx(guess="Pellish", facts=facts)
    assert best_guess(own) == "Pellish" and own.policy_state.guess_source == "policy"
    chain = ctx(sub_questions=["a?", "b #1?"], sub_answers={1: "X", 2: "Corvelle"}, facts=facts)
    assert best_guess(chain) == "Corvelle" and chain.policy_state.guess_source == "last_sub_answer"
    reader = ctx(facts=facts)
    assert best_guess(reader) == "Ondria" and reader.policy_state.diagnostics()["guess_source"] == "reader"
    nothing = ctx()
    assert best_guess(nothing) is None and "guess_source" not in nothing.policy_state.diagnostics()
