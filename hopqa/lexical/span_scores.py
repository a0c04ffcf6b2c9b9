"""Score the candidate answer spans of the rule-based reader (`hopqa.reader`): one `Occurrence` per span found in
the facts, scored against the question.

`occurrences` splits the facts into sentences and builds the `Scene` every span is scored against: the question's
keywords found in each sentence, each keyword group weighted by its rarity across the sentences, and the relevance of
each sentence and each passage (weighted keyword overlap, the passage title standing in for pronouns). Then each
candidate span of each sentence (and the passage title for a pronoun) is filtered and scored (`W`): fit of its kind
to the expected type and head noun; relevance of its sentence and passage and the fact's own score; keyword density
around it; whether a cue word introduces it; birth/death side of a life span; minus penalties for repeating the
question or an excluded span, for pieces of longer names, asides in parentheses and "container" places. The reader
merges the occurrences and decides (`hopqa.reader._decide`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..config import ReaderConfig
from ..text import span_key, split_sentences, word_stems
from ..types import Fact
from .lexicon import (
    AFTER_LIGHT_WORDS, BROAD_PLACE_HEADS, COUNTRIES, GAZETTEER, LIGHT_WORDS, NAME_CONNECTORS, ORG_HEADS,
    PERSONAL_PRONOUNS, PLACE_HEADS, ROLE_NOUNS, US_STATES,
)
from .question_terms import WORD_RE, QuestionTerms, head_match, type_fit
from .spans import ADJ_SUFFIX, Sentence, Span, analyse


# Feature weights of the span score: set by hand, then checked by coordinate search with 2-fold cross-validation
# over the MuSiQue single-hop reading benchmark (see `hopqa.reader`).
W = {
    "fit": 1.2,
    "mismatch": 1.0,
    "rel": 1.75,
    "prel": 2.0,
    "local": 1.6,
    "best": 0.5,
    "intro": 0.9,
    "title": 0.6,
    "fact": 0.4,
    "head": 1.0,
    "life": 1.2,
    "rep": 1.6,
    "piece": 0.25,
    "paren": 0.1,
    "initial": 0.3,
    "container": 1.0,
    "modifier": 1.1,
    "titled": 0.15,
    "styled": 0.4,
    "long": 0.08,
    "repeat": 0.2,
}


@dataclass
class Occurrence:
    """One occurrence of a candidate span: its text and key, its raw score, and where it is."""

    text: str
    key: str
    raw: float
    passage_id: str
    fact_index: int
    kind: str
    evidence: float  # relevance of its sentence or passage
    cue: float = 0.0  # the structural cue of this occurrence (see Candidate.cue)


def _name_like(title: str) -> bool:
    """A title that names an entity ("Vivien Leigh", "Orange River"), not a topic ("History of science")."""
    ws = title.split()
    if not ws or not ws[0][:1].isupper():
        return False
    return all(w[:1].isupper() or w.lower() in NAME_CONNECTORS or w[:1].isdigit() for w in ws)


def _evidence(rel: float, prel: float) -> float:
    return max(rel, prel)


def _title_span(title: str) -> str:
    t = re.sub(r"\s*\([^)]*\)\s*$", "", title or "").strip()
    return t


def _sentences_of(fact: Fact) -> list[str]:
    text = fact.text.strip()
    if not text:
        return []
    # facts are sentences already; only long texts are split (pysbd is slow and cached by text)
    return split_sentences(text) if len(text) > 400 else [text]


def occurrences(q: QuestionTerms, facts: Sequence[Fact], exclude: Sequence[str], config: ReaderConfig
                ) -> list[Occurrence]:
    """Every scored occurrence of a candidate span in `facts` (none if the facts have no sentences).

    `exclude`: spans that must not be returned; a candidate equal to one of them, or made only of its words, is
    dropped, and one that contains it is penalised."""
    sents = [(fi, analyse(s)) for fi, fact in enumerate(facts) for s in _sentences_of(fact)]
    if not sents:
        return []
    scene = _scene(q, facts, sents, exclude, config)
    return [o for si in range(len(sents)) for o in _sentence_occurrences(scene, si)]



# ------------------------------------------------------------------------------------- the scene of one `read` call


@dataclass
class _Scene:
    """What every span of one `read` call is scored against: the question, the facts split into sentences, the
    keyword hits and weights, the relevance of each sentence and passage, and the spans to exclude."""

    q: QuestionTerms
    facts: Sequence[Fact]
    config: ReaderConfig
    sents: list[tuple[int, Sentence]]  # (fact index, analysed sentence)
    sent_hits: list[list[tuple[int, int, float]]]  # per sentence: (token, keyword group, factor)
    weights: list[float]  # per keyword group
    total: float
    cue_groups: set[int]
    title_groups: list[dict[int, float]]  # per fact: the keyword groups its passage title matches
    fnorm: list[float]  # per fact: its retrieval score scaled to [0, 1]
    rels: list[float]  # per sentence
    best_rel: float
    prels: dict[str, float]  # per passage id
    excl_keys: list[str]
    excl_words: list[set[str]]
    excl_stems: set[str]
    qnorm: str  # the question's span key, padded with spaces


def _scene(q: QuestionTerms, facts: Sequence[Fact], sents: list[tuple[int, Sentence]], exclude: Sequence[str],
           config: ReaderConfig) -> _Scene:
    sent_hits, weights = _keyword_hits(q, sents)
    total = sum(weights) or 1.0
    cue_groups = {g for st, (g, _f) in q.stem_group.items() if st in q.cue}
    title_groups = [_title_groups(q, fact) for fact in facts]

    fscores = [float(f.score) for f in facts]
    lo, hi = min(fscores), max(fscores)
    fnorm = [(s - lo) / (hi - lo) if hi > lo else 0.5 for s in fscores]

    excl_keys = [span_key(e) for e in exclude if e and span_key(e)]
    excl_words = [set(k.split()) for k in excl_keys]
    excl_stems: set[str] = set()
    for e in exclude:
        for w in WORD_RE.findall(e.lower()):
            excl_stems.update(word_stems(w))
    qnorm = f" {span_key(q.text.replace('>>', ' '))} "

    rels, prels = _relevance(facts, sents, sent_hits, title_groups, weights, total)
    return _Scene(q, facts, config, sents, sent_hits, weights, total, cue_groups, title_groups, fnorm, rels,
                  max(rels), prels, excl_keys, excl_words, excl_stems, qnorm)


def _keyword_hits(q: QuestionTerms, sents: list[tuple[int, Sentence]]
                  ) -> tuple[list[list[tuple[int, int, float]]], list[float]]:
    """The question's keywords found in each sentence, and each keyword group's weight: its rarity across them."""
    n = len(sents)
    ng = len(q.group_weights)
    df = [0] * ng
    sent_hits: list[list[tuple[int, int, float]]] = []  # per sentence: (token, group, factor)
    for _fi, se in sents:
        hits = []
        for k, t in enumerate(se.tokens):
            best = None
            for st in t.stems:
                g = q.stem_group.get(st)
                if g is not None and (best is None or g[1] > best[1]):
                    best = g
            if best is not None:
                hits.append((k, best[0], best[1]))
        for g in {h[1] for h in hits}:
            df[g] += 1
        sent_hits.append(hits)
    weights = [w * (0.5 + math.log(1.0 + (n + 1) / (df[g] + 0.5))) for g, w in enumerate(q.group_weights)]
    return sent_hits, weights


def _title_groups(q: QuestionTerms, fact: Fact) -> dict[int, float]:
    """The keyword groups the fact's passage title matches, with their factor."""
    tg: dict[int, float] = {}
    for w in WORD_RE.findall((fact.title or "").lower()):
        for st in word_stems(w):
            g = q.stem_group.get(st)
            if g is not None:
                tg[g[0]] = max(tg.get(g[0], 0.0), g[1])
    return tg


