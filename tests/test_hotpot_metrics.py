"""HotpotQA (hotpot_evaluate_v1.py) and 2WikiMultihopQA (2wikimultihop_evaluate_v1.1.py) scoring in hopqa.metrics:
hand-computed cases for every official rule, then a few hundred random prediction files scored both by hopqa and by
an independent re-implementation written here from the rules (not from hopqa's code).
"""
from __future__ import annotations

import random
import re
import string
from collections import Counter

import pytest

from hopqa.metrics.hotpot import evaluate_hotpot_official, hotpot_answer_scores, joint_scores, sp_scores
from hopqa.metrics.summary import breakdown, metric_family
from hopqa.metrics.twowiki import evaluate_2wiki_official, evidence_scores

approx = pytest.approx


# ----------------------------------------------------------------------------- answers (hand-computed)


def test_answer_partial_overlap():
    # pred [barack, obama], gold [obama]: P = 1/2, R = 1, F1 = 2/3
    s = hotpot_answer_scores("Barack Obama", "Obama")
    assert s == approx({"em": 0.0, "f1": 2 / 3, "precision": 0.5, "recall": 1.0})


def test_yes_no_special_case():
    # "no" vs "no way": tokens overlap, but a yes/no/noanswer side that differs scores 0 (SQuAD would give 2/3)
    assert hotpot_answer_scores("no", "no way")["f1"] == 0.0
    assert hotpot_answer_scores("yes it is", "yes")["f1"] == 0.0
    assert hotpot_answer_scores("noanswer", "no answer")["f1"] == 0.0
    assert hotpot_answer_scores("Yes.", "yes") == approx({"em": 1.0, "f1": 1.0, "precision": 1.0, "recall": 1.0})


def test_empty_answers():
    # both normalise to "": EM 1 (strings equal) but F1 0 (no common token), unlike the SQuAD v2 rule
    assert hotpot_answer_scores("", "The") == approx({"em": 1.0, "f1": 0.0, "precision": 0.0, "recall": 0.0})
    assert hotpot_answer_scores("", "Paris")["f1"] == 0.0


def test_max_over_golds_each_metric_separately():
    # golds "a b c d" and "x": pred "a b x" -> vs g1: P 2/3, R 2/4, F1 4/7; vs g2: P 1/3, R 1, F1 1/2
    s = hotpot_answer_scores("alpha beta xi", ["alpha beta gamma delta", "xi"])
    assert s["precision"] == approx(2 / 3) and s["recall"] == approx(1.0) and s["f1"] == approx(4 / 7)


# ----------------------------------------------------------------------------- supporting facts


def test_sp_partial():
    # pred {(A,0),(A,1),(B,2)}, gold {(A,0),(B,0)}: tp 1, fp 2, fn 1 -> P 1/3, R 1/2, F1 0.4
    s = sp_scores([["A", 0], ["A", 1], ["B", 2]], [["A", 0], ["B", 0]])
    assert s == approx({"em": 0.0, "f1": 0.4, "precision": 1 / 3, "recall": 0.5})


def test_sp_duplicates_and_both_empty():
    assert sp_scores([["A", 0], ("A", 0)], [["A", 0]])["em"] == 1.0
    # both empty: EM 1, F1 0 (HotpotQA rule; MuSiQue's support metric would give F1 1)
    assert sp_scores([], []) == approx({"em": 1.0, "f1": 0.0, "precision": 0.0, "recall": 0.0})
    assert sp_scores([["A", "0"]], [["A", 0]])["f1"] == 0.0  # ids are compared as given


def test_sp_2wiki_lowercases_titles_after_dedup():
    assert sp_scores([["Paris", 0]], [["paris", 0]])["em"] == 0.0
    assert sp_scores([["Paris", 0]], [["paris", 0]], lowercase_titles=True)["em"] == 1.0
    # ("A",0) and ("a",0) survive the set, then both become ("a",0): tp 2, fp 0 -> P 1; fn 0 -> R 1
    s = sp_scores([["A", 0], ["a", 0], ["b", 1]], [["a", 0]], lowercase_titles=True)
    assert s["precision"] == approx(2 / 3) and s["recall"] == 1.0


