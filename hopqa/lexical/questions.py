"""What a question asks for: its expected answer type (person, date, place, number, entity, other) and head noun,
from the wh-word, the category noun after it ("which *river*") or the relation of a "subject >> relation" step.
The reader types its candidates with it; the hop's verification uses the head noun.
"""
from __future__ import annotations

import re

from .lexicon import (DATE_NOUNS, ENTITY_NOUNS, FINITE_AUXILIARIES, HEAD_SKIP_WORDS, NUMBER_NOUNS, PERSON_NOUNS,
                      PLACE_NOUNS)
from .relations import relation_info


def category(word: str) -> str | None:
    """The answer type a category noun asks for ("river" -> place, "years" -> date), or None."""
    w = word
    for cand in (w, w[:-1] if w.endswith("s") else w, w[:-2] if w.endswith("es") else w):
        if cand in NUMBER_NOUNS:
            return "number"
        if cand in DATE_NOUNS:
            return "date"
        if cand in PLACE_NOUNS:
            return "place"
        if cand in PERSON_NOUNS:
            return "person"
        if cand in ENTITY_NOUNS:
            return "entity"
    return None


def _head_after(tokens: list[str], i: int) -> tuple[str | None, bool]:
    """The category noun after the wh-word at tokens[i] ('which river', 'what is the name of the state where'),
    and whether the wh-word was followed by a copula ('what is ...')."""
    j = i + 1
    copula = j < len(tokens) and tokens[j] in ("is", "was", "are", "were")
    if j < len(tokens) and tokens[j] in FINITE_AUXILIARIES:
        if not copula:
            return None, False
        j += 1
    for k in range(j, min(len(tokens), j + 7)):
        w = tokens[k]
        if w in HEAD_SKIP_WORDS:
            continue
        if category(w):
            return w, copula
        if w in FINITE_AUXILIARIES or w in ("who", "that", "which", "where", "when", "in", "on", "at", "by", "for", "with", "to"):
            return None, copula
        if not copula and k <= j + 1:
            # an unknown noun right after which/what is the head ("which interpretation"), unless an adjective of
            # a category noun ("which european country")
            nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
            if category(nxt):
                continue
            return w, copula
    return None, copula


def classify(question: str) -> tuple[str, str | None]:
    """(answer type, head noun) of a question: the type from the wh-word and the head noun ("which *river*",
    "how many *people*"), or from the relation of a "subject >> relation" step."""
    q = question.strip()
    if ">>" in q:
        _, rel = q.split(">>", 1)
        t, _ = relation_info(rel)
        ws = re.findall(r"[a-z]+", rel.lower())
        head = next((w for w in reversed(ws) if category(w)), None)
        return t, head
    low = q.lower()
    toks = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", low.replace("'s", " 's"))
    if re.search(r"\bhow (many|much|old|long|far|tall|high|big|large|deep|wide|often)\b", low):
        m = re.search(r"\bhow (?:many|much) ([a-z]+)", low)
        return "number", (m.group(1) if m else None)
    if re.search(r"\b(what|which) (percentage|percent|proportion|number|amount|fraction|share)\b", low):
        return "number", None
    # the first wh-word decides ("where did X live when he died" asks where)
    m = re.search(r"\b(who|whom|whose|when|where|which|what|why)\b", low)
    if m is None:
        # "monarch at the end of world war 2": a noun phrase naming the category
        for w in toks[:3]:
            c = category(w)
            if c:
                return c, w
        return "other", None
    wh = m.group(1)
    if wh == "when":
        return "date", None
    if wh == "where":
        return "place", None
    if wh == "why":
        return "other", None
    if wh in ("which", "what"):
        if re.match(r"(what|which) (year|date|century|decade|month|day|time|period|era)\b", low[m.start():]):
            return "date", None
        idx = next((k for k, w in enumerate(toks) if w == wh), 0)
        head, copula = _head_after(toks, idx)
        c = category(head) if head else None
        if c:
            return c, head
        if head:
            return "entity", head
        if copula:
            for w in toks:
                if w in NUMBER_NOUNS:
                    return "number", w
            return "entity", None
        # "what did X win a tony for" / "what caused ..."
        return "other", None
    # who / whom / whose
    return "person", None


def answer_type(question: str) -> str:
    """The expected answer type of a question: person, date, place, number, entity or other."""
    return classify(question)[0]
