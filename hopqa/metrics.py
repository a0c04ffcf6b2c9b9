"""Scoring exactly like the official evaluators: MuSiQue (StonyBrookNLP/musique, ``evaluate_v1.0.py``), HotpotQA
(hotpotqa/hotpot, ``hotpot_evaluate_v1.py``) and 2WikiMultihopQA (Alab-NII/2wikimultihop,
``2wikimultihop_evaluate_v1.1.py``); the HotpotQA and 2Wiki rules are in the second half of this module.

Nothing in this module is used to *answer* questions; it only scores predictions. Every function
names, in its docstring, the official rule it reproduces. The official files are:

* ``metrics/answer.py``   -- SQuAD-style normalisation, EM and token F1, max over answer + aliases.
* ``metrics/support.py``  -- HotpotQA-style supporting-paragraph P/R/F1/EM over *sets* of idxs.
* ``metrics/group.py``    -- the mean of per-group scores over all groups (question ids).
* ``metrics/group_answer_sufficiency.py`` / ``metrics/group_support_sufficiency.py`` -- MuSiQue-Full:
  the answerable question and its unanswerable contrast share the *same* ``id``; a group scores its
  answer (support) F1 only if *both* answerability predictions are right, else 0.
* ``evaluate_v1.0.py``    -- which instances feed which metric (answer/support only on gold-answerable
  instances; group metrics only when some gold instance is unanswerable) and the 3-decimal rounding.

The retrieval metrics (recall@k, all-recall@k), :func:`hop_type` and :func:`aggregate` are hopqa's own
additions (the official evaluator has no retrieval metric); their conventions are documented here.

All scores are fractions in [0, 1]. The official script prints ``round(x, 3)``; the functions here
return unrounded values (:func:`evaluate_official` takes ``round_digits=3`` to get the printed ones).
"""
from __future__ import annotations

import collections
import re
import string
from typing import Any, Iterable, Mapping, Sequence

__all__ = [
    "normalize_answer",
    "answer_tokens",
    "answer_em",
    "answer_f1",
    "support_prf",
    "support_f1",
    "recall_at_k",
    "all_recall_at_k",
    "hop_type",
    "HOP_TYPES",
    "METRIC_KEYS",
    "aggregate",
    "gold_answers",
    "gold_support_idxs",
    "musique_full_group_metrics",
    "evaluate_official",
    "breakdown",
    "TYPE_ORDER",
    "LEVELS",
    "metric_family",
    "OFFICIAL_EVALUATOR",
    "HOTPOT_METRIC_KEYS",
    "hotpot_answer_scores",
    "sp_scores",
    "joint_scores",
    "evidence_scores",
    "evaluate_hotpot_official",
    "evaluate_2wiki_official",
]

# ---------------------------------------------------------------------------------------------
# Answers (official metrics/answer.py)
# ---------------------------------------------------------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = frozenset(string.punctuation)  # ASCII punctuation only, as in the official code


