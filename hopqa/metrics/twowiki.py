"""2WikiMultihopQA, as the official ``2wikimultihop_evaluate_v1.1.py`` (Alab-NII/2wikimultihop): HotpotQA's answer
and supporting-fact rules (titles lower-cased), plus evidence triples, joined into a three-part joint score."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from .answer import PUNCT
from .hotpot import JOINT_KEYS, TOTAL_KEYS, add_totals, hotpot_answer_scores, joint_scores, sp_scores

__all__ = ["evidence_scores", "evaluate_2wiki_official"]


def _norm_evidence(x: Any) -> Any:
    """2Wiki ``normalize_evi``: every string, at any depth, lower-cased, ASCII punctuation deleted, whitespace
    squeezed -- articles are *kept* (unlike :func:`normalize_answer`)."""
    if isinstance(x, str):
        return " ".join("".join(ch for ch in x.lower() if ch not in PUNCT).split())
    if isinstance(x, (list, tuple)):
        return [_norm_evidence(y) for y in x]
    return x


def evidence_scores(pred: Sequence[Sequence[Any]], gold: Sequence[Sequence[Sequence[Any]]]) -> dict[str, float]:
    """Evidence-triple EM, F1, precision, recall (official 2Wiki ``update_evi``).

    ``pred`` is a list of ``[subject, relation, object]``; ``gold`` a list of gold evidences, each a list of
    accepted triples (the gold triple with every alias of its subject and object). After :func:`_norm_evidence`,
    the distinct predicted triples that occur among the accepted forms of some gold evidence are matches (each
    predicted triple counts once). P = matches / distinct predicted (0 if none), R = matches / number of gold
    evidences (0 if none), F1 their harmonic mean, EM = 1 iff matches == distinct predicted == gold count (so both
    empty is EM 1, F1 0).
    """
    p_set = {tuple(t) for t in _norm_evidence(list(pred))}
    g_sets = [{tuple(t) for t in accepted} for accepted in _norm_evidence(list(gold))]
    matches = sum(1 for t in p_set if any(t in accepted for accepted in g_sets))
    prec = matches / len(p_set) if p_set else 0.0
    rec = matches / len(g_sets) if g_sets else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"em": 1.0 if matches == len(p_set) == len(g_sets) else 0.0, "f1": f1, "precision": prec, "recall": rec}


_EVI_KEYS = ("evi_em", "evi_f1", "evi_prec", "evi_recall")


def evaluate_2wiki_official(golds: Sequence[Mapping[str, Any]], prediction: Mapping[str, Any], *,
                            aliases: Mapping[str, Iterable[str]] | None = None,
                            percent: bool = False) -> dict[str, float | None]:
    """The whole official ``2wikimultihop_evaluate_v1.1.py`` ``eval`` function, on in-memory data.

    ``golds`` are 2Wiki records (``_id``, ``answer``, ``supporting_facts``, ``evidences``, optionally ``answer_id``
    and ``evidences_id``); ``prediction`` is ``{"answer": {...}, "sp": {...}, "evidence": {id: [[s, r, o], ...]}}``;
    ``aliases`` maps a Wikidata id to its aliases and demonyms (the official ``id_aliases.json``; without it each
    gold is its own only form). Official rules: gold answers = the answer plus the aliases of ``answer_id``; answer
    scores as :func:`hotpot_answer_scores` (each maximised separately over golds); supporting facts as
    :func:`sp_scores` with lower-cased titles; evidence as :func:`evidence_scores`, each gold triple accepted with
    every alias of its subject and object (from ``evidences_id``); joint = answer x sp x evidence
    (:func:`joint_scores`), only when all three are predicted; totals over the number of gold records.
    ``percent=True`` gives the printed official figures, ``round(100 * x, 2)``.

    hopqa's rule where the official script has none: a predictions object with no ``"evidence"`` key at all (a system
    that predicts no triples; the official script raises ``KeyError``) gets ``evi_*`` = ``None`` and a joint of answer
    x sp, as HotpotQA's.
    """
    aliases = {k: set(v) for k, v in (aliases or {}).items()}
    with_evi = "evidence" in prediction
    totals = dict.fromkeys(TOTAL_KEYS + _EVI_KEYS + JOINT_KEYS, 0.0)
    answers, sps, evis = prediction.get("answer", {}), prediction.get("sp", {}), prediction.get("evidence", {})
    for dp in golds:
        qid = dp["_id"]
        parts: list[Mapping[str, float]] = []
        ok = True
        if qid in answers:
            gold_answers = {dp["answer"]} | aliases.get(dp.get("answer_id"), set())
            a = hotpot_answer_scores(answers[qid], sorted(gold_answers))
            add_totals(totals, "", a)
            parts.append(a)
        else:
            ok = False
        if qid in sps:
            s = sp_scores(sps[qid], dp["supporting_facts"], lowercase_titles=True)
            add_totals(totals, "sp_", s)
            parts.append(s)
        else:
            ok = False
        if with_evi:
            if qid in evis:
                ev_ids = dp.get("evidences_id") or []
                gold_ev = []
                for j, (sub, rel, obj) in enumerate(dp["evidences"]):
                    subs, objs = {sub}, {obj}
                    if ev_ids:
                        sub_id, _, obj_id = ev_ids[j]
                        subs |= aliases.get(sub_id, set())
                        objs |= aliases.get(obj_id, set())
                    gold_ev.append([[s_, rel, o_] for s_ in subs for o_ in objs])
                e = evidence_scores(evis[qid], gold_ev)
                add_totals(totals, "evi_", e)
                parts.append(e)
            else:
                ok = False
        if ok:
            add_totals(totals, "joint_", joint_scores(*parts))
    n = len(golds)
    out: dict[str, float | None] = {k: (v / n if n else 0.0) for k, v in totals.items()}
    if percent:
        out = {k: round(100 * v, 2) for k, v in out.items()}  # type: ignore[operator]
    if not with_evi:
        out.update(dict.fromkeys(_EVI_KEYS))
    return out
