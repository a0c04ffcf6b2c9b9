"""Tokens of a question for the decomposer: words, numbers, `#k` references, possessive markers and punctuation,
with runs of capitalised words (and the "of", "the", "'s", ":" between them) merged into single entity tokens, so that
titles such as "Allegory of Isabella d'Este's Coronation" are never split; and the word-class tests the grammar asks
of a token in its context (finite verb, participle, adverb, superlative, head word of a noun phrase, ...)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..lexical.lexicon import (
    ADVERBS, BE_FORMS, DETERMINERS, DO_FORMS, FINITE_AUXILIARIES, FIRST_WORD_COMMON, HAVE_FORMS, MODALS, NON_HEADS,
    POSSESSIVE_PRONOUNS, PREPOSITIONS, QUESTION_CONNECTORS, WH_WORDS,
)
from ..lexical.morphology import (
    BASE_VERBS, ED_NON_VERBS, EST_NON_SUPERLATIVES, ING_NOUNS, IRREGULAR_VERBS, LY_NOUNS, NOT_FINITE_IRREGULAR,
    PARTICIPLE_ONLY, S_VERBS, SUPERLATIVES, lemma,
)

__all__ = ["Tok", "tokenize", "Tokens"]


_TOKEN_RE = re.compile(
    r"""(?P<quote>"[^"]{1,80}"|“[^”]{1,80}”)
      | (?P<ref>\#\d+)
      | (?P<poss>['’][sS]\b|(?<=[sS])['’](?=\s|$|[,?]))
      | (?P<word>(?:[^\W_]|[&])(?:[^\W_]|[-/&]|['’](?![sS]\b)(?=[^\W_])|\.(?=[^\W_]))*)
      | (?P<punct>\S)""",
    re.X,
)


@dataclass
class Tok:
    text: str
    kind: str  # word | ent | num | ref | poss | punct
    start: int
    end: int
    lo: str = ""
    cap: bool = False

    def __post_init__(self) -> None:
        self.lo = self.text.lower()


_PARTICLE_NAME = re.compile(r"^(?:[a-z]{1,3}['’-])+[A-Z]")


def tokenize(question: str) -> list[Tok]:
    raw: list[Tok] = []
    for m in _TOKEN_RE.finditer(question):
        kind = m.lastgroup or "punct"
        text = m.group(0)
        tok = Tok(text, "ent" if kind == "quote" else kind, m.start(), m.end())
        if kind == "word":
            if text[0].isdigit():
                tok.kind = "num"
            else:
                tok.cap = text[0].isupper() or bool(_PARTICLE_NAME.match(text))
        raw.append(tok)
    # initials: "P" "." -> "P."
    merged: list[Tok] = []
    for tok in raw:
        if (tok.text == "." and merged and merged[-1].kind == "word" and merged[-1].cap
                and merged[-1].end == tok.start and (len(merged[-1].text) == 1 or "." in merged[-1].text)):
            prev = merged[-1]
            merged[-1] = Tok(prev.text + ".", "word", prev.start, tok.end)
            merged[-1].cap = True
            continue
        merged.append(tok)
    if merged and merged[0].kind == "word" and merged[0].lo in FIRST_WORD_COMMON:
        merged[0].cap = False
    for i, tok in enumerate(merged):
        # a capitalised word right after a comma or colon that starts a wh-clause ("In 2002, What ...") is not a name
        if tok.cap and tok.lo in WH_WORDS and i > 0 and merged[i - 1].text in (",", ";"):
            tok.cap = False
    return _merge_entities(merged, question)


def _is_cap(tok: Tok) -> bool:
    return (tok.kind == "word" and tok.cap) or tok.kind == "ent"


def _merge_entities(toks: list[Tok], question: str) -> list[Tok]:
    out: list[Tok] = []
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        starts = _is_cap(t) or (t.kind == "num" and i + 1 < n and _is_cap(toks[i + 1]))
        if not starts or t.kind == "ent":
            out.append(t)
            i += 1
            continue
        j = i + 1
        while j < n:
            tj = toks[j]
            if _is_cap(tj) and tj.kind != "ent" or tj.kind == "num":
                j += 1
                continue
            if tj.text == "(":
                close = next((k for k in range(j + 1, min(n, j + 8)) if toks[k].text == ")"), None)
                if close is not None and any(_is_cap(toks[k]) for k in range(j + 1, close)):
                    j = close + 1
                    continue
                break
            k = j
            while k < n and k - j < 2 and (toks[k].lo in QUESTION_CONNECTORS and toks[k].kind == "word" or toks[k].kind == "poss"
                                           or toks[k].text in (":", "-")):
                k += 1
            if k > j and k < n and (_is_cap(toks[k]) and toks[k].kind != "ent" or toks[k].kind == "num"):
                j = k + 1
                continue
            break
        if j == i + 1 and t.kind == "num":
            out.append(t)
            i += 1
            continue
        ent = Tok(question[t.start:toks[j - 1].end], "ent", t.start, toks[j - 1].end)
        ent.cap = True
        out.append(ent)
        i = j
    return out


class Tokens:
    """A question's tokens (`T`, `n` of them) and the tests on a token in its context; out-of-range indexes read as
    nothing (an empty word, no kind)."""

    def __init__(self, question: str) -> None:
        self.q = question
        self.T = tokenize(question)
        self.n = len(self.T)

    def lo(self, i: int) -> str:
        return self.T[i].lo if 0 <= i < self.n else ""

    def kind(self, i: int) -> str:
        return self.T[i].kind if 0 <= i < self.n else ""

    def is_word(self, i: int) -> bool:
        return 0 <= i < self.n and self.T[i].kind == "word"

    def is_finite(self, i: int) -> bool:
        if not self.is_word(i) or self.T[i].cap:
            return False
        w = self.T[i].lo
        if w in FINITE_AUXILIARIES:
            return True
        prev = self.lo(i - 1)
        if prev in DETERMINERS or prev in POSSESSIVE_PRONOUNS or self.kind(i - 1) == "poss" or prev in SUPERLATIVES or prev == "to":
            return False
        if w in IRREGULAR_VERBS:
            return w not in PARTICIPLE_ONLY and w not in NOT_FINITE_IRREGULAR
        if w.endswith("ed") and len(w) >= 5 and w not in ED_NON_VERBS:
            return True
        if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            base = lemma(w)[0]
            if base in S_VERBS:
                return True
            # "shares a border", "borders Texas": a noun-ish verb followed by an object reads as a verb
            return base in BASE_VERBS and (self.lo(i + 1) in DETERMINERS or self.kind(i + 1) in ("ent", "ref"))
        return False

    def is_participle(self, i: int) -> bool:
        if not self.is_word(i) or self.T[i].cap:
            return False
        w = self.T[i].lo
        if w in IRREGULAR_VERBS and w not in BE_FORMS and w not in HAVE_FORMS and w not in DO_FORMS:
            return True
        return w.endswith("ed") and len(w) >= 5 and w not in ED_NON_VERBS

    def is_adverb(self, i: int) -> bool:
        if not self.is_word(i):
            return False
        w = self.T[i].lo
        return w in ADVERBS or (w.endswith("ly") and len(w) > 4 and w not in LY_NOUNS)

    def is_sup_word(self, i: int) -> bool:
        if not self.is_word(i):
            return False
        for part in self.T[i].lo.split("-"):
            if part in SUPERLATIVES or (part.endswith("est") and len(part) > 4 and part not in EST_NON_SUPERLATIVES):
                return True
        return False

    def participle_postmod(self, j: int) -> bool:
        """Does a reduced relative clause start at j ("attended by", "widely practiced in", "sharing a border")?"""
        if not self.is_word(j):
            return False
        k = j + 1 if self.is_adverb(j) and self.T[j].lo not in ("first", "last", "only") else j
        if not self.is_word(k):
            return False
        w = self.T[k].lo
        nxt = k + 1
        if self.is_participle(k) and w not in NOT_FINITE_IRREGULAR:
            return (self.lo(nxt) in PREPOSITIONS and self.lo(nxt) != "of") or self.lo(nxt) in ("where", "when")
        if w.endswith("ing") and len(w) > 5 and w not in ING_NOUNS:
            if self.is_sup_word(k - 1):
                return False
            nk = self.kind(nxt)
            nl = self.lo(nxt)
            if nk in ("ent", "ref", "num") or nl in DETERMINERS or (nl in PREPOSITIONS and nl != "of"):
                return True
        return False

    def is_head_word(self, j: int, hs: int, limit: int) -> bool:
        if j >= limit:
            return False
        t = self.T[j]
        if t.kind in ("ent", "num"):
            # "the person Velbourg is named after": a name followed by its verb starts a clause
            return j == hs or not self.is_finite(j + 1)
        if t.kind != "word":
            return False
        w = t.lo
        if w in NON_HEADS:
            return False
        if w.endswith("ly") and len(w) > 4 and w not in LY_NOUNS:
            return False
        if j > hs:
            if self.participle_postmod(j):
                return False
            if self.is_finite(j):
                return False
        elif w in IRREGULAR_VERBS and w not in PARTICIPLE_ONLY and w not in NOT_FINITE_IRREGULAR:
            return False
        return True

    def base_main_verb(self, k: int) -> bool:
        """Is token k the bare main verb of a "did/does/can NP VERB ..." question?"""
        if not self.is_word(k) or self.T[k].cap:
            return False
        w = self.T[k].lo
        prev = self.lo(k - 1)
        if (prev in DETERMINERS or prev in POSSESSIVE_PRONOUNS or self.kind(k - 1) == "poss" or prev == "to" or prev in MODALS
                or prev in HAVE_FORMS or prev in BE_FORMS):
            return False
        if self.lo(k + 1) == "of" or self.is_sup_word(k - 1):
            return False
        if w in BASE_VERBS:
            return True
        # after a passive/intransitive verb group ("where X is located reinstate ..."), a bare content word is a verb
        if (self.is_participle(k - 1) and self.lo(k - 2) in BE_FORMS | HAVE_FORMS and w not in NON_HEADS
                and not w.endswith(("s", "ed", "ing", "ly"))):
            return True
        return False

