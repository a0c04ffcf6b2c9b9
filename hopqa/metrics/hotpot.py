"""HotpotQA, as the official ``hotpot_evaluate_v1.py`` (hotpotqa/hotpot): answer, supporting-fact and joint scores,
and the whole-file evaluation. 2WikiMultihopQA builds on these rules (:mod:`.twowiki`)."""
from __future__ import annotations

import collections
from typing import Any, Iterable, Mapping, Sequence

from .answer import check_golds, normalize_answer

__all__ = ["hotpot_answer_scores", "sp_scores", "joint_scores", "evaluate_hotpot_official", "add_totals", "TOTAL_KEYS",
           "JOINT_KEYS"]

_YES_NO = ("yes", "no", "noanswer")


def hotpot_answer_scores(pred: str, golds: Sequence[str] | str) -> dict[str, float]:
    """Answer EM, F1, precision and recall as the official HotpotQA ``exact_match_score`` / ``f1_score``.

    Differences from the MuSiQue (SQuAD v2) rules, kept exactly: (1) if either normalised side is ``yes``, ``no`` or
    ``noanswer`` and the two differ, F1/P/R are all 0 even when tokens overlap (``"no"`` vs ``"no way"``); (2) when
    nothing overlaps -- including both sides normalising to the empty string -- F1/P/R are 0 (EM of two empty
    strings is still 1). Same :func:`normalize_answer`. With several golds (2Wiki: answer + aliases), each of EM,
    F1, P and R is maximised *separately* over them, as the 2Wiki ``update_answer`` does (HotpotQA has one gold).
    """
    golds = check_golds(golds)
    best = {"em": 0.0, "f1": 0.0, "precision": 0.0, "recall": 0.0}
    p_norm = normalize_answer(pred)
    for gold in golds:
        g_norm = normalize_answer(gold)
        em = float(p_norm == g_norm)
        f1 = prec = rec = 0.0
        special = (p_norm in _YES_NO or g_norm in _YES_NO) and p_norm != g_norm
        if not special:
            p_toks, g_toks = p_norm.split(), g_norm.split()
            same = sum((collections.Counter(p_toks) & collections.Counter(g_toks)).values())
            if same:
                prec, rec = same / len(p_toks), same / len(g_toks)
                f1 = 2 * prec * rec / (prec + rec)
        for k, v in (("em", em), ("f1", f1), ("precision", prec), ("recall", rec)):
            best[k] = max(best[k], v)
    return best


def sp_scores(pred: Iterable[Sequence[Any]], gold: Iterable[Sequence[Any]], *,
              lowercase_titles: bool = False) -> dict[str, float]:
    """Supporting-fact EM, F1, precision, recall over ``(title, sent_id)`` pairs (official ``update_sp``).

    Each side becomes a set of tuples (duplicates ignored; ``[t, 1]`` and ``(t, 1)`` are the same; ``1`` and
    ``"1"`` are not). tp/fp/fn as in :func:`support_prf`, but with the HotpotQA rule for empty sets: both empty
    gives P = R = F1 = 0 and EM = 1. ``lowercase_titles=True`` is the 2Wiki ``normalize_sp`` rule: titles are
    lower-cased *after* the de-duplication, so ``("A", 0)`` and ``("a", 0)`` predicted together count twice.
    """
    p_set, g_set = set(map(tuple, pred)), set(map(tuple, gold))
    if lowercase_titles:
        p_items = [(e[0].lower(), *e[1:]) if e else e for e in p_set]
        g_items = [(e[0].lower(), *e[1:]) if e else e for e in g_set]
    else:
        p_items, g_items = list(p_set), list(g_set)
    g_lookup = g_items if lowercase_titles else g_set
    p_lookup = p_items if lowercase_titles else p_set
    tp = sum(1 for e in p_items if e in g_lookup)
    fp = len(p_items) - tp
    fn = sum(1 for e in g_items if e not in p_lookup)
    prec = tp / (tp + fp) if tp + fp > 0 else 0.0
    rec = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"em": 1.0 if fp + fn == 0 else 0.0, "f1": f1, "precision": prec, "recall": rec}


def joint_scores(*parts: Mapping[str, float]) -> dict[str, float]:
    """Joint EM, F1, precision, recall (official): precision = product of the parts' precisions, recall = product of
    their recalls, F1 = their harmonic mean (0 if both are 0), EM = product of EMs. HotpotQA joins answer and
    supporting facts; 2Wiki also the evidence triples."""
    prec = rec = em = 1.0
    for part in parts:
        prec *= part["precision"]
        rec *= part["recall"]
        em *= part["em"]
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"em": em, "f1": f1, "precision": prec, "recall": rec}


#: The official totals' keys: answer (no prefix) and supporting facts; then the joint ones.
TOTAL_KEYS = ("em", "f1", "prec", "recall", "sp_em", "sp_f1", "sp_prec", "sp_recall")
JOINT_KEYS = ("joint_em", "joint_f1", "joint_prec", "joint_recall")


def add_totals(totals: dict[str, float], prefix: str, s: Mapping[str, float]) -> None:
    """Add one question's EM, F1, precision and recall to the official totals under ``prefix`` (``prec``, as there)."""
    totals[prefix + "em"] += s["em"]
    totals[prefix + "f1"] += s["f1"]
    totals[prefix + "prec"] += s["precision"]
    totals[prefix + "recall"] += s["recall"]


def evaluate_hotpot_official(golds: Sequence[Mapping[str, Any]], prediction: Mapping[str, Any]) -> dict[str, float]:
    """The whole official ``hotpot_evaluate_v1.py`` ``eval`` function, on in-memory data.

    ``golds`` are HotpotQA records (``_id``, ``answer``, ``supporting_facts``); ``prediction`` is the official
    predictions object ``{"answer": {id: str}, "sp": {id: [[title, sent_id], ...]}}``. Per gold record: a missing
    answer (sp) adds 0 to the answer (sp) totals and the record gets no joint score; every total is divided by the
    number of gold records. Returns the official keys ``em, f1, prec, recall, sp_em, sp_f1, sp_prec, sp_recall,
    joint_em, joint_f1, joint_prec, joint_recall`` as unrounded fractions (the official script prints them so).
    """
    totals = dict.fromkeys(TOTAL_KEYS + JOINT_KEYS, 0.0)
    answers, sps = prediction.get("answer", {}), prediction.get("sp", {})
    for dp in golds:
        qid = dp["_id"]
        a = s = None
        if qid in answers:
            a = hotpot_answer_scores(answers[qid], [dp["answer"]])
            add_totals(totals, "", a)
        if qid in sps:
            s = sp_scores(sps[qid], dp["supporting_facts"])
            add_totals(totals, "sp_", s)
        if a is not None and s is not None:
            add_totals(totals, "joint_", joint_scores(a, s))
    n = len(golds)
    return {k: v / n for k, v in totals.items()} if n else totals
