"""Answers, as the official MuSiQue ``metrics/answer.py`` (SQuAD-style normalisation, EM and token F1, max over
the answer and its aliases). HotpotQA and 2Wiki normalise answers the same way (:mod:`.hotpot`)."""
from __future__ import annotations

import collections
import re
import string
from typing import Sequence

__all__ = ["normalize_answer", "answer_tokens", "answer_em", "answer_f1", "check_golds", "PUNCT"]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
PUNCT = frozenset(string.punctuation)  # ASCII punctuation only, as in the official code


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
    s = "".join(ch for ch in s if ch not in PUNCT)
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def answer_tokens(s: str) -> list[str]:
    """Tokens for token F1 (official ``get_tokens``): ``[]`` for an empty string, else the
    whitespace-split :func:`normalize_answer`."""
    if not s:
        return []
    return normalize_answer(s).split()


def check_golds(golds: Sequence[str] | str) -> list[str]:
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
    return max(_exact(pred, g) for g in check_golds(golds))


def answer_f1(pred: str, golds: Sequence[str] | str) -> float:
    """Token F1 after normalisation, maximised over the gold answers (official ``AnswerMetric``:
    ``metric_max_over_ground_truths(compute_f1, ...)`` with golds = ``[answer] + answer_aliases``).

    See :func:`_token_f1` for the rule, including the empty-answer case. Raises ``ValueError`` on
    empty golds.
    """
    return max(_token_f1(pred, g) for g in check_golds(golds))