def _relevance(facts: Sequence[Fact], sents: list[tuple[int, Sentence]], sent_hits: list[list[tuple[int, int, float]]],
               title_groups: list[dict[int, float]], weights: list[float], total: float
               ) -> tuple[list[float], dict[str, float]]:
    """Relevance of each sentence and of each passage to the question: the weighted keyword groups they match."""
    # sentence relevance: matched keyword groups (the passage title stands in for pronouns)
    rels: list[float] = []
    for si, (fi, se) in enumerate(sents):
        got: dict[int, float] = {}
        for _k, g, f in sent_hits[si]:
            got[g] = max(got.get(g, 0.0), f)
        score = sum(weights[g] * f for g, f in got.items())
        score += 0.6 * sum(weights[g] * f for g, f in title_groups[fi].items() if g not in got)
        rels.append(min(1.0, score / total))
    # passage relevance: the keyword groups matched anywhere in a passage's facts or its title
    pgot: dict[str, dict[int, float]] = {}
    for si, (fi, se) in enumerate(sents):
        got = pgot.setdefault(facts[fi].passage_id, {})
        for _k, g, f in sent_hits[si]:
            got[g] = max(got.get(g, 0.0), f)
        for g, f in title_groups[fi].items():
            got[g] = max(got.get(g, 0.0), f)
    prels = {pid: min(1.0, sum(weights[g] * f for g, f in got.items()) / total) for pid, got in pgot.items()}
    return rels, prels


