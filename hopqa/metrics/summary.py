"""Per-question metrics summed up (hopqa's own): which keys each dataset family has, which official evaluator a
family is scored like, and the means over questions -- overall, by MuSiQue hop type (from the id), and by the dataset's
own question type and level (the official scripts print totals only)."""
from __future__ import annotations

import collections
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["HOP_TYPES", "METRIC_KEYS", "HOTPOT_METRIC_KEYS", "OFFICIAL_EVALUATOR", "TYPE_ORDER", "LEVELS", "hop_type",
           "metric_family", "metric_keys", "aggregate", "breakdown"]

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


def metric_keys(family: str) -> tuple[str, ...]:
    """The per-question metric keys of a family (:func:`metric_family`)."""
    return METRIC_KEYS if family == "musique" else HOTPOT_METRIC_KEYS
