"""The condensed retrieval hop, in the spirit of Baleen: retrieve, condense the passages read into a few facts, and
build the next hop's query from the question plus what the facts add (the bridge entities).

Units, each small: `Retriever` (hybrid search, optionally restricted to a question's own paragraphs),
`Condenser` (sentence scoring against the question and the current sub-goal), `bridge_entities` and `next_query`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from .config import HopConfig, RetrievalConfig
from .decompose import _IRREGULAR as _IRREGULAR_VERBS  # "held" -> "hold", "wrote" -> "write", ...
from .index import HybridIndex, Mode, bm25_tokenize
from .reader import _SYNONYMS as _RELATION_WORDS  # "husband" -> "married", "headquarters" -> "headquartered based"
from .text import split_sentences, words
from .types import Fact, Hit

# A capitalised name, allowing lower-case joiners inside it ("University of Velmora", "Lorenzo Costa the Elder").
_NAME = re.compile(r"\b[A-Z0-9][\w'’\-]*(?:\s+(?:of|the|de|da|di|del|von|van|der|le|la|and|&|[A-Z0-9][\w'’\-]*))*")
_JOINERS = {"the", "of", "and", "de", "da", "di", "del", "von", "van", "der", "le", "la"}


@dataclass
class Retriever:
    """Hybrid search over an index; `allowed` restricts it to some rows (the distractor setting)."""

    index: HybridIndex
    config: RetrievalConfig = RetrievalConfig()
    allowed: np.ndarray | None = None
    mode: Mode | None = None  # default: config.mode

    def search(self, query: str, k: int, exclude: Iterable[int] = (), hop: int = 0) -> list[Hit]:
        return self.index.search(query, k, retrieval=self.config, mode=self.mode or self.config.mode, allowed=self.allowed,
                                 exclude=exclude, hop=hop)


class Condenser:
    """Keeps the sentences of the passages read that best match the question and the current sub-goal.

    A sentence's score is the IDF-weighted overlap of its (stemmed) terms with the goal's, using the document
    frequencies of the index's own BM25 vocabulary, plus a small bonus for a passage's first sentence (it usually
    defines the title entity) and the passage's retrieval rank.
    """

    def __init__(self, index: HybridIndex):
        self.index = index
        indptr = np.asarray(index.bm25.scores["indptr"])
        self._df = np.diff(indptr)
        self._n = max(1, len(index))
        self._vocab = index.bm25.vocab_dict

    @lru_cache(maxsize=200_000)
    def terms(self, text: str) -> frozenset[str]:
        """Stemmed terms in the index vocabulary; an irregular verb form also gives its base ("held" -> "hold"),
        which the stemmer alone cannot do, so "Which museum holds X?" meets "X is held by ..."."""
        bases = " ".join(_IRREGULAR_VERBS[w] for w in words(text) if w in _IRREGULAR_VERBS)
        return frozenset(t for t in bm25_tokenize([f"{text} {bases}" if bases else text], return_ids=False)[0]
                         if t in self._vocab)

    @lru_cache(maxsize=20_000)
    def goal_terms(self, goal: str) -> frozenset[str]:
        """The goal's terms plus the words that state its relation in running text (the reader's table:
        "husband" -> "married", "spouse" -> "married wife husband", "born" -> "birth birthplace native")."""
        extra = " ".join(_RELATION_WORDS[w] for w in words(goal) if w in _RELATION_WORDS)
        return self.terms(goal) | self.terms(extra) if extra else self.terms(goal)

    def idf(self, term: str) -> float:
        df = int(self._df[self._vocab[term]]) if term in self._vocab else 0
        return math.log((self._n + 1) / (df + 0.5))

    def overlap(self, sentence: str, goal_terms: frozenset[str]) -> float:
        return sum(self.idf(t) for t in self.terms(sentence) & goal_terms)

    def condense(self, hits: Sequence[Hit], goal: str, *, hop: int, per_passage: int = 1,
                 limit: int = 3) -> list[Fact]:
        goal_terms = self.goal_terms(goal)
        facts: list[Fact] = []
        for rank, h in enumerate(hits):
            sents = split_sentences(h.text) or [h.text]
            # The passage is about its title entity: what singles out a sentence is the rest of the goal (the
            # relation: "born", "founded", ...). Title words count a quarter, so "Born in X" beats "Marrow died".
            title_terms = self.terms(h.title) & goal_terms
            rel_terms = goal_terms - title_terms
            scored = []
            for i, s in enumerate(sents):
                score = (self.overlap(s, rel_terms) + 0.25 * self.overlap(s, title_terms)
                         + (0.5 if i == 0 else 0.0))
                scored.append((score / (1.0 + 0.15 * rank), i, s))
            scored.sort(key=lambda x: (-x[0], x[1]))
            for score, _, s in scored[:per_passage]:
                facts.append(Fact(s, h.id, h.title, round(float(score), 4), hop))
        facts.sort(key=lambda f: -f.score)
        return facts[:limit]


def bridge_entities(facts: Sequence[Fact], question: str, limit: int = 4) -> list[str]:
    """Names in the facts that the question does not already contain: the candidates for the next hop's subject."""
    qwords = set(words(question))
    out: list[str] = []
    for f in facts:
        for m in _NAME.finditer(f.text):
            name = m.group(0).strip(" '’-")
            ws = [w for w in words(name) if w not in _JOINERS]
            if ws and not all(w in qwords for w in ws) and name not in out:
                out.append(name)
    return out[:limit]


def next_query(question: str, facts: Sequence[Fact], sub_question: str | None = None, limit: int = 4) -> str:
    """The next hop's query: the goal (pending sub-question, else the question) plus the bridge entities."""
    goal = sub_question or question
    ents = bridge_entities(facts, goal, limit)
    return " ".join([goal, *ents]).strip()


def interleave(rankings: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """Round-robin merge of per-hop rankings, first occurrence wins: rank 1 of every hop, then rank 2, ..."""
    out: list[Hit] = []
    seen: set[str] = set()
    depth = max((len(r) for r in rankings), default=0)
    for i in range(depth):
        for r in rankings:
            if i < len(r) and r[i].id not in seen:
                seen.add(r[i].id)
                out.append(r[i])
                if len(out) >= k:
                    return out
    return out


__all__ = ["Retriever", "Condenser", "bridge_entities", "next_query", "interleave", "HopConfig"]