# ------------------------------------------------------------------------------------------ candidates and scores


def _sentence_occurrences(scene: _Scene, si: int) -> list[Occurrence]:
    """The scored candidate spans of sentence `si` (its own spans, then the passage title for each pronoun)."""
    fi, se = scene.sents[si]
    title = _title_span(scene.facts[fi].title)
    spans = list(se.spans) + _pronoun_title_spans(se, title)
    occs = []
    for sp in spans:
        o = _score_span(scene, si, sp, title)
        if o is not None:
            occs.append(o)
    return occs


def _pronoun_title_spans(se: Sentence, title: str) -> list[Span]:
    """"She won ..." in the passage "Vivien Leigh": the pronoun stands for the title (if the title names an entity
    and a personal pronoun does not stand for a place or an organisation)."""
    spans: list[Span] = []
    if not _name_like(title):
        return spans
    toks = se.tokens
    for p in se.pronouns:
        tw = title.lower().split()
        personal = toks[p].low in PERSONAL_PRONOUNS
        placeish = title.lower() in GAZETTEER or tw[-1] in PLACE_HEADS
        orgish = tw[-1] in ORG_HEADS
        if not (personal and (placeish or orgish)):
            ts = Span(title, p, p + 1, "title")
            ts.place = 0.9 if placeish else 0.1
            ts.org = 0.8 if orgish else 0.0
            ts.person = 0.9 if personal else 0.1
            ts.country = title.lower() in COUNTRIES
            ts.state = title.lower() in US_STATES
            ts.last = tw[-1]
            spans.append(ts)
    return spans