def normalize_answer(s: str) -> str:
    """Normalise an answer string (official ``metrics/answer.py: normalize_answer``).

    The official order of steps matters and is kept: (1) lower-case; (2) delete every ASCII
    punctuation character (``string.punctuation``) -- deleted, *not* replaced by a space, so
    ``"brown-fox"`` becomes ``"brownfox"``; (3) replace the whole words ``a``, ``an``, ``the`` by a
    space (regex ``\\b(a|an|the)\\b``), which runs *after* punctuation removal, so ``"a.m."`` becomes
    ``"am"`` and is kept; (4) squeeze all whitespace runs to single spaces and strip.
    Non-ASCII punctuation (curly quotes, en dashes) is *not* removed, exactly as in the official code.
    """
    s = s.lower()
    s = "".join(ch for ch in s if ch not in _PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def answer_tokens(s: str) -> list[str]:
    """Tokens for token F1 (official ``get_tokens``): ``[]`` for an empty string, else the
    whitespace-split :func:`normalize_answer`."""
    if not s:
        return []
    return normalize_answer(s).split()


def _check_golds(golds: Sequence[str] | str) -> list[str]:
    if isinstance(golds, str):
        golds = [golds]
    golds = list(golds)
    if not golds:
        # The official metric_max_over_ground_truths takes max() of an empty list and crashes;
        # MuSiQue always has at least the main answer.
        raise ValueError("golds must hold at least one gold answer ([answer] + answer_aliases)")
    return golds


def _exact(pred: str, gold: str) -> float:
    """Official ``compute_exact``: 1 if the normalised strings are equal, else 0."""
    return float(normalize_answer(gold) == normalize_answer(pred))


def _token_f1(pred: str, gold: str) -> float:
    """Official ``compute_f1`` (SQuAD v2 rules).

    If either side has no tokens after normalisation, F1 is 1 when both are empty and 0 otherwise.
    Otherwise the bag-of-tokens overlap (``Counter &``, so repeated tokens count at most as often
    as they occur on both sides) gives precision = overlap/|pred|, recall = overlap/|gold|, and F1
    is their harmonic mean (0 when there is no overlap).
    """
    gold_toks = answer_tokens(gold)
    pred_toks = answer_tokens(pred)
    if not gold_toks or not pred_toks:
        return float(gold_toks == pred_toks)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_toks)
    recall = num_same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def answer_em(pred: str, golds: Sequence[str] | str) -> float:
    """Exact match after normalisation, maximised over the gold answers (official ``AnswerMetric``:
    ``metric_max_over_ground_truths(compute_exact, ...)`` with golds = ``[answer] + answer_aliases``).

    Returns 1.0 or 0.0. ``golds`` may be a single string. An empty prediction matches only a gold
    answer that normalises to the empty string (e.g. ``"The"``). Raises ``ValueError`` on empty golds.
    """
    return max(_exact(pred, g) for g in _check_golds(golds))


def answer_f1(pred: str, golds: Sequence[str] | str) -> float:
    """Token F1 after normalisation, maximised over the gold answers (official ``AnswerMetric``:
    ``metric_max_over_ground_truths(compute_f1, ...)`` with golds = ``[answer] + answer_aliases``).

    See :func:`_token_f1` for the rule, including the empty-answer case. Raises ``ValueError`` on
    empty golds.
    """
    return max(_token_f1(pred, g) for g in _check_golds(golds))


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
# Retrieval (hopqa's own; no official counterpart)
# ---------------------------------------------------------------------------------------------


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")


def recall_at_k(ranked_ids: Sequence[Any], gold_ids: Iterable[Any], k: int) -> float | None:
    """Share of the distinct gold items found among the first ``k`` positions of ``ranked_ids``.

    Not an official MuSiQue metric. Conventions: gold ids are a set; the ranking is taken as given
    (positions, no de-duplication -- callers should pass a de-duplicated ranking); ``k`` larger than
    the ranking just means the whole ranking. If there are no gold items the metric is not
    applicable and the function returns ``None`` (which :func:`aggregate` skips), rather than
    pretending 0 or 1. ``k`` must be >= 1.
    """
    _check_k(k)
    gold = set(gold_ids)
    if not gold:
        return None
    found = gold.intersection(ranked_ids[:k])
    return len(found) / len(gold)


def all_recall_at_k(ranked_ids: Sequence[Any], gold_ids: Iterable[Any], k: int) -> float | None:
    """1.0 if *every* gold item is in the first ``k`` positions, else 0.0; ``None`` when there is no
    gold item (same conventions as :func:`recall_at_k`). Not an official MuSiQue metric."""
    r = recall_at_k(ranked_ids, gold_ids, k)
    if r is None:
        return None
    return 1.0 if r == 1.0 else 0.0


# ---------------------------------------------------------------------------------------------
# Hop types and aggregation (hopqa's own)
# ---------------------------------------------------------------------------------------------

HOP_TYPES = ("2hop", "3hop1", "3hop2", "4hop1", "4hop2", "4hop3")

METRIC_KEYS = (
    "answer_em",
    "answer_f1",
    "support_f1",
    "recall@2",
    "recall@5",
    "recall@10",
    "all_recall@5",
    "all_recall@10",
)


def hop_type(question_id: Any) -> str:
    """The MuSiQue reasoning-graph type from an id such as ``"3hop1__9285_5188_23307"``.

    MuSiQue ids start with the type followed by ``"__"``; the text before the first ``"__"`` is
    returned when it is one of :data:`HOP_TYPES` (exact, case-sensitive), otherwise ``"other"``
    (non-MuSiQue ids, non-strings).
    """
    if not isinstance(question_id, str):
        return "other"
    prefix = question_id.split("__", 1)[0]
    return prefix if prefix in HOP_TYPES else "other"


