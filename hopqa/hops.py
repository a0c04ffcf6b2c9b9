"""The condensed retrieval hop, in the spirit of Baleen: retrieve, condense the passages read into a few facts, and
build the next hop's query from the question plus what the facts add (the bridge entities).

Units, each small: `Retriever` (hybrid search, optionally restricted to a question's own paragraphs),
`Condenser` (sentence scoring against the question and the current sub-goal), `bridge_entities` and `next_query`;
`HopRunner` puts them together into the one hop the machine's SEARCH state calls (`hopqa.fsm.run`).
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from .config import HopConfig, RetrievalConfig
from .index import HybridIndex, Mode, bm25_tokenize
from .lexical.lexicon import (COMMON_WORDS, COUNT_NOUNS, DATE_NOUNS, GENERIC_HEADS, NAME_JOINERS, QUESTION_STOPWORDS,
                              RELATION_FILLER)
from .lexical.morphology import IRREGULAR_VERBS
from .lexical.questions import classify
from .lexical.relations import RELATION_NOUNS, RELATIONS, SYNONYMS, relation_info
from .text import split_sentences, words
from .types import Fact, Hit, HopTrace

if TYPE_CHECKING:
    from .fsm import Context

# A capitalised name, allowing lower-case joiners inside it ("University of Velmora", "Lorenzo Costa the Elder").
# The same with whole-word joiners ("Who did ..." is not "Who di").
_NAME = _SUBJECT_NAME = re.compile(r"\b[A-Z0-9][\w'’\-]*(?:\s+(?:(?:of|the|de|da|di|del|von|van|der|le|la|and|&)\b|[A-Z0-9][\w'’\-]*))*")


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
        return frozenset(t for t in self.stems(text) if t in self._vocab)

    @lru_cache(maxsize=200_000)
    def stems(self, text: str) -> frozenset[str]:
        """`terms` without the vocabulary filter: a word no passage uses is still a word of the question."""
        bases = " ".join(IRREGULAR_VERBS[w] for w in words(text) if w in IRREGULAR_VERBS)
        return frozenset(bm25_tokenize([f"{text} {bases}" if bases else text], return_ids=False)[0])

    @lru_cache(maxsize=20_000)
    def goal_terms(self, goal: str) -> frozenset[str]:
        """The goal's terms plus the words that state its relation in running text (the reader's table:
        "husband" -> "married", "spouse" -> "married wife husband", "born" -> "birth birthplace native")."""
        extra = " ".join(SYNONYMS[w] for w in words(goal) if w in SYNONYMS)
        return self.terms(goal) | self.terms(extra) if extra else self.terms(goal)

    def idf(self, term: str) -> float:
        df = int(self._df[self._vocab[term]]) if term in self._vocab else 0
        return math.log((self._n + 1) / (df + 0.5))

    def overlap(self, sentence: str, goal_terms: frozenset[str]) -> float:
        return sum(self.idf(t) for t in self.terms(sentence) & goal_terms)

    def relation_terms(self, question: str, subjects: Sequence[str] = (), title: str = "",
                       described: Sequence[str] = ()) -> frozenset[str]:
        """What a single-hop question asks of its subject, as terms: its content terms with the words that state its
        relation in running text (the reader's tables: "husband" -> married wife spouse ..., "father" -> son
        daughter, "cast member" -> starring actor ...), minus the terms of the subject and of the passage title.
        "Where was Gustav Lenn born?" -> born, birth, birthplace, native; "Gustav Lenn >> place of birth" the same.
        `described`: words that describe the subject rather than ask about it ("first director" in "Where was the
        first director of X born?") are not relation terms either."""
        rel_words: list[str] = []
        if ">>" in question:
            subject, question = (p.strip() for p in question.split(">>", 1))
            subjects = [*subjects, subject]
            rel_words.append(relation_info(question)[1])
        ws = words(question)
        joined = f" {' '.join(ws)} "
        rel_words += [r for phrase, (_t, r) in RELATIONS.items() if " " in phrase and f" {phrase} " in joined]
        rel_words += [RELATIONS[RELATION_NOUNS[w]][1] for w in ws if w in RELATION_NOUNS]
        content = " ".join(w for w in ws if w not in QUESTION_STOPWORDS and w not in RELATION_FILLER)
        rel_words += [SYNONYMS[w] for w in words(content) if w in SYNONYMS]
        # Not limited to the index vocabulary: a relation no passage words ("buried") is stated by no fact.
        goal = self.stems(content) | self.stems(" ".join(rel_words).replace("+of", ""))
        drop = self.stems(title) if title else frozenset()
        for s in [*subjects, *described]:
            drop |= self.stems(s)
        return goal - drop

    def type_terms(self, question: str) -> frozenset[str]:
        """The terms of the question's answer-type head noun ("Which *river* flows ...", "What *team* was X on?", "In
        what *year* ..."): they name the kind of answer (the reader checks that), not the relation."""
        atype, head = classify(question)
        if atype == "number":  # "capacity", "population", "length" are what is asked; "number", "percentage" are not
            return self.stems(" ".join(w for w in words(question) if w in COUNT_NOUNS))
        kind = [w for w in words(question) if atype == "date" and w in DATE_NOUNS]
        return self.stems(" ".join([head or "", *kind]))

    def subject_share(self, text: str, subjects: Sequence[str]) -> float:
        """How much of a subject `text` names, by idf weight; naming its rarest term counts as half at least
        ("Pyrrhus" for "Pyrrhus of Epirus"). The best of several subjects; 1.0 with none."""
        have = self.terms(text)
        best = None
        for s in _with_heads(subjects):
            ts = self.terms(s)
            if not ts:
                continue
            share = sum(self.idf(t) for t in ts & have) / (sum(self.idf(t) for t in ts) or 1.0)
            if max(ts, key=lambda t: (self.idf(t), t)) in have:
                share = max(share, SUBJECT_SHARE)
            best = share if best is None else max(best, share)
        return 1.0 if best is None else best

    def verify(self, question: str, fact: Fact, subjects: Sequence[str] = (), cue: float = 0.0,
               described: Sequence[str] = ()) -> "Verdict":
        """Does `fact` state what the single-hop `question` asks of its subject? Two conditions, both lexical:

        - relation: the sentence contains at least one relation term of the question (`relation_terms`), or the
          reader found the answer there in a construction that states a relation without its word (`cue`,
          `Candidate.cue`: "album by saxophone player X", "X as Role", "Role (X)"); an answer of the right type
          from a sentence that says something else ("Lenn died in Arvenhal" for "Where was Gustav Lenn born?") is
          not an answer;
        - subject: the sentence, or its passage's title (which stands in for "He", "It"), names at least half of the
          subject by idf weight ("It opened in 1908" in the passage "Sarne Meadow" says nothing about the Dockyard).

        A question whose only relation term is its answer-type noun ("What team was X on?"), or that has none (or no
        subject), leaves that condition to the reader's answer typing."""
        rel = self.relation_terms(question, subjects, fact.title, described)
        stated = rel & self.terms(fact.text)
        share = self.subject_share(f"{fact.title} {fact.text}", subjects)
        if rel - self.type_terms(question) and not stated and cue < CUE:
            return Verdict(False, "the fact does not state the asked relation", rel, stated, share)
        if share < SUBJECT_SHARE:
            return Verdict(False, "the fact is not about the subject", rel, stated, share)
        return Verdict(True, "the fact states the asked relation of the subject", rel, stated, share)

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


#: share of the subject's idf weight that a supporting fact (sentence + title) must name
SUBJECT_SHARE = 0.5
#: a reader cue this strong states the relation even without a relation term ("by X", "Role (X)", "X as Role")
CUE = 0.5


@dataclass(frozen=True)
class Verdict:
    """`Condenser.verify`'s answer: supported or not, why, and the terms it looked at."""

    supported: bool
    reason: str
    relation: frozenset[str] = frozenset()  # the relation terms asked for
    stated: frozenset[str] = frozenset()  # those the fact states
    subject: float = 1.0  # share of the subject (idf weight) named by the fact or its title

    def to_dict(self) -> dict:
        return {"supported": self.supported, "reason": self.reason, "relation": sorted(self.relation),
                "stated": sorted(self.stated), "subject": round(self.subject, 3)}


def _with_heads(subjects: Sequence[str]) -> list[str]:
    """Subjects plus the head of an "X of Y" name when X is a name of its own ("Pyrrhus" of "Pyrrhus of Epirus"; not
    "University" of "University of Arvenhal" or "Queen" of "Queen of England")."""
    out = list(subjects)
    for s in subjects:
        head = re.split(r"\s+of\s+", s, maxsplit=1)[0]
        if head != s and not any(w.lower() in GENERIC_HEADS or w.lower() in COMMON_WORDS for w in head.split()):
            out.append(head)
    return out


def subject_names(question: str) -> list[str]:
    """The names a question is about: its capitalised phrases without a leading wh-word or article
    ("Who is the director of The Quiet Ferry?" -> ["Quiet Ferry"])."""
    out: list[str] = []
    for m in _SUBJECT_NAME.finditer(question):
        ws = re.sub(r"['’]s$", "", m.group(0).strip(" '’-")).split()
        while ws and ws[0].lower() in COMMON_WORDS:
            ws = ws[1:]
        while ws and ws[-1].lower() in NAME_JOINERS | {"&"}:
            ws = ws[:-1]
        name = " ".join(ws)
        if name and any(c.isupper() for c in name) and name not in out:  # "2nd", "1994" are not names
            out.append(name)
    return out


def bridge_entities(facts: Sequence[Fact], question: str, limit: int = 4) -> list[str]:
    """Names in the facts that the question does not already contain: the candidates for the next hop's subject."""
    qwords = set(words(question))
    out: list[str] = []
    for f in facts:
        for m in _NAME.finditer(f.text):
            name = m.group(0).strip(" '’-")
            ws = [w for w in words(name) if w not in NAME_JOINERS]
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


__all__ = ["Retriever", "Condenser", "Verdict", "subject_names", "bridge_entities", "next_query", "interleave", "HopConfig"]


@dataclass
class HopRunner:
    """One condensed retrieval hop, the unit the machine calls in SEARCH: build the hop's query, retrieve passages not
    read yet, condense the best into facts. It holds the tools (a retriever restricted to the question's passages, if
    any, and the condenser); what the hops found is the question's state, kept in `Context`."""

    retriever: Retriever
    condenser: Condenser
    config: HopConfig

    def query(self, ctx: Context, sub_question: str | None) -> str:
        """The next hop's query, the same for every policy: a reformulated query if one is pending; else the
        sub-question (plus the newest facts' bridge entities while it still has an unresolved #k); else the question
        (plus those bridge entities after the first hop)."""
        from .decompose import references

        h = self.config
        newest = ctx.hops[-1].facts[: h.query_facts] if ctx.hops else []
        if ctx.pending_query:
            query, ctx.pending_query = ctx.pending_query, None
            return query
        if sub_question is not None:
            return next_query(sub_question, newest, limit=h.query_entities) if references(sub_question) else sub_question
        if not ctx.hops:
            return ctx.question
        return next_query(ctx.question, newest, limit=h.query_entities)

    def __call__(self, ctx: Context, query: str, *, sub_question: str | None) -> HopTrace:
        """Run one hop for `ctx`: retrieve unread passages, condense those read into facts against the sub-question
        (else the question), add the new facts to the kept ones (the best `max_facts`), record the hop's trace."""
        t0 = time.perf_counter()
        h = self.config
        hop_no = len(ctx.hops) + 1
        hits = self.retriever.search(query, max(h.k, h.final_k), exclude=ctx.read_rows, hop=hop_no)
        read = hits[: h.read]
        facts = self.condenser.condense(read, sub_question or ctx.question, hop=hop_no,
                                        per_passage=h.facts_per_passage, limit=h.facts_per_hop)
        known = {(f.passage_id, f.text) for f in ctx.facts}
        new = [f for f in facts if (f.passage_id, f.text) not in known]
        ctx.facts.extend(new)
        if len(ctx.facts) > h.max_facts:
            ctx.facts = sorted(ctx.facts, key=lambda f: -f.score)[: h.max_facts]
        ctx.read_rows.update(x.row for x in read)
        ctx.new_facts_last_hop = len(new)
        trace = HopTrace(hop_no, "SEARCH", sub_question, query, hits, facts, seconds=time.perf_counter() - t0)
        ctx.hops.append(trace)
        return trace