def test_joint_is_product_of_precisions_and_recalls():
    a = {"em": 0.0, "f1": 2 / 3, "precision": 0.5, "recall": 1.0}
    s = {"em": 0.0, "f1": 0.4, "precision": 1 / 3, "recall": 0.5}
    # P = 1/6, R = 1/2, F1 = 2 * (1/12) / (2/3) = 1/4
    assert joint_scores(a, s) == approx({"em": 0.0, "f1": 0.25, "precision": 1 / 6, "recall": 0.5})


def test_evidence_triples():
    gold = [[["Paris", "capital of", "France"]], [["Lyon", "country", "France"], ["Lyons", "country", "France"]]]
    # normalisation keeps articles but drops case and punctuation; a triple matches any accepted form
    s = evidence_scores([["paris", "Capital of", "France."], ["Lyons", "country", "france"], ["x", "y", "z"]], gold)
    assert s == approx({"em": 0.0, "f1": 2 * (2 / 3) * 1 / (2 / 3 + 1), "precision": 2 / 3, "recall": 1.0})
    assert evidence_scores([], []) == approx({"em": 1.0, "f1": 0.0, "precision": 0.0, "recall": 0.0})
    assert evidence_scores([["the x", "r", "o"]], [[["x", "r", "o"]]])["f1"] == 0.0


def test_whole_file_missing_predictions_count_zero():
    golds = [{"_id": "q1", "answer": "Paris", "supporting_facts": [["A", 0]]},
             {"_id": "q2", "answer": "yes", "supporting_facts": [["B", 1]]}]
    pred = {"answer": {"q1": "Paris"}, "sp": {"q1": [["A", 0]], "q2": [["B", 1], ["B", 2]]}}
    m = evaluate_hotpot_official(golds, pred)
    # q1: all 1. q2: no answer -> answer 0, no joint; sp P 1/2 R 1 F1 2/3
    assert m["em"] == 0.5 and m["f1"] == 0.5
    assert m["sp_f1"] == approx((1 + 2 / 3) / 2) and m["sp_em"] == 0.5
    assert m["joint_em"] == 0.5 and m["joint_f1"] == 0.5


def test_2wiki_whole_file_with_and_without_evidence():
    golds = [{"_id": "q1", "answer": "France", "answer_id": "Q142", "supporting_facts": [["Paris", 0]],
              "evidences": [["Paris", "country", "France"]], "evidences_id": [["Q90", "country", "Q142"]]}]
    aliases = {"Q142": ["French Republic"], "Q90": ["City of Light"]}
    pred = {"answer": {"q1": "the French Republic"}, "sp": {"q1": [["paris", 0]]},
            "evidence": {"q1": [["city of light", "country", "french republic"]]}}
    m = evaluate_2wiki_official(golds, pred, aliases=aliases)
    assert m["em"] == 1.0 and m["sp_em"] == 1.0 and m["evi_em"] == 1.0 and m["joint_em"] == 1.0
    assert evaluate_2wiki_official(golds, pred, aliases=aliases, percent=True)["joint_f1"] == 100.0
    del pred["evidence"]
    m = evaluate_2wiki_official(golds, pred)  # no aliases: "the French Republic" vs "France" scores 0
    assert m["evi_f1"] is None and m["f1"] == 0.0 and m["sp_f1"] == 1.0 and m["joint_f1"] == 0.0


def test_metric_family_and_breakdown():
    assert [metric_family(f) for f in ("musique", "plain", "hotpot", "2wiki", None)] == \
        ["musique", "musique", "hotpot", "2wiki", "musique"]
    recs = [{"type": "comparison", "f1": 1.0}, {"type": "bridge", "f1": 0.0}, {"type": "zeta", "f1": None},
            {"f1": 0.5}, {"type": "bridge", "f1": 1.0}]
    b = breakdown(recs, "type", ["f1"], ("bridge", "comparison"))
    assert list(b) == ["bridge", "comparison", "zeta", "other"]
    assert b["bridge"] == {"f1": 0.5, "n": 2} and b["zeta"] == {"f1": None, "n": 1}


