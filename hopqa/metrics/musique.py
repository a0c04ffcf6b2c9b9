"""MuSiQue's own rules: supporting paragraphs (official ``metrics/support.py``), the MuSiQue-Full group metrics
(``metrics/group.py``, ``metrics/group_answer_sufficiency.py``, ``metrics/group_support_sufficiency.py``: the answerable
question and its unanswerable contrast share the *same* ``id``; a group scores its answer (support) F1 only if *both*
answerability predictions are right, else 0) and the whole-file ``evaluate_v1.0.py`` (which instances feed which
metric: answer/support only on gold-answerable instances; group metrics only when some gold instance is unanswerable;
the 3-decimal rounding)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from .answer import answer_em, answer_f1

__all__ = ["support_prf", "support_f1", "gold_answers", "gold_support_idxs", "musique_full_group_metrics",
           "evaluate_official"]

# ---------------------------------------------------------------------------------------------
# Supporting paragraphs (official metrics/support.py)
# ---------------------------------------------------------------------------------------------


def support_prf(pred_idxs: Iterable[int], gold_idxs: Iterable[int]) -> dict[str, float]:
    """Supporting-paragraph precision, recall, F1 and EM (official ``metrics/support.py: SupportMetric``,
    itself taken from the HotpotQA ``sp`` metric).

    Both sides are turned into sets of ``int`` (duplicates ignored; ``"3"`` counts as 3). With
    tp/fp/fn over those sets: precision = tp/(tp+fp) (0 if nothing predicted), recall = tp/(tp+fn)
    (0 if no gold), F1 = harmonic mean (0 if P+R = 0), EM = 1 iff fp+fn = 0.
    Official empty-set rule: when *both* sets are empty, F1 and EM are both 1.0 (precision and
    recall stay 0.0). When exactly one is empty, F1 = EM = 0.0.
    """
    pred = set(map(int, pred_idxs))
    gold = set(map(int, gold_idxs))
    tp = len(pred & gold)
    fp = len(pred - gold)
    fn = len(gold - pred)
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    em = 1.0 if fp + fn == 0 else 0.0
    if not pred and not gold:
        f1, em = 1.0, 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "em": em}


def support_f1(pred_idxs: Iterable[int], gold_idxs: Iterable[int]) -> float:
    """Supporting-paragraph F1 of one question (official ``SupportMetric``; see :func:`support_prf`).
    Both sets empty -> 1.0; exactly one empty -> 0.0."""
    return support_prf(pred_idxs, gold_idxs)["f1"]


# ---------------------------------------------------------------------------------------------
# Whole-file evaluation, MuSiQue-Full groups (official evaluate_v1.0.py + group metrics)
# ---------------------------------------------------------------------------------------------


def gold_answers(gold: Mapping[str, Any]) -> list[str]:
    """``[answer] + answer_aliases`` of a gold record (official ``evaluate_v1.0.py``)."""
    return [gold["answer"]] + list(gold.get("answer_aliases") or [])


def gold_support_idxs(gold: Mapping[str, Any]) -> list[int]:
    """Gold supporting paragraph idxs: from the official ``paragraphs`` list (``idx`` of every
    paragraph with ``is_supporting`` true, as ``evaluate_v1.0.py`` does) or, for records already
    flattened by hopqa, from ``supporting_idxs``."""
    if "paragraphs" in gold:
        return [p["idx"] for p in gold["paragraphs"] if p["is_supporting"]]
    if "supporting_idxs" in gold:
        return list(gold["supporting_idxs"])
    raise KeyError("gold record has neither 'paragraphs' nor 'supporting_idxs'")


def musique_full_group_metrics(pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """MuSiQue-Full scores over (gold record, prediction) pairs, following the official
    ``evaluate_v1.0.py`` with ``metrics/group_answer_sufficiency.py``,
    ``metrics/group_support_sufficiency.py`` and ``metrics/group.py``.

    Official rules reproduced:

    * Grouping: instances are grouped by ``str(id)`` -- the answerable question and its
      unanswerable contrast carry the *same* id (not a shared stem). Every group must hold exactly
      two instances (the official asserts this), one of them gold-answerable; a ``ValueError`` is
      raised otherwise.
    * Group sufficiency ``suff``: 1 if the list of predicted answerabilities equals the list of gold
      answerabilities (in file order), i.e. *both* instances' ``predicted_answerable`` are right.
    * Group answer F1/EM: answer F1/EM (max over answer + aliases) of the prediction made on the
      gold-*answerable* instance (the answer given on the unanswerable one is ignored), multiplied
      by ``suff`` -- so it counts only when both answerability predictions are right.
    * Group support F1/EM: the same with support F1/EM of the gold-answerable instance.
    * Each group score is averaged over groups (ids).
    * ``answer_em``/``answer_f1``/``support_f1`` are the plain (non-group) official metrics, which
      the official script computes only on gold-answerable instances and *regardless* of
      ``predicted_answerable``.

    The official evaluator has no separate "answerability F1": the answerability score it computes
    is the group ``suff`` above, returned here as ``group_sufficiency``. The official script prints
    only ``group_answer_sufficiency_f1`` and ``group_support_sufficiency_f1`` (and the plain ones).

    Gold records need ``id``, ``answer``, ``answer_aliases``, ``answerable`` and either
    ``paragraphs`` (official) or ``supporting_idxs``; predictions need ``predicted_answer``,
    ``predicted_support_idxs``, ``predicted_answerable``. Returned values are unrounded.
    """
    return _score(pairs, with_groups=True)


def _score(pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]], *, with_groups: bool) -> dict[str, Any]:
    """Shared pass of :func:`musique_full_group_metrics` and :func:`evaluate_official`."""
    groups: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    ans_em: list[float] = []
    ans_f1: list[float] = []
    sup_f1: list[float] = []
    n_instances = 0
    for gold, pred in pairs:
        n_instances += 1
        qid = str(gold["id"])
        if "id" in pred and str(pred["id"]) != qid:
            raise ValueError(f"prediction id {pred['id']!r} does not match gold id {qid!r} at instance {n_instances}")
        if qid not in groups:
            groups[qid] = {"gold_suff": [], "pred_suff": [], "answerable": None}
            order.append(qid)
        g = groups[qid]
        gold_suff = gold["answerable"]
        g["gold_suff"].append(gold_suff)
        g["pred_suff"].append(pred["predicted_answerable"])
        if gold_suff:
            golds = gold_answers(gold)
            sp = support_prf(pred["predicted_support_idxs"], gold_support_idxs(gold))
            em = answer_em(pred["predicted_answer"], golds)
            f1 = answer_f1(pred["predicted_answer"], golds)
            g["answerable"] = {"em": em, "f1": f1, "sp_em": sp["em"], "sp_f1": sp["f1"]}
            ans_em.append(em)
            ans_f1.append(f1)
            sup_f1.append(sp["f1"])

    out: dict[str, Any] = {
        "answer_em": sum(ans_em) / len(ans_em) if ans_em else 0.0,
        "answer_f1": sum(ans_f1) / len(ans_f1) if ans_f1 else 0.0,
        "support_f1": sum(sup_f1) / len(sup_f1) if sup_f1 else 0.0,
    }
    if not with_groups:
        return out

    totals = dict.fromkeys(("ga_f1", "ga_em", "gs_f1", "gs_em", "suff"), 0.0)
    for qid in order:
        g = groups[qid]
        if len(g["pred_suff"]) != 2:
            raise ValueError(
                f"MuSiQue-Full group {qid!r} has {len(g['pred_suff'])} instance(s); the official evaluator needs exactly 2 per id"
            )
        if g["answerable"] is None:
            raise ValueError(f"MuSiQue-Full group {qid!r} has no gold-answerable instance")
        suff = 1.0 if g["pred_suff"] == g["gold_suff"] else 0.0
        a = g["answerable"]
        totals["ga_f1"] += a["f1"] * suff
        totals["ga_em"] += a["em"] * suff
        totals["gs_f1"] += a["sp_f1"] * suff
        totals["gs_em"] += a["sp_em"] * suff
        totals["suff"] += suff

    n_groups = len(order)

    def mean_of(total: float) -> float:
        return total / n_groups if n_groups else 0.0

    out.update(
        {
            "group_answer_sufficiency_f1": mean_of(totals["ga_f1"]),
            "group_answer_sufficiency_em": mean_of(totals["ga_em"]),
            "group_support_sufficiency_f1": mean_of(totals["gs_f1"]),
            "group_support_sufficiency_em": mean_of(totals["gs_em"]),
            "group_sufficiency": mean_of(totals["suff"]),
            "n_groups": n_groups,
            "n_instances": n_instances,
        }
    )
    return out


def evaluate_official(
    golds: Sequence[Mapping[str, Any]],
    predictions: Sequence[Mapping[str, Any]],
    *,
    round_digits: int | None = None,
) -> dict[str, Any]:
    """The whole official ``evaluate_v1.0.py`` ``evaluate()`` on in-memory records.

    Rules: the two lists must have the same length and the same ids in the same order
    (``ValueError`` otherwise, where the official script asserts). ``answer_em``, ``answer_f1`` and
    ``support_f1`` are averaged over gold-answerable instances only (0.0 if there are none, as the
    official ``get_metric``). If any gold instance is unanswerable the data is taken to be
    MuSiQue-Full and the group metrics of :func:`musique_full_group_metrics` are added
    (``group_answer_sufficiency_f1``, ``group_support_sufficiency_f1``, plus hopqa's extra keys
    ``group_answer_sufficiency_em``, ``group_support_sufficiency_em``, ``group_sufficiency``).
    ``round_digits=3`` reproduces the printed official numbers; ``None`` leaves them unrounded.
    """
    if len(golds) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(golds)} gold instances; the official evaluator needs the same number")
    for i, (g, p) in enumerate(zip(golds, predictions), start=1):
        if g["id"] != p["id"]:
            raise ValueError(f"instance {i}: prediction id {p['id']!r} != gold id {g['id']!r}; ids must be in the same order")
    is_full = any(not g["answerable"] for g in golds)
    full = _score(zip(golds, predictions), with_groups=is_full)
    keys = ["answer_f1", "answer_em", "support_f1"]
    if is_full:
        keys += [
            "group_answer_sufficiency_f1",
            "group_support_sufficiency_f1",
            "group_answer_sufficiency_em",
            "group_support_sufficiency_em",
            "group_sufficiency",
        ]
    out = {k: full[k] for k in keys}
    if round_digits is not None:
        out = {k: round(v, round_digits) for k, v in out.items()}
    return out