def _score_span(scene: _Scene, si: int, sp: Span, title: str) -> Occurrence | None:
    """The scored occurrence of span `sp` of sentence `si` (weights in `W`), or None when it cannot be the answer:
    too long, part of the question, excluded, of the wrong type, or only the question's words again."""
    q = scene.q
    fi, _se = scene.sents[si]
    fact = scene.facts[fi]
    rel = scene.rels[si]
    text = sp.text
    nwords = len(text.split())
    if not text or nwords > scene.config.max_answer_words:
        return None
    key = span_key(text)
    if not key or f" {key} " in scene.qnorm:
        return None
    kwords = key.split()
    if any(key == e or set(kwords) <= ew for e, ew in zip(scene.excl_keys, scene.excl_words)):
        return None
    fit = type_fit(q, sp)
    if fit <= 0.0:
        return None
    repetition = _repetition(scene, sp, key, kwords)
    if repetition is None:
        return None
    rep, new_name = repetition
    local, intro, cue = _cues(scene, si, sp)
    title_m = 0.0
    if sp.kind == "name" and title:
        tn = span_key(title)
        if key == tn or (len(key) > 3 and tn.startswith(key + " ")):
            title_m = 1.0
    life = 0.0
    if q.life and sp.life and q.atype in ("place", "date"):
        life = 1.0 if sp.life == q.life else -1.0
    modifier = sp.modifier and not (q.demonym and sp.demonym)
    container = sp.container and q.atype == "place" and q.head not in BROAD_PLACE_HEADS \
        and (q.relation or "") not in ("country", "country of citizenship", "country of origin")
    prel = scene.prels[fact.passage_id]
    raw = (
        W["fit"] * fit
        - W["mismatch"] * (fit < 0.25)
        + W["rel"] * rel
        + W["prel"] * prel
        + W["local"] * local
        + W["best"] * (rel >= scene.best_rel - 1e-9)
        + W["intro"] * intro
        + W["title"] * title_m * min(1.0, 2.0 * rel)
        + W["fact"] * scene.fnorm[fi]
        + W["head"] * head_match(q, sp)
        + W["life"] * life
        - W["rep"] * (rep * rep if new_name else rep)
        - W["piece"] * sp.piece
        - W["paren"] * sp.paren
        - W["initial"] * sp.initial
        - W["container"] * container
        - W["modifier"] * modifier
        - W["titled"] * sp.titled
        - W["styled"] * sp.styled
        - W["long"] * max(0, nwords - 4)
    )
    return Occurrence(text, key, raw, fact.passage_id, fi, sp.kind, _evidence(rel, prel), cue)


def _repetition(scene: _Scene, sp: Span, key: str, kwords: list[str]) -> tuple[float, bool] | None:
    """How much of the span repeats the question's (or an excluded span's) words, category words aside, and whether
    it is a new name; None when it is nothing but repetition (a date or number aside)."""
    q = scene.q
    sst = [word_stems(w)[0] for w in kwords]
    core = [st for st, w in zip(sst, kwords) if w not in PLACE_HEADS and w not in ORG_HEADS
            and w not in ("of", "and", "de", "the")]
    base = core or sst
    repeated = [x in q.q_stems or x in scene.excl_stems for x in base]
    rep = sum(repeated) / len(base) if base else 0.0
    # a new first word makes a new name ("Steve Irwin" for "Bindi Irwin >> father"): a milder penalty than a
    # repeated one ("Scarlett O'Hara" for "who played scarlett")
    new_name = len(base) >= 2 and not repeated[0]
    if rep >= 1.0 and sp.kind not in ("date", "year", "number"):
        return None
    if any(f" {e} " in f" {key} " for e in scene.excl_keys):
        rep = max(rep, 0.6)
    return rep, new_name