# ----------------------------------------------------------------------------- independent re-implementation


def _norm(text):
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _ref_answer(pred, gold):
    p, g = _norm(pred), _norm(gold)
    em = 1.0 if p == g else 0.0
    if p != g and ({p, g} & {"yes", "no", "noanswer"}):
        return em, 0.0, 0.0, 0.0
    same = sum((Counter(p.split()) & Counter(g.split())).values())
    if not same:
        return em, 0.0, 0.0, 0.0
    prec, rec = same / len(p.split()), same / len(g.split())
    return em, 2 * prec * rec / (prec + rec), prec, rec


def _ref_sp(pred, gold, lower=False):
    pred = list({tuple(x) for x in pred})
    gold = list({tuple(x) for x in gold})
    if lower:
        pred = [(t.lower(), i) for t, i in pred]
        gold = [(t.lower(), i) for t, i in gold]
    tp = len([e for e in pred if e in gold])
    fp = len(pred) - tp
    fn = len([e for e in gold if e not in pred])
    prec = tp / len(pred) if pred else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return (1.0 if fp == 0 and fn == 0 else 0.0), f1, prec, rec


def _ref_file(golds, pred, lower=False):
    names = ["em", "f1", "prec", "recall", "sp_em", "sp_f1", "sp_prec", "sp_recall", "joint_em", "joint_f1",
             "joint_prec", "joint_recall"]
    sums = Counter({k: 0.0 for k in names})
    for g in golds:
        a = _ref_answer(pred["answer"][g["_id"]], g["answer"]) if g["_id"] in pred["answer"] else None
        s = _ref_sp(pred["sp"][g["_id"]], g["supporting_facts"], lower) if g["_id"] in pred["sp"] else None
        for vals, prefix in ((a, ""), (s, "sp_")):
            if vals:
                for k, v in zip(("em", "f1", "prec", "recall"), vals):
                    sums[prefix + k] += v
        if a and s:
            jp, jr = a[2] * s[2], a[3] * s[3]
            sums["joint_em"] += a[0] * s[0]
            sums["joint_f1"] += 2 * jp * jr / (jp + jr) if jp + jr else 0.0
            sums["joint_prec"] += jp
            sums["joint_recall"] += jr
    return {k: sums[k] / len(golds) for k in names}


WORDS = ["Paris", "the", "yes", "no", "noanswer", "a", "France", "city", "of", "Light", "U.S.", "river", ""]
TITLES = ["Alpha", "alpha", "Beta", "Gamma", "Delta"]


def _random_answer(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))


def _random_sp(rng):
    return [[rng.choice(TITLES), rng.randint(0, 3)] for _ in range(rng.randint(0, 5))]


@pytest.mark.parametrize("family", ["hotpot", "2wiki"])
def test_random_prediction_files_match_the_reference(family):
    rng = random.Random(1234 if family == "hotpot" else 4321)
    for _ in range(300):
        golds = [{"_id": f"q{i}", "answer": _random_answer(rng) or "Paris", "supporting_facts": _random_sp(rng),
                  "evidences": []} for i in range(rng.randint(1, 8))]
        pred = {"answer": {}, "sp": {}}
        for g in golds:
            if rng.random() > 0.1:
                pred["answer"][g["_id"]] = g["answer"] if rng.random() < 0.3 else _random_answer(rng)
            if rng.random() > 0.1:
                pred["sp"][g["_id"]] = g["supporting_facts"] if rng.random() < 0.3 else _random_sp(rng)
        ref = _ref_file(golds, pred, lower=family == "2wiki")
        got = evaluate_hotpot_official(golds, pred) if family == "hotpot" else evaluate_2wiki_official(golds, pred)
        assert {k: got[k] for k in ref} == approx(ref, abs=1e-12)
