"""A question as the rule reader (`hopqa.reader`) weighs it: its expected answer type and head noun, keyword groups
weighted by rarity with the words that state the same relation ("place of birth" -> born), the cue words that
introduce an answer ("born in X", "by X"), and how well a candidate span's kind fits it (`type_fit`, `head_match`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import (
    ACTING_VERBS, ADMIN_HEADS, DATE_NOUNS, DEMONYM_HEADS, NUMBER_NOUNS, ORG_NOUNS, QUESTION_STOPWORDS, REGIONS,
    WEAK_QUESTION_WORDS, WORK_NOUNS,
)
from .questions import classify
from .relations import ADMIN_RELATIONS, RELATION_NOUNS, RELATIONS, SYNONYMS, relation_info
from ..text import stem, word_stems


from .spans import Span

# ---------------------------------------------------------------------------------------------------------- question


@dataclass
class QuestionTerms:
    text: str
    atype: str
    head: str | None  # head noun of "which X" / the relation, if any
    group_weights: tuple[float, ...]  # base weight of each keyword group
    stem_group: dict[str, tuple[int, float]]  # stem -> (group, factor: 1 for the word itself, 0.7 for a synonym)
    cue: frozenset[str]  # stems of relation / verb words that introduce the answer ("born in X", "by X")
    cue_of: frozenset[str]  # cue stems that introduce the answer only through "of" ("son of X" for a father)
    q_stems: frozenset[str]  # every stem of the question (for the repetition penalty)
    life: str | None  # "birth" / "death": which side of a "(1901 – 1990)" life span is asked for
    acting: bool  # "who played / voiced / married": a person, not an organisation
    demonym: bool  # "what nationality / language": an adjective of nationality is the answer
    relation: str | None


# A word of a question (letters, digits, apostrophes and hyphens inside): what keyword groups are made of
WORD_RE = re.compile(r"\w[\w'’\-]*")


@lru_cache(maxsize=4096)
def question_stems(text: str) -> set[str]:
    """Every stem of the question's words, demonyms also as their country ("Indian" repeats "India")."""
    out: set[str] = set()
    for w in WORD_RE.findall(text.replace(">>", " ")):
        lw = w.lower()
        out.update(word_stems(lw))
        if lw.endswith("an") and len(lw) > 5:  # "Indian" repeats "India", "Italian" repeats "Italy"
            out.update({stem(lw[:-1]), stem(lw[:-2]), stem(lw[:-3])})
    return out


def parse_question(question: str) -> QuestionTerms:
    atype, head = classify(question)
    # keyword groups: a question word and the words that say the same thing; a group counts once
    groups: list[list] = []  # [base weight, is_cue, {stem: factor}]
    cue_of: set[str] = set()

    def add(words: list[str], weight: float, is_cue: bool = False, expand: bool = True) -> None:
        stems: dict[str, float] = {}
        for n, word in enumerate(words):
            w = word.lower()
            if w.endswith("+of"):  # "son+of": a cue only in "son of X"
                w = w[:-3]
                cue_of.add(stem(w))
            if w.endswith("'s") or w.endswith("’s"):
                w = w[:-2]
            if len(w) < 2 or w in QUESTION_STOPWORDS:
                continue
            f = 1.0 if n == 0 else 0.7
            for st in word_stems(w):
                stems[st] = max(stems.get(st, 0.0), f)
            if expand:
                for syn in SYNONYMS.get(w, "").split():
                    st = stem(syn)
                    stems[st] = max(stems.get(st, 0.0), 0.7 * f)
        if not stems:
            return
        for g in groups:  # a word already asked for: keep the stronger entry
            if set(stems) & set(g[2]):
                g[0] = max(g[0], weight)
                g[1] = g[1] or is_cue
                for st, f in stems.items():
                    g[2][st] = max(g[2].get(st, 0.0), f)
                return
        groups.append([weight, is_cue, stems])

    text = " ".join(question.strip().split())
    relation = None
    if ">>" in text:
        subject, relation = (p.strip() for p in text.split(">>", 1))
        for w in WORD_RE.findall(subject):
            add([w], 1.0, expand=False)
        _, rel_words = relation_info(relation)
        rel_tokens = re.findall(r"[a-z]+", relation.lower())
        add([w for w in rel_tokens if w not in QUESTION_STOPWORDS] + rel_words.split(), 0.8, is_cue=True)
        relation = relation.lower()
    else:
        words = WORD_RE.findall(text)
        caps = {w.lower() for k, w in enumerate(words) if k > 0 and w[0].isupper()}
        for w in words:
            lw = w.lower()
            extra = []
            if lw in RELATION_NOUNS:
                extra = RELATIONS[RELATION_NOUNS[lw]][1].split()
            # lower-case words of the question (verbs, relation nouns) introduce the answer
            generic = lw.endswith("est") or lw[:1].isdigit() or lw in NUMBER_NOUNS or lw in DATE_NOUNS
            add([w] + extra, 0.4 if lw in WEAK_QUESTION_WORDS else 1.0, is_cue=lw not in caps and not generic)
    if head:
        add([head], 0.5, is_cue=True)
    cue = {st for g in groups if g[1] for st in g[2]}
    q_stems = question_stems(text)
    kw = {st for g in groups for st in g[2]}
    life = None
    if kw & {"born", "birth", "birthplac"}:
        life = "birth"
    elif kw & {"die", "death", "di"}:
        life = "death"
    low_words = set(re.findall(r"[a-z]+", text.lower()))
    acting = bool(low_words & ACTING_VERBS)
    demonym = bool(head in DEMONYM_HEADS) or (relation or "") in ("country of citizenship",)
    stem_group: dict[str, tuple[int, float]] = {}
    for gi, g in enumerate(groups):
        for st, f in g[2].items():
            if st not in stem_group or stem_group[st][1] < f:
                stem_group[st] = (gi, f)
    return QuestionTerms(text, atype, head, tuple(g[0] for g in groups), stem_group, frozenset(cue),
                     frozenset(cue_of), frozenset(q_stems), life, acting, demonym, relation)