def _means(records: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in keys:
        vals = [float(r[key]) for r in records if r.get(key) is not None]
        out[key] = sum(vals) / len(vals) if vals else None
    return out


def aggregate(records: Iterable[Mapping[str, Any]], keys: Sequence[str] = METRIC_KEYS) -> dict[str, Any]:
    """Mean of each per-question metric over all records and per hop type.

    Each record is a mapping with ``id`` and the metric ``keys`` (default :data:`METRIC_KEYS`).
    A value of ``None`` (or a missing key) means "not applicable" and is skipped, so each mean is
    over the records that have that metric; a key with no value at all has mean ``None``.
    Returns ``{key: mean, ..., "n": number of records, "by_hop_type": {type: {key: mean, ..., "n": n}}}``
    with the hop type from :func:`hop_type` (only types that occur are listed, in
    :data:`HOP_TYPES` order, then ``"other"``). Means are fractions in [0, 1], unrounded.

    This is a macro average over questions, the same as the official per-metric averages when
    the records come from the same instances the official script scores (for MuSiQue-Full it
    scores answer/support only on gold-answerable instances: put ``None`` on the others).
    """
    records = list(records)
    result: dict[str, Any] = dict(_means(records, keys))
    result["n"] = len(records)
    groups: dict[str, list[Mapping[str, Any]]] = collections.defaultdict(list)
    for r in records:
        groups[hop_type(r.get("id"))].append(r)
    by_type: dict[str, Any] = {}
    for t in (*HOP_TYPES, "other"):
        if t in groups:
            by_type[t] = dict(_means(groups[t], keys))
            by_type[t]["n"] = len(groups[t])
    result["by_hop_type"] = by_type
    return result


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


# ---------------------------------------------------------------------------------------------
# Breakdowns by the dataset's own question type and level (hopqa's own; the official scripts print totals only)
# ---------------------------------------------------------------------------------------------

#: Question types in display order, per dataset family (MuSiQue: hop types from the id; HotpotQA and 2Wiki: the
#: record's ``type`` field). Types not listed come after these, sorted, and ``"other"`` last.
TYPE_ORDER: dict[str, tuple[str, ...]] = {
    "musique": HOP_TYPES,
    "hotpot": ("bridge", "comparison"),
    "2wiki": ("compositional", "comparison", "inference", "bridge_comparison"),
}
#: HotpotQA's ``level`` field.
LEVELS = ("easy", "medium", "hard")


def _ordered_groups(values: Iterable[Any], order: Sequence[str]) -> list[str]:
    present = {str(v) for v in values}
    head = [t for t in order if t in present]
    tail = sorted(present - set(head) - {"other"})
    return head + tail + (["other"] if "other" in present and "other" not in head else [])


def breakdown(records: Iterable[Mapping[str, Any]], field: str, keys: Sequence[str],
              order: Sequence[str] = ()) -> dict[str, Any]:
    """Per-group means of ``keys`` (``None`` skipped, as :func:`aggregate`), grouped by ``record[field]``.

    Records without the field (or with ``None``) go to ``"other"``. Groups come in ``order``, then any other value
    sorted, then ``"other"``; each group is ``{key: mean, ..., "n": size}``.
    """
    groups: dict[str, list[Mapping[str, Any]]] = collections.defaultdict(list)
    for r in records:
        v = r.get(field)
        groups["other" if v is None or v == "" else str(v)].append(r)
    out: dict[str, Any] = {}
    for g in _ordered_groups(groups, order):
        out[g] = dict(_means(groups[g], keys))
        out[g]["n"] = len(groups[g])
    return out


# ---------------------------------------------------------------------------------------------
# HotpotQA (official hotpot_evaluate_v1.py) and 2WikiMultihopQA (official 2wikimultihop_evaluate_v1.1.py)
# ---------------------------------------------------------------------------------------------

#: Which official evaluator a dataset family is scored like.
OFFICIAL_EVALUATOR = {
    "musique": "MuSiQue evaluate_v1.0.py (StonyBrookNLP/musique)",
    "hotpot": "HotpotQA hotpot_evaluate_v1.py (hotpotqa/hotpot)",
    "2wiki": "2WikiMultihopQA 2wikimultihop_evaluate_v1.1.py (Alab-NII/2wikimultihop)",
}

#: Per-question keys of the HotpotQA / 2Wiki family (means over questions = the official totals).
HOTPOT_METRIC_KEYS = (
    "answer_em", "answer_f1", "answer_precision", "answer_recall",
    "sp_em", "sp_f1", "sp_precision", "sp_recall",
    "joint_em", "joint_f1", "joint_precision", "joint_recall",
    "recall@2", "recall@5", "recall@10", "all_recall@5", "all_recall@10",
)


def metric_family(dataset_format: str | None) -> str:
    """``"hotpot"`` for HotpotQA, ``"2wiki"`` for 2WikiMultihopQA, ``"musique"`` for MuSiQue and plain datasets."""
    return dataset_format if dataset_format in ("hotpot", "2wiki") else "musique"


_YES_NO = ("yes", "no", "noanswer")


def hotpot_answer_scores(pred: str, golds: Sequence[str] | str) -> dict[str, float]:
    """Answer EM, F1, precision and recall as the official HotpotQA ``exact_match_score`` / ``f1_score``.

    Differences from the MuSiQue (SQuAD v2) rules, kept exactly: (1) if either normalised side is ``yes``, ``no`` or
    ``noanswer`` and the two differ, F1/P/R are all 0 even when tokens overlap (``"no"`` vs ``"no way"``); (2) when
    nothing overlaps -- including both sides normalising to the empty string -- F1/P/R are 0 (EM of two empty
    strings is still 1). Same :func:`normalize_answer`. With several golds (2Wiki: answer + aliases), each of EM,
    F1, P and R is maximised *separately* over them, as the 2Wiki ``update_answer`` does (HotpotQA has one gold).
    """
    golds = _check_golds(golds)
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


def _norm_evidence(x: Any) -> Any:
    """2Wiki ``normalize_evi``: every string, at any depth, lower-cased, ASCII punctuation deleted, whitespace
    squeezed -- articles are *kept* (unlike :func:`normalize_answer`)."""
    if isinstance(x, str):
        return " ".join("".join(ch for ch in x.lower() if ch not in _PUNCT).split())
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


_TOTAL_KEYS = ("em", "f1", "prec", "recall", "sp_em", "sp_f1", "sp_prec", "sp_recall")
_JOINT_KEYS = ("joint_em", "joint_f1", "joint_prec", "joint_recall")
_EVI_KEYS = ("evi_em", "evi_f1", "evi_prec", "evi_recall")


def _add(totals: dict[str, float], prefix: str, s: Mapping[str, float]) -> None:
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
    totals = dict.fromkeys(_TOTAL_KEYS + _JOINT_KEYS, 0.0)
    answers, sps = prediction.get("answer", {}), prediction.get("sp", {})
    for dp in golds:
        qid = dp["_id"]
        a = s = None
        if qid in answers:
            a = hotpot_answer_scores(answers[qid], [dp["answer"]])
            _add(totals, "", a)
        if qid in sps:
            s = sp_scores(sps[qid], dp["supporting_facts"])
            _add(totals, "sp_", s)
        if a is not None and s is not None:
            _add(totals, "joint_", joint_scores(a, s))
    n = len(golds)
    return {k: v / n for k, v in totals.items()} if n else totals


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
    totals = dict.fromkeys(_TOTAL_KEYS + _EVI_KEYS + _JOINT_KEYS, 0.0)
    answers, sps, evis = prediction.get("answer", {}), prediction.get("sp", {}), prediction.get("evidence", {})
    for dp in golds:
        qid = dp["_id"]
        parts: list[Mapping[str, float]] = []
        ok = True
        if qid in answers:
            gold_answers = {dp["answer"]} | aliases.get(dp.get("answer_id"), set())
            a = hotpot_answer_scores(answers[qid], sorted(gold_answers))
            _add(totals, "", a)
            parts.append(a)
        else:
            ok = False
        if qid in sps:
            s = sp_scores(sps[qid], dp["supporting_facts"], lowercase_titles=True)
            _add(totals, "sp_", s)
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
                _add(totals, "evi_", e)
                parts.append(e)
            else:
                ok = False
        if ok:
            _add(totals, "joint_", joint_scores(*parts))
    n = len(golds)
    out: dict[str, float | None] = {k: (v / n if n else 0.0) for k, v in totals.items()}
    if percent:
        out = {k: round(100 * v, 2) for k, v in out.items()}  # type: ignore[operator]
    if not with_evi:
        out.update(dict.fromkeys(_EVI_KEYS))
    return out
