"""Retrieval metrics: recall@k and all-recall@k (hopqa's own; the official evaluators have no retrieval metric);
their conventions are documented on each function."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

__all__ = ["recall_at_k", "all_recall_at_k"]


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