def type_fit(q: QuestionTerms, s: Span) -> float:
    at = q.atype
    k = s.kind
    if k == "title":
        k = "name"
    if at == "date":
        return {"date": 1.0, "year": 0.9, "number": 0.05}.get(k, 0.0)
    if at == "number":
        return {"number": 1.0, "year": 0.25, "date": 0.05, "np": 0.05}.get(k, 0.0)
    if at == "other":
        return {"np": 0.6, "quote": 0.6, "name": 0.55, "date": 0.35, "year": 0.3, "number": 0.35}.get(k, 0.3)
    if k != "name":
        if at == "entity":
            return {"quote": 0.7, "np": 0.3, "number": 0.1, "date": 0.1, "year": 0.1}.get(k, 0.0)
        return 0.0  # a person or a place is a name
    if s.demonym:
        return 0.95 if q.demonym else (0.5 if at == "entity" else 0.15)
    if at == "person":
        org_w = 0.0 if q.acting else 0.6
        f = 0.45 + 0.9 * s.person + org_w * s.org - 0.5 * s.place - (0.3 * s.org if q.acting else 0.0)
    elif at == "place":
        f = 0.4 + 0.9 * s.place - 0.35 * s.person - 0.25 * s.org
        if q.demonym:
            f -= 0.2
    elif q.head in ORG_NOUNS:  # "which club / company / band"
        f = 0.5 + 0.5 * s.org - 0.35 * s.place
    elif q.head in WORK_NOUNS:  # "which film / novel / album"
        f = 0.65 + 0.2 * (s.kind == "title") - 0.35 * s.person - 0.25 * s.place
    else:  # entity
        f = 0.6 + 0.25 * s.org + 0.1 * s.place
        if q.demonym:
            f -= 0.3
    return max(0.05, min(1.0, f))


def head_match(q: QuestionTerms, s: Span) -> float:
    """Does the span name a thing of the asked category ('which river' -> 'Orange River', 'what state' -> Georgia)?"""
    h = q.head
    if s.kind not in ("name", "title"):
        return 0.0
    if q.relation in ADMIN_RELATIONS:
        # the administrative unit that directly contains the subject: a county or a province, more than a country
        if s.last in ADMIN_HEADS:
            return 1.0
        return -0.5 if s.country else (-0.2 if s.state else 0.0)
    if not h:
        return 0.0
    hs = stem(h)
    if s.last and stem(s.last) == hs:
        return 1.0
    if h in ("country", "nation", "countries"):
        return 1.0 if s.country else (-0.5 if s.state or s.place < 0.5 else -0.2)
    if h in ("state", "states"):
        return 1.0 if s.state else -0.3
    if h in ("city", "town", "village", "place", "birthplace", "hometown", "county"):
        return -0.6 if (s.country or s.state) else 0.0
    if h == "continent":
        return 1.0 if s.text.lower() in REGIONS else -0.3
    return 0.0


__all__ = ["QuestionTerms", "WORD_RE", "head_match", "parse_question", "type_fit"]
