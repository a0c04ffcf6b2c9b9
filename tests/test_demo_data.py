"""Validation of the bundled demo data (hopqa/data/demo): pure JSON checks, no hopqa imports.

The demo corpus is an invented world; the questions follow the MuSiQue-Ans format (and, for the
unanswerable file, the MuSiQue-Full convention: same id as the answerable question it contrasts
with, ``answerable: false``). These tests pin the structural guarantees the rest of hopqa relies on
and the properties that make the questions genuinely multi-hop.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "hopqa" / "data" / "demo"

QUESTION_KEYS = {"id", "paragraphs", "question", "question_decomposition", "answer", "answer_aliases", "answerable"}
PARAGRAPH_KEYS = {"idx", "title", "paragraph_text", "is_supporting"}
STEP_KEYS = {"id", "question", "answer", "paragraph_support_idx"}
HOPS = {"2hop": 2, "3hop1": 3, "3hop2": 3, "4hop1": 4, "4hop2": 4, "4hop3": 4}
MIN_PER_TYPE = {"2hop": 12, "3hop1": 5, "3hop2": 2, "4hop1": 3, "4hop2": 1, "4hop3": 1}
# Which earlier steps each step must refer to (#k), per MuSiQue reasoning graph.
SHAPES = {
    "2hop": [set(), {1}],
    "3hop1": [set(), {1}, {2}],
    "3hop2": [set(), set(), {1, 2}],
    "4hop1": [set(), {1}, {2}, {3}],
    "4hop2": [set(), set(), {1, 2}, {3}],
    "4hop3": [set(), {1}, set(), {2, 3}],
}
ID_RE = re.compile(r"^(2hop|3hop1|3hop2|4hop1|4hop2|4hop3)__demo_(u?\d+)$")
REF_RE = re.compile(r"#(\d+)")


def _read_jsonl(name: str) -> list[dict]:
    path = DEMO / name
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            assert line.strip(), f"{name}:{lineno}: blank line"
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"{name}:{lineno}: invalid JSON: {exc}")
    return rows


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return _read_jsonl("corpus.jsonl")


@pytest.fixture(scope="module")
def passages(corpus) -> dict[tuple[str, str], str]:
    return {(p["title"], p["text"]): p["id"] for p in corpus}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return _read_jsonl("questions.jsonl")


@pytest.fixture(scope="module")
def unanswerable() -> list[dict]:
    return _read_jsonl("questions_unanswerable.jsonl")


def _hop_type(qid: str) -> str:
    m = ID_RE.match(qid)
    assert m, f"bad id {qid!r}"
    return m.group(1)


# ------------------------------------------------------------------ corpus


def test_corpus_shape(corpus):
    assert 100 <= len(corpus) <= 160
    for p in corpus:
        assert set(p) == {"id", "title", "text"}, p
        assert re.fullmatch(r"demo-\d{3}", p["id"]), p["id"]
        assert p["title"].strip() and p["text"].strip()
        n_words = len(p["text"].split())
        assert 40 <= n_words <= 110, (p["id"], n_words)


def test_corpus_ids_titles_and_pairs_unique(corpus):
    ids = [p["id"] for p in corpus]
    assert len(ids) == len(set(ids))
    pairs = [(p["title"], p["text"]) for p in corpus]
    assert len(pairs) == len(set(pairs))
    titles = Counter(p["title"] for p in corpus)
    assert not [t for t, n in titles.items() if n > 1], "duplicate titles"


# ------------------------------------------------------------------ shared structure


def _check_structure(q: dict, passages: dict) -> tuple[str, list[dict], list[dict]]:
    qid = q["id"]
    assert set(q) == QUESTION_KEYS, (qid, set(q) ^ QUESTION_KEYS)
    htype = _hop_type(qid)
    assert isinstance(q["question"], str) and q["question"].endswith("?"), qid
    assert isinstance(q["answer"], str) and isinstance(q["answer_aliases"], list), qid
    assert all(isinstance(a, str) and a for a in q["answer_aliases"]), qid
    assert isinstance(q["answerable"], bool), qid

    paras = q["paragraphs"]
    assert [p["idx"] for p in paras] == list(range(10)), qid
    for p in paras:
        assert set(p) == PARAGRAPH_KEYS, (qid, p.get("idx"))
        assert isinstance(p["is_supporting"], bool)
        assert (p["title"], p["paragraph_text"]) in passages, (qid, p["title"], "not a corpus passage")
    assert len({p["title"] for p in paras}) == 10, (qid, "repeated paragraph")

    steps = q["question_decomposition"]
    assert len(steps) == HOPS[htype], (qid, len(steps))
    for k, s in enumerate(steps, start=1):
        assert set(s) == STEP_KEYS, (qid, k)
        assert isinstance(s["id"], int) and not isinstance(s["id"], bool), (qid, k)
        assert isinstance(s["question"], str) and s["question"].strip(), (qid, k)
        refs = {int(r) for r in REF_RE.findall(s["question"])}
        assert all(1 <= r < k for r in refs), (qid, k, "a #k reference must point to an earlier step")
        assert refs == SHAPES[htype][k - 1], (qid, k, refs, f"not the {htype} reasoning shape")
        idx = s["paragraph_support_idx"]
        if idx is not None:
            assert isinstance(idx, int) and 0 <= idx < 10, (qid, k)
    return htype, paras, steps


def _check_no_leaks(q: dict) -> None:
    text = q["question"].lower()
    for k, s in enumerate(q["question_decomposition"], start=1):
        if s["answer"]:
            assert s["answer"].lower() not in text, (q["id"], k, f"question names the answer {s['answer']!r}")


# ------------------------------------------------------------------ answerable questions


def test_question_counts_and_ids(questions):
    assert len(questions) >= 24
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids)), "duplicate question ids"
    counts = Counter(_hop_type(i) for i in ids)
    for htype, minimum in MIN_PER_TYPE.items():
        assert counts[htype] >= minimum, (htype, counts[htype])


def test_answerable_questions(questions, passages):
    for q in questions:
        qid = q["id"]
        htype, paras, steps = _check_structure(q, passages)
        assert q["answerable"] is True, qid
        assert q["answer"].strip(), qid

        supporting = {p["idx"] for p in paras if p["is_supporting"]}
        support_idxs = [s["paragraph_support_idx"] for s in steps]
        assert None not in support_idxs, qid
        # one supporting paragraph per hop, and exactly those are marked supporting
        assert len(supporting) == len(steps) == HOPS[htype], (qid, len(supporting))
        assert len(set(support_idxs)) == len(support_idxs), (qid, "two steps share a paragraph")
        assert set(support_idxs) == supporting, qid

        for k, s in enumerate(steps, start=1):
            assert s["answer"].strip(), (qid, k)
            text = paras[s["paragraph_support_idx"]]["paragraph_text"].lower()
            assert s["answer"].lower() in text, (qid, k, s["answer"], "not in its supporting paragraph")

        assert q["answer"] == steps[-1]["answer"], qid
        final_text = paras[steps[-1]["paragraph_support_idx"]]["paragraph_text"].lower()
        assert q["answer"].lower() in final_text, (qid, "answer not in the last step's paragraph")
        _check_no_leaks(q)


def test_supporting_positions_vary(questions):
    first = Counter(min(p["idx"] for p in q["paragraphs"] if p["is_supporting"]) for q in questions)
    assert first[0] < len(questions) / 2
    in_front = sum(
        all(p["idx"] < 2 for p in q["paragraphs"] if p["is_supporting"]) for q in questions
    )
    assert in_front == 0


def test_step_ids_consistent(questions, unanswerable):
    # As in MuSiQue, a single-hop question keeps its id wherever it recurs, and one id means one question.
    id_of: dict[str, int] = {}
    question_of: dict[int, str] = {}
    for q in questions + unanswerable:
        answers = [s["answer"] for s in q["question_decomposition"]]
        for s in q["question_decomposition"]:
            resolved = REF_RE.sub(lambda m: answers[int(m.group(1)) - 1], s["question"])
            assert id_of.setdefault(resolved, s["id"]) == s["id"], (q["id"], resolved)
            assert question_of.setdefault(s["id"], resolved) == resolved, (q["id"], s["id"])


# ------------------------------------------------------------------ unanswerable contrasts


def test_unanswerable_questions(unanswerable, questions, passages):
    assert len(unanswerable) >= 4
    ids = [q["id"] for q in unanswerable]
    assert len(ids) == len(set(ids))
    answerable_by_id = {q["id"]: q for q in questions}
    for q in unanswerable:
        qid = q["id"]
        htype, paras, steps = _check_structure(q, passages)
        assert q["answerable"] is False, qid
        # MuSiQue-Full: the contrast carries the id of the answerable question it pairs with
        assert qid in answerable_by_id, (qid, "no answerable question with this id")
        assert q["question"] != answerable_by_id[qid]["question"], qid

        supporting = {p["idx"] for p in paras if p["is_supporting"]}
        support_idxs = [s["paragraph_support_idx"] for s in steps]
        present = [i for i in support_idxs if i is not None]
        assert support_idxs[-1] is None, (qid, "the final fact must be the missing one")
        assert steps[-1]["answer"] == "", qid
        assert len(present) == len(set(present)) == len(supporting) < HOPS[htype], qid
        assert set(present) == supporting, qid
        for k, s in enumerate(steps, start=1):
            if s["paragraph_support_idx"] is not None:
                text = paras[s["paragraph_support_idx"]]["paragraph_text"].lower()
                assert s["answer"] and s["answer"].lower() in text, (qid, k)
        _check_no_leaks(q)