def _cues(scene: _Scene, si: int, sp: Span) -> tuple[float, float, float]:
    """(local, intro, cue) of span `sp` in sentence `si`: the keyword density around it (a clause boundary counts as
    distance), how strongly a cue word introduces it ("born in X", "X became"), and the structural cue (agent "by X",
    "X as Role", "Role (X)", "X's work") that states a relation without its word there: for verification only."""
    q = scene.q
    _fi, se = scene.sents[si]
    toks, clause, rel, hits = se.tokens, se.clause, scene.rels[si], scene.sent_hits[si]
    span_i, span_j = sp.i, (sp.j if sp.kind != "title" else sp.i + 1)
    span_j = min(span_j, len(toks))
    local_by: dict[int, float] = {}
    intro = 0.0
    cue = 0.0
    agent = float(q.atype in ("person", "entity") and sp.kind in ("name", "title"))
    for k, g, f in hits:
        if span_i <= k < span_j:
            continue
        if k < span_i:
            d = span_i - k
            d += 2 * abs(clause[span_i] - clause[k]) if span_i < len(clause) else 0
        else:
            d = k - span_j + 1
            d += 2 * abs(clause[k] - clause[span_j - 1]) if span_j >= 1 else 0
        v = scene.weights[g] * f / (1.0 + 0.35 * (d - 1))
        if v > local_by.get(g, 0.0):
            local_by[g] = v
        if k < span_i and span_i - k <= 4 and g in scene.cue_groups:
            intro = max(intro, _intro_before(q, toks, k, span_i))
        elif k >= span_j and k - span_j <= 3 and (sp.kind != "title" or q.acting):
            after_intro, after_cue = _cue_after(q, sp, toks, k, span_j, g in scene.cue_groups, agent)
            intro = max(intro, after_intro)
            cue = max(cue, after_cue)
    local = min(1.0, sum(local_by.values()) / scene.total) if local_by else 0.0
    if q.acting and sp.paren and span_i >= 2 and toks[span_i - 1].text == "(" \
            and any(k == span_i - 2 for k, _g, _f in hits):
        intro = max(intro, 0.9)  # "Leslie Knope (Amy Poehler)": the actor after the role
        cue = max(cue, 0.9 * agent)
    if q.atype in ("person", "entity") and span_i > 0 and toks[span_i - 1].low == "by" and rel > 0:
        intro = max(intro, 0.5)
        cue = max(cue, 0.5)
    # the agent of a work, named after its role ("by American writer Raymond Carver", "by saxophone player
    # Dave Koz"): a cue for verification only, not a scoring term
    if q.atype in ("person", "entity") and rel > 0 and span_i >= 2 and toks[span_i - 1].low in ROLE_NOUNS:
        b = next((x for x in range(span_i - 2, max(-1, span_i - 5), -1) if toks[x].low == "by"), None)
        if b is not None and all(toks[x].word for x in range(b + 1, span_i)):
            cue = max(cue, 0.5)
    return local, intro, cue


def _intro_before(q: QuestionTerms, toks: Sequence[Any], k: int, span_i: int) -> float:
    """How strongly the cue keyword at token `k`, up to four tokens before the span, introduces it ("born in X",
    "written by X"): only light words, role nouns, punctuation or adjectives between; 0 if it does not."""
    between = range(k + 1, span_i)
    if q.cue_of and set(toks[k].stems) & q.cue_of and not any(toks[x].low == "of" for x in between):
        return 0.0
    if all(toks[x].low in LIGHT_WORDS or toks[x].low in ROLE_NOUNS or not toks[x].word and
           toks[x].text not in ".;:" or ADJ_SUFFIX.search(toks[x].low) for x in between):
        return 1.0 - 0.12 * len(between)
    return 0.0


def _cue_after(q: QuestionTerms, sp: Span, toks: Sequence[Any], k: int, span_j: int, is_cue: bool,
               agent: float) -> tuple[float, float]:
    """(intro, cue) of a keyword at token `k`, up to three tokens after the span: "Colin Firth plays ...", "Lana
    Wood, the sister of ...", "Colin Firth as King George VI", "Avicenna's The Canon of Medicine"; 0 if none."""
    between = [toks[x].low for x in range(span_j, k)]
    if is_cue and not toks[k].cap and "," not in between \
            and all(b in LIGHT_WORDS or b in AFTER_LIGHT_WORDS for b in between):
        return (0.85 if not between else 0.7), 0.0  # "Colin Firth plays ..."
    if is_cue and between[:1] == [","] and len(between) == 2 \
            and between[1] in ("the", "a", "an", "his", "her", "their", "its"):
        return 0.8, 0.0  # "Lana Wood, the sister of Natalie Wood"
    if "as" in between[:2] and q.acting:
        return 0.8, 0.8 * agent  # "Colin Firth as King George VI", "her role as Scarlett"
    if sp.poss and not between:
        return 0.7, 0.7 * agent  # "Avicenna's The Canon of Medicine"
    if sp.poss and between == ["the"]:
        return 0.7, 0.7 * agent
    return 0.0, 0.0
