"""Rule-based decomposition of compositional questions into single-hop sub-questions (no model, no LLM).

The DECOMPOSE state of the hop machine calls `decompose(question)`. It returns MuSiQue-style sub-questions whose later
members refer to earlier answers with `#1`, `#2`, ...::

    >>> decompose("Where did the creator of the Mona Lisa die?").sub_questions
    ['Who is the creator of the Mona Lisa?', 'Where did #1 die?']

or None when no rule applies confidently (the caller then falls back to decomposition-free condensed hops).

How it works (pure Python + `re`, well under a millisecond per question):

1. Tokenise, and merge runs of capitalised words (with "of", "the", "'s", ":" ... between them) into single entity
   tokens, so that titles such as "Allegory of Isabella d'Este's Coronation" are never split.
2. Read the frame of the question: the wh-phrase, its auxiliary, and, for "did/does/can NP VERB ..." and
   "was NP PARTICIPLE" questions, where the subject noun phrase must end.
3. Parse the noun phrases left to right with a small recursive grammar: "the REL of NP", "NP's REL",
   "the TITLE performer", "the N who/that/which/whom ...", "the N where/when/in which ...", "the N whose ...",
   participles ("the university attended by X", "the county sharing a border with X"), "the N with X",
   superlatives ("the most populous city in X").
4. Reduce complex noun phrases innermost first: each becomes one natural single-hop question and is replaced by `#k`
   in the text around it. What remains of the question is the last sub-question. When the question only asks for the
   identity of its noun phrase ("Who is the spouse of NP?") that noun phrase is kept as the last hop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lexical.lexicon import (
    ADVERBS, BE_FINITE, BE_FORMS, CONJUNCTIONS, DEMONYMS, DETERMINERS, DO_FORMS, FINITE_AUXILIARIES, FIRST_WORD_COMMON,
    HAVE_FORMS, KINSHIP_NOUNS, MODALS, NON_HEADS, OF_RELATION_PHRASES, OF_RELATIONS, PERSON_RELATIONS, PLACE_TYPES,
    POSSESSIVE_PRONOUNS, PREPOSITIONS, QUESTION_CONNECTORS, RELATIVE_PRONOUNS, ROLE_RELATIONS, STATIVE_PARTICIPLES,
    SUBORDINATORS, THING_RELATION_PHRASES, TYPE_NOUNS, WH_WORDS, WHEN_HEADS, WHERE_HEADS, WHO_HEADS, WHO_NOUNS,
    WORK_NOUNS, WORK_RELATIONS,
)
from .lexical.morphology import (
    BASE_VERBS, ED_NON_VERBS, EST_NON_SUPERLATIVES, ING_NOUNS, IRREGULAR_VERBS, LY_NOUNS, NOT_FINITE_IRREGULAR,
    PARTICIPLE_ONLY, S_VERBS, SUPERLATIVES, lemma, third_person,
)
from .lexical.relations import RELATION_TEMPLATES

__all__ = ["Decomposition", "decompose", "substitute", "references"]


@dataclass(frozen=True)
class Decomposition:
    """Sub-questions in answering order; `#k` in a sub-question stands for the answer of sub-question k (1-based)."""

    sub_questions: list[str]
    rule: str  # the rules that fired, joined by "+" in firing order ("of_chain", "possessive", "relative_clause", ...)

    def to_dict(self) -> dict[str, Any]:
        return {"sub_questions": list(self.sub_questions), "rule": self.rule, "steps": len(self.sub_questions)}


_REF = re.compile(r"#(\d+)")


def references(sub_question: str) -> list[int]:
    """The `#k` a sub-question depends on, in order of first appearance, without repeats."""
    seen: list[int] = []
    for m in _REF.finditer(sub_question):
        k = int(m.group(1))
        if k not in seen:
            seen.append(k)
    return seen


def substitute(sub_question: str, answers: dict[int, str]) -> str:
    """Replace each `#k` by the k-th sub-answer (1-based). References without an answer stay as they are."""

    def repl(m: re.Match[str]) -> str:
        k = int(m.group(1))
        value = answers.get(k)
        if value is None:
            value = answers.get(str(k))  # type: ignore[call-overload]
        return m.group(0) if value is None or not str(value).strip() else str(value).strip()

    return _REF.sub(repl, sub_question)


# ----------------------------------------------------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""(?P<quote>"[^"]{1,80}"|“[^”]{1,80}”)
      | (?P<ref>\#\d+)
      | (?P<poss>['’][sS]\b|(?<=[sS])['’](?=\s|$|[,?]))
      | (?P<word>(?:[^\W_]|[&])(?:[^\W_]|[-/&]|['’](?![sS]\b)(?=[^\W_])|\.(?=[^\W_]))*)
      | (?P<punct>\S)""",
    re.X,
)


@dataclass
class _Tok:
    text: str
    kind: str  # word | ent | num | ref | poss | punct
    start: int
    end: int
    lo: str = ""
    cap: bool = False

    def __post_init__(self) -> None:
        self.lo = self.text.lower()


_PARTICLE_NAME = re.compile(r"^(?:[a-z]{1,3}['’-])+[A-Z]")


def _tokenize(question: str) -> list[_Tok]:
    raw: list[_Tok] = []
    for m in _TOKEN_RE.finditer(question):
        kind = m.lastgroup or "punct"
        text = m.group(0)
        tok = _Tok(text, "ent" if kind == "quote" else kind, m.start(), m.end())
        if kind == "word":
            if text[0].isdigit():
                tok.kind = "num"
            else:
                tok.cap = text[0].isupper() or bool(_PARTICLE_NAME.match(text))
        raw.append(tok)
    # initials: "P" "." -> "P."
    merged: list[_Tok] = []
    for tok in raw:
        if (tok.text == "." and merged and merged[-1].kind == "word" and merged[-1].cap
                and merged[-1].end == tok.start and (len(merged[-1].text) == 1 or "." in merged[-1].text)):
            prev = merged[-1]
            merged[-1] = _Tok(prev.text + ".", "word", prev.start, tok.end)
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


def _is_cap(tok: _Tok) -> bool:
    return (tok.kind == "word" and tok.cap) or tok.kind == "ent"


def _merge_entities(toks: list[_Tok], question: str) -> list[_Tok]:
    out: list[_Tok] = []
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
        ent = _Tok(question[t.start:toks[j - 1].end], "ent", t.start, toks[j - 1].end)
        ent.cap = True
        out.append(ent)
        i = j
    return out


# ----------------------------------------------------------------------------------------------------------------------
# Noun-phrase nodes
# ----------------------------------------------------------------------------------------------------------------------

@dataclass
class _Node:
    kind: str  # atom | rel | sup | clause | part | with | by | generic | headless
    start: int
    end: int
    children: list[_Node] = field(default_factory=list)
    head: tuple[int, int] | None = None
    key: str = ""
    arg: _Node | None = None
    form: str = ""  # rel: of | poss | compound | prep ; clause: subject | object | adverbial | whose | ellipsis
    prep: str = ""
    pron: str = ""
    body: tuple[int, int] | None = None
    subj: tuple[int, int] | None = None
    verb: int | None = None
    pp: tuple[int, int] | None = None
    sup: bool = False

    @property
    def complex(self) -> bool:
        return self.kind != "atom"


@dataclass
class _Frame:
    end: int
    wh: tuple[int, int] | None = None  # span of the wh-phrase
    kind: str = "decl"  # decl | wh_subj | be | do
    subj_start: int | None = None
    boundary: int | None = None  # where the subject noun phrase must end
    ident: bool = False  # "Who/What/Which is NP?": NP is the asked-for entity
    prefix_end: int | None = None  # "In 2002, ..." : the comma


class _Parser:
    def __init__(self, question: str) -> None:
        self.q = question
        self.T = _tokenize(question)
        self.n = len(self.T)
        self.steps: list[str] = []
        self.rules: list[str] = []
        self.repl: dict[int, tuple[int, str]] = {}

    # -- token predicates ------------------------------------------------------------------------------------------
    def _lo(self, i: int) -> str:
        return self.T[i].lo if 0 <= i < self.n else ""

    def _kind(self, i: int) -> str:
        return self.T[i].kind if 0 <= i < self.n else ""

    def _is_word(self, i: int) -> bool:
        return 0 <= i < self.n and self.T[i].kind == "word"

    def _is_finite(self, i: int) -> bool:
        if not self._is_word(i) or self.T[i].cap:
            return False
        w = self.T[i].lo
        if w in FINITE_AUXILIARIES:
            return True
        prev = self._lo(i - 1)
        if prev in DETERMINERS or prev in POSSESSIVE_PRONOUNS or self._kind(i - 1) == "poss" or prev in SUPERLATIVES or prev == "to":
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
            return base in BASE_VERBS and (self._lo(i + 1) in DETERMINERS or self._kind(i + 1) in ("ent", "ref"))
        return False

    def _is_participle(self, i: int) -> bool:
        if not self._is_word(i) or self.T[i].cap:
            return False
        w = self.T[i].lo
        if w in IRREGULAR_VERBS and w not in BE_FORMS and w not in HAVE_FORMS and w not in DO_FORMS:
            return True
        return w.endswith("ed") and len(w) >= 5 and w not in ED_NON_VERBS

    def _is_adverb(self, i: int) -> bool:
        if not self._is_word(i):
            return False
        w = self.T[i].lo
        return w in ADVERBS or (w.endswith("ly") and len(w) > 4 and w not in LY_NOUNS)

    def _is_sup_word(self, i: int) -> bool:
        if not self._is_word(i):
            return False
        for part in self.T[i].lo.split("-"):
            if part in SUPERLATIVES or (part.endswith("est") and len(part) > 4 and part not in EST_NON_SUPERLATIVES):
                return True
        return False

    def _participle_postmod(self, j: int) -> bool:
        """Does a reduced relative clause start at j ("attended by", "widely practiced in", "sharing a border")?"""
        if not self._is_word(j):
            return False
        k = j + 1 if self._is_adverb(j) and self.T[j].lo not in ("first", "last", "only") else j
        if not self._is_word(k):
            return False
        w = self.T[k].lo
        nxt = k + 1
        if self._is_participle(k) and w not in NOT_FINITE_IRREGULAR:
            return (self._lo(nxt) in PREPOSITIONS and self._lo(nxt) != "of") or self._lo(nxt) in ("where", "when")
        if w.endswith("ing") and len(w) > 5 and w not in ING_NOUNS:
            if self._is_sup_word(k - 1):
                return False
            nk = self._kind(nxt)
            nl = self._lo(nxt)
            if nk in ("ent", "ref", "num") or nl in DETERMINERS or (nl in PREPOSITIONS and nl != "of"):
                return True
        return False

    def _is_head_word(self, j: int, hs: int, limit: int) -> bool:
        if j >= limit:
            return False
        t = self.T[j]
        if t.kind in ("ent", "num"):
            # "the person Velbourg is named after": a name followed by its verb starts a clause
            return j == hs or not self._is_finite(j + 1)
        if t.kind != "word":
            return False
        w = t.lo
        if w in NON_HEADS:
            return False
        if w.endswith("ly") and len(w) > 4 and w not in LY_NOUNS:
            return False
        if j > hs:
            if self._participle_postmod(j):
                return False
            if self._is_finite(j):
                return False
        elif w in IRREGULAR_VERBS and w not in PARTICIPLE_ONLY and w not in NOT_FINITE_IRREGULAR:
            return False
        return True

    def _base_main_verb(self, k: int) -> bool:
        """Is token k the bare main verb of a "did/does/can NP VERB ..." question?"""
        if not self._is_word(k) or self.T[k].cap:
            return False
        w = self.T[k].lo
        prev = self._lo(k - 1)
        if (prev in DETERMINERS or prev in POSSESSIVE_PRONOUNS or self._kind(k - 1) == "poss" or prev == "to" or prev in MODALS
                or prev in HAVE_FORMS or prev in BE_FORMS):
            return False
        if self._lo(k + 1) == "of" or self._is_sup_word(k - 1):
            return False
        if w in BASE_VERBS:
            return True
        # after a passive/intransitive verb group ("where X is located reinstate ..."), a bare content word is a verb
        if (self._is_participle(k - 1) and self._lo(k - 2) in BE_FORMS | HAVE_FORMS and w not in NON_HEADS
                and not w.endswith(("s", "ed", "ing", "ly"))):
            return True
        return False

    # -- frame -----------------------------------------------------------------------------------------------------
    def _frame(self) -> _Frame:
        T, n = self.T, self.n
        end = n - 1 if n and T[-1].text in ("?", ".", "!") else n
        fr = _Frame(end=end)
        q0 = 0
        if n and (self._lo(0) in PREPOSITIONS or self._lo(0) in ("along", "during")):
            for c in range(1, min(end, 25)):
                if T[c].text == "," and (self._lo(c + 1) in WH_WORDS or self._lo(c + 2) in WH_WORDS):
                    fr.prefix_end = c
                    q0 = c + 1
                    break
        i = q0
        wh_prep = False
        if self._lo(i) in PREPOSITIONS and self._lo(i + 1) in WH_WORDS:
            wh_prep = True
            i += 1
        if self._lo(i) not in WH_WORDS or self.T[i].cap and i != 0 and i != q0:
            fr.kind = "decl"
            return fr
        wh = self._lo(i)
        j = i + 1
        if wh == "how" and self._lo(j) in ("many", "much", "old", "long", "far", "big", "tall", "large", "often"):
            j += 1
        if wh in ("what", "which", "whose", "how"):
            while j < end:
                if self._kind(j) in ("ent", "num") or (self._is_word(j) and self._lo(j) not in NON_HEADS
                                                       and not self._is_finite(j) and not self._is_adverb(j)):
                    j += 1
                elif self._lo(j) == "of" and j + 1 < end and self._lo(j + 1) not in DETERMINERS:
                    j += 1
                else:
                    break
        fr.wh = (q0, j)
        nxt = self._lo(j)
        if nxt in DO_FORMS or nxt in MODALS:
            fr.kind = "do"
            fr.subj_start = j + 1
            for k in range(j + 2, end):
                if self._base_main_verb(k):
                    fr.boundary = k
                    break
            fr.ident = fr.boundary is None and not wh_prep and wh in ("who", "what") and j == i + 1
        elif nxt in BE_FINITE:
            if self._is_participle(j + 1):
                fr.kind = "wh_subj"
            else:
                fr.kind = "be"
                fr.subj_start = j + 1
                k = end - 1
                if self._lo(k) in PREPOSITIONS and k - 1 > j:
                    k -= 1
                if (k > j + 1 and self._is_participle(k) and self._lo(k - 1) not in BE_FORMS
                        and self._lo(k - 1) not in RELATIVE_PRONOUNS and self._lo(k - 1) not in DETERMINERS):
                    # unless it is the verb of a relative clause that has no other ("the city where X died")
                    rel = [r for r in range(j + 1, k) if self._lo(r) in RELATIVE_PRONOUNS and self._is_word(r)]
                    if not rel or any(self._is_finite(r) for r in range(rel[-1] + 1, k)):
                        fr.boundary = k
                fr.ident = fr.boundary is None and not wh_prep and wh in ("who", "what", "which")
        else:
            fr.kind = "wh_subj"
        return fr

    # -- noun phrases ----------------------------------------------------------------------------------------------
    def _key(self, hs: int, he: int) -> str:
        if he - hs >= 3 and self.T[he - 2].lo == "of":
            three = " ".join(self.T[k].lo for k in range(he - 3, he))
            if three in OF_RELATION_PHRASES:
                return three
        if he - hs >= 2:
            two = f"{self.T[he - 2].lo} {self.T[he - 1].lo}"
            if two in OF_RELATIONS or two in WHO_NOUNS or two in THING_RELATION_PHRASES or two in ROLE_RELATIONS:
                return two
        return self.T[he - 1].lo if he > hs else ""

    def _plural(self, key: str) -> bool:
        w = key.split()[-1] if key else ""
        return w.endswith("s") and not w.endswith(("ss", "us", "is", "ics")) and w not in PERSON_RELATIONS

    def _classify_head(self, start: int, hs: int, he: int) -> _Node:
        T = self.T
        toks = range(hs, he)
        if all(T[k].kind in ("ent", "num") for k in toks):
            return _Node("atom", start, he, head=(hs, he))
        # "the Green performer", "the Another Page record label"
        if T[hs].kind == "ent" and T[hs].lo not in DEMONYMS:
            k = hs
            while k < he and T[k].kind in ("ent", "num"):
                k += 1
            if k < he and self._key(k, he) in WORK_RELATIONS and self._key(k, he) == " ".join(
                    T[x].lo for x in range(k, he)):
                arg = _Node("atom", hs, k)
                return _Node("rel", start, he, head=(k, he), key=self._key(k, he), arg=arg, form="compound")
        key = self._key(hs, he)
        sup = any(self._is_sup_word(k) for k in toks) and not self._plural(key)
        node = _Node("atom", start, he, head=(hs, he), key=key, sup=sup)
        if sup and any(T[k].kind == "ent" for k in toks):
            node.kind = "sup"
        return node

    def _comp_ok_for_sup(self, comp: _Node) -> bool:
        if comp.complex:
            return True
        return any(self.T[k].kind in ("ent", "ref", "num") for k in range(comp.start, comp.end))

    def _parse_np(self, i: int, limit: int, bare: bool = False) -> _Node | None:
        T = self.T
        if i >= limit or i >= self.n:
            return None
        t = T[i]
        start = i
        det_headed = False
        if t.kind in ("ent", "ref", "num"):
            j = i + 1
            if t.kind == "ent":  # absorb trailing lowercase words of a name: "Greyhound buses", "Al gran sole"
                while (j < limit and self._is_word(j) and self._is_head_word(j, i, limit)
                       and (self._lo(j) not in BASE_VERBS or j + 1 == limit < self.n - 1)
                       and not self._lo(j).endswith("ing")):
                    j += 1
            node = _Node("atom", i, j)
        elif t.lo in DETERMINERS or (bare and t.kind == "word" and self._is_head_word(i, i, limit) and not self._is_finite(i)):
            hs = i + 1 if t.lo in DETERMINERS else i
            j = hs
            while j < limit and j - hs < 8 and self._is_head_word(j, hs, limit):
                j += 1
            if j == hs:
                return None
            if (j + 1 < limit and self._lo(j) == "of" and j > hs
                    and f"{self._lo(j - 1)} of {self._lo(j + 1)}" in OF_RELATION_PHRASES):
                j += 2
            node = self._classify_head(start, hs, j)
            det_headed = True
            if hs == i and self._lo(j) not in RELATIVE_PRONOUNS:  # a bare noun only heads a relative clause ("team that ...")
                return node
        else:
            return None

        # possessive chain: X's Y's Z
        while j < limit and T[j].kind == "poss":
            hs2 = k = j + 1
            while k < limit and k - hs2 < 5 and self._is_head_word(k, hs2, limit):
                k += 1
            if k == hs2:
                break
            if k + 1 < limit and T[k].lo == "of" and f"{T[k - 1].lo} of {self._lo(k + 1)}" in OF_RELATION_PHRASES:
                k += 2
            key = self._key(hs2, k) if T[k - 2].lo != "of" else " ".join(T[x].lo for x in range(k - 3, k))
            if not (key in OF_RELATIONS or key in RELATION_TEMPLATES or key in PLACE_TYPES or key in WHO_NOUNS
                    or any(self._is_sup_word(x) for x in range(hs2, k))):
                # "the Old West's inadequate local police", "the king's speech": a description, not a relation
                node = _Node("atom", start, k, head=(hs2, k), key=key)
                j = k
                break
            node = _Node("rel", start, k, children=[node] if node.complex else [], head=(hs2, k), key=key, arg=node,
                         form="poss")
            j = k
            self._role_pp(node, limit)
            j = node.end
            det_headed = False
        if not det_headed or j >= limit:
            return node

        # post-modifiers of a determiner-headed noun phrase
        w = T[j].lo
        hs, he = node.head if node.head else (start, j)
        key = node.key
        if node.form == "compound":
            return node
        if w == "of":
            comp = self._parse_np(j + 1, limit, bare=True)
            if comp is None:
                return node
            kids = [comp] if comp.complex else []
            if (key in WORK_RELATIONS and comp.kind == "rel" and comp.form == "poss" and comp.key in KINSHIP_NOUNS
                    and comp.arg is not None and not comp.arg.complex):
                # "the author of X's father" = the father of (the author of X): works have no fathers
                inner = _Node("rel", start, comp.arg.end, [], head=(hs, he), key=key, arg=comp.arg, form="of")
                return _Node("rel", start, comp.end, [inner], head=comp.head, key=comp.key, arg=inner, form="poss")
            if key in OF_RELATIONS and node.kind != "sup":
                rel = _Node("rel", start, comp.end, kids, head=(hs, he), key=key, arg=comp, form="of")
                self._role_pp(rel, limit)
                return rel
            if node.sup and not self._plural(key) and self._comp_ok_for_sup(comp):
                return _Node("sup", start, comp.end, kids, head=(hs, he), key=key, arg=comp)
            if comp.complex:
                return _Node("generic", start, comp.end, kids, head=(hs, he), key=key)
            return _Node("atom", start, comp.end, head=(hs, he), key=key)
        if w in PREPOSITIONS and self._lo(j + 1) not in ("which", "whom"):
            comp = self._parse_np(j + 1, limit, bare=(w != "with"))
            if comp is None:
                return node
            kids = [comp] if comp.complex else []
            if w == "with" and key in TYPE_NOUNS:
                return _Node("with", start, comp.end, kids, head=(hs, he), key=key, arg=comp, prep=w)
            if w == "by" and key in WORK_NOUNS:
                return _Node("by", start, comp.end, kids, head=(hs, he), key=key, arg=comp, prep=w)
            if w in ("in", "on", "from") and (key in ROLE_RELATIONS or key in ("cast member", "star", "character")):
                return _Node("rel", start, comp.end, kids, head=(hs, he), key=key, arg=comp, form="prep", prep=w)
            if node.sup and w in ("in", "of", "from", "on", "among", "at") and not self._plural(key) \
                    and self._comp_ok_for_sup(comp):
                return _Node("sup", start, comp.end, kids, head=(hs, he), key=key, arg=comp, prep=w)
            if comp.complex:
                return _Node("generic", start, comp.end, kids, head=(hs, he), key=key)
            if node.kind == "sup":
                return node
            return _Node("atom", start, comp.end, head=(hs, he), key=key)
        if w in RELATIVE_PRONOUNS or (w in PREPOSITIONS and self._lo(j + 1) in ("which", "whom")):
            if w == "that" and (self._lo(j + 1) in PREPOSITIONS or self._lo(j + 1) in WH_WORDS):  # "found that what ..."
                return node
            clause = self._parse_clause(start, hs, he, j, limit)
            return clause or node
        if self._participle_postmod(j):
            return self._parse_participle(start, hs, he, j, limit)
        if (T[j].kind in ("ent", "ref") or w in ("he", "she", "they", "it")) and self._is_finite(j + 1):
            return self._parse_clause(start, hs, he, j, limit, zero=True) or node
        return node

    def _role_pp(self, node: _Node, limit: int) -> None:
        """ "X's actor on Family Ties": the show a role belongs to stays with the role."""
        j = node.end
        if node.key in ROLE_RELATIONS and node.form in ("poss", "of") and self._lo(j) in ("in", "on", "from"):
            comp = self._parse_np(j + 1, limit, bare=True)
            if comp is not None and not comp.complex:
                node.pp = (j, comp.end)
                node.end = comp.end

    def _scan_region(self, s: int, e: int) -> list[_Node]:
        """Complex noun phrases in tokens [s, e)."""
        out: list[_Node] = []
        k = s
        while k < e:
            node = self._parse_np(k, e, bare=(k == s))
            if node is None:
                k += 1
                continue
            if node.complex:
                out.append(node)
            k = max(node.end, k + 1)
        return out

    def _scan_objects(self, k: int, limit: int) -> tuple[int, list[_Node]]:
        """Walk the rest of a clause from k; stop before a comma or the next finite verb that is not its own."""
        kids: list[_Node] = []
        allow = 0
        while k < limit:
            t = self.T[k]
            if t.text in (",", ";", "?", ":"):
                break
            lo = t.lo
            if t.kind == "word" and lo == "where" and (self._is_participle(k - 1) or self._is_finite(k - 1)
                                                       or self._is_adverb(k - 1)):
                node = self._parse_clause(k, k, k, k, limit, headless=True)
                if node is not None:
                    kids.append(node)
                    k = node.end
                    continue
            if t.kind == "word" and (lo in SUBORDINATORS or lo in CONJUNCTIONS or lo in ("where", "who", "which")):
                allow += 1
                k += 1
                continue
            if self._is_finite(k):
                if allow:
                    allow -= 1
                    k += 1
                    continue
                if self._is_adverb(k - 1) and self._lo(k - 1) not in ("first", "last", "only"):
                    k -= 1
                break
            node = self._parse_np(k, limit)
            if node is not None:
                if node.complex:
                    kids.append(node)
                k = max(node.end, k + 1)
            else:
                k += 1
        return k, kids

    def _verb_group_end(self, v: int) -> int:
        k = v + 1
        if self._lo(v) in FINITE_AUXILIARIES:
            while k < self.n and (self._lo(k) in ("be", "been", "being", "not", "have")
                                  or (self._is_adverb(k) and self._lo(k) not in ("first", "last", "only"))
                                  or self._is_participle(k)
                                  or (self._is_word(k) and self._lo(k).endswith("ing")
                                      and self._lo(k) not in ING_NOUNS)):
                k += 1
        return k

    def _starts_verb(self, b: int) -> int | None:
        """Index of the verb if a subject relative clause starts at b ("who voices ...", "that also plays ...")."""
        k = b
        if self._is_adverb(k) and self._lo(k) not in ("first", "last", "only"):
            k += 1
        if self._is_finite(k):
            return k
        if self._is_word(k) and not self.T[k].cap and self._lo(k) not in NON_HEADS:
            w = self._lo(k)
            nxt = k + 1
            objectish = self._kind(nxt) in ("ent", "ref", "num") or self._lo(nxt) in DETERMINERS or self._lo(nxt) in PREPOSITIONS
            if objectish and ((w.endswith("s") and not w.endswith("ss")) or w.endswith("ed")):
                return k
        return None

    def _parse_clause(self, start: int, hs: int, he: int, j: int, limit: int,
                      headless: bool = False, zero: bool = False) -> _Node | None:
        w = self._lo(j)
        prep = ""
        if zero:  # "the person [that] Velbourg is named after"
            pron, b = "that", j
        elif w in PREPOSITIONS:
            prep, pron, b = w, self._lo(j + 1), j + 2
        else:
            pron, b = w, j + 1
        while b < limit and self._lo(b) == pron:  # "who who"
            b += 1
        if b >= limit:
            return None
        kids: list[_Node] = []
        node = _Node("headless" if headless else "clause", start, limit, head=(hs, he), pron=pron, prep=prep,
                     key=self._key(hs, he) if he > hs else "")
        v = self._starts_verb(b) if pron in ("who", "that", "which") and not prep else None
        if pron == "whose":
            e, kids = self._scan_objects_whose(b, limit)
            node.form = "whose"
            node.body = (b, e)
            node.end = e
        elif v is not None:
            vg = self._verb_group_end(v)
            e, kids = self._scan_objects(vg, limit)
            node.form, node.body, node.verb, node.end = "subject", (b, e), v, e
        else:
            sn = self._parse_np(b, limit, bare=True)
            if sn is not None and sn.kind == "part" and sn.form == "ed" and sn.verb is not None \
                    and self._is_finite(sn.verb) and not self._is_adverb(sn.body[0] if sn.body else b) \
                    and self._lo(sn.verb + 1) != "by" and not (sn.end < limit and self._is_finite(sn.end)):
                # "the river that the clans crossed to reach X": the clause's own verb, not a participle
                sn = self._parse_np(b, sn.verb, bare=True)
            if sn is not None and (sn.end >= limit or self._is_finite(sn.end)):
                subj_end = sn.end
                if sn.complex:
                    kids.append(sn)
            else:
                subj_end = next((k for k in range(b, limit) if self._is_finite(k)), limit)
                kids.extend(self._scan_region(b, subj_end))
            if subj_end >= limit or subj_end == b:
                node.form, node.body, node.subj, node.end = "ellipsis", (b, limit), (b, limit), limit
            else:
                vg = self._verb_group_end(subj_end)
                e, more = self._scan_objects(vg, limit)
                kids.extend(more)
                node.form = "object" if pron in ("who", "whom", "that", "which") and not prep else "adverbial"
                node.body, node.subj, node.verb, node.end = (b, e), (b, subj_end), subj_end, e
        node.children = kids
        if node.body and node.body[1] <= node.body[0]:
            return None
        return node

    def _scan_objects_whose(self, b: int, limit: int) -> tuple[int, list[_Node]]:
        # "whose capital is the birthplace of X": possessed noun, verb group, then objects
        k = b
        while k < limit and self._is_head_word(k, b, limit) and not self._is_finite(k):
            k += 1
        if k >= limit or not self._is_finite(k):
            return b, []
        return self._scan_objects(self._verb_group_end(k), limit)

    def _parse_participle(self, start: int, hs: int, he: int, j: int, limit: int) -> _Node | None:
        v = j + 1 if self._is_adverb(j) else j
        e, kids = self._scan_objects(v + 1, limit)
        form = "ing" if self._lo(v).endswith("ing") and not self._is_participle(v) else "ed"
        return _Node("part", start, e, kids, head=(hs, he), key=self._key(hs, he), body=(j, e), verb=v, form=form)

    # -- rendering ---------------------------------------------------------------------------------------------------
    def _render(self, s: int, e: int) -> str:
        pieces: list[str] = []
        prev_end: int | None = None
        i = s
        while i < e:
            r = self.repl.get(i)
            if r is not None and r[0] <= e:
                text, a, b, i = r[1], self.T[i].start, self.T[r[0] - 1].end, r[0]
            else:
                text, a, b, i = self.T[i].text, self.T[i].start, self.T[i].end, i + 1
            if prev_end is not None:
                gap = self.q[prev_end:a]
                pieces.append(gap if not gap.strip() else " ")
            pieces.append(text)
            prev_end = b
        return "".join(pieces)

    def _head_text(self, node: _Node) -> str:
        hs, he = node.head if node.head else (node.start, node.start)
        return self._render(hs, he)

    def _who_which(self, node: _Node) -> str:
        if node.key in WHO_HEADS:
            return "Who"
        head = self._head_text(node)
        return f"Which {head}" if head else "What"

    def _invert(self, node: _Node) -> str | None:
        """ "X played for" -> "did X play for"; "X is located" -> "is X located"."""
        assert node.subj is not None and node.verb is not None and node.body is not None
        subj = self._render(*node.subj)
        v = node.verb
        rest = self._render(v + 1, node.body[1])
        vw = self.T[v].lo
        if vw in FINITE_AUXILIARIES:
            return f"{vw} {subj} {rest}".strip()
        base, tense = lemma(vw)
        aux = {"past": "did", "3sg": "does"}.get(tense, "do")
        return f"{aux} {subj} {base} {rest}".strip()

    def _question(self, node: _Node) -> str | None:
        k = node.kind
        if k == "rel":
            x = self._render(node.arg.start, node.arg.end) if node.arg else ""
            head = self._head_text(node)
            key = node.key
            who = "Who" if key in WHO_NOUNS else "What"
            if key in ROLE_RELATIONS and node.form in ("poss", "of"):
                pp = f" {self._render(*node.pp)}" if node.pp else ""
                return f"Who plays {x}{pp}?"
            known = key in OF_RELATIONS or key in RELATION_TEMPLATES
            if node.form == "poss" and (not known or head.lower() != key):
                return f"{who} is {x}'s {head}?" if not x.endswith("'") else f"{who} is {x} {head}?"
            if key in RELATION_TEMPLATES and head.lower() == key:
                return RELATION_TEMPLATES[key].format(x=x)
            if node.form == "prep":
                return f"{who} is the {head} {node.prep} {x}?"
            det = self._lo(node.start) if node.form == "of" and self._lo(node.start) in ("a", "an") else "the"
            pp = f" {self._render(*node.pp)}" if node.pp else ""
            return f"{who} is {det} {head} of {x}{pp}?"
        if k == "sup":
            who = "Who" if node.key in WHO_NOUNS else "What"
            return f"{who} is {self._render(node.start, node.end)}?"
        if k == "with":
            return f"{self._who_which(node)} has {self._render(node.arg.start, node.arg.end)}?"
        if k == "by":
            return f"{self._who_which(node)} is by {self._render(node.arg.start, node.arg.end)}?"
        if k == "part":
            assert node.body is not None and node.verb is not None
            v = node.verb
            adv = self._render(node.body[0], v) + " " if v > node.body[0] else ""
            rest = self._render(v + 1, node.body[1])
            if node.form == "ing":
                verb = third_person(lemma(self.T[v].lo)[0])
                return f"{self._who_which(node)} {adv}{verb} {rest}?"
            be = "is" if self.T[v].lo in STATIVE_PARTICIPLES or adv else "was"
            return f"{self._who_which(node)} {be} {adv}{self.T[v].text} {rest}?"
        if k in ("clause", "headless"):
            return self._clause_question(node)
        return None

    def _clause_question(self, node: _Node) -> str | None:
        assert node.body is not None
        head = self._head_text(node)
        key = node.key
        pron, prep = node.pron, node.prep
        if pron in ("where",):
            wh = "Where" if node.kind == "headless" or key in WHERE_HEADS or not head else f"In which {head}"
        elif pron == "when":
            wh = "When" if key in WHEN_HEADS or not head else f"During which {head}"
        elif prep:
            obj = "whom" if pron == "whom" or key in WHO_HEADS else f"which {head}"
            wh = f"{prep.capitalize()} {obj}"
        else:
            wh = self._who_which(node)
        if node.form == "whose":
            return f"Which {head}'s {self._render(*node.body)}?"
        if node.form == "subject":
            return f"{wh} {self._render(*node.body)}?"
        if node.form == "ellipsis":
            subj = self._render(*node.body)
            if pron == "where" and wh.startswith("In which"):
                return f"{wh} is {subj}?"
            if pron == "where":
                return f"Where is {subj}?"
            return None
        inv = self._invert(node)
        return f"{wh} {inv}?" if inv else None

    # -- reduction ---------------------------------------------------------------------------------------------------
    _RULE_NAMES = {
        ("rel", "of"): "of_chain", ("rel", "prep"): "of_chain", ("rel", "poss"): "possessive",
        ("rel", "compound"): "possessive", ("sup", ""): "superlative", ("with", ""): "relative_clause",
        ("by", ""): "by_phrase", ("part", "ed"): "passive", ("part", "ing"): "participle",
    }

    def _rule_of(self, node: _Node) -> str:
        if node.kind in ("clause", "headless"):
            if node.kind == "clause" and node.form in ("subject", "object") and not node.prep:
                return "relative_clause"
            return "nested_wh"
        return self._RULE_NAMES.get((node.kind, node.form), self._RULE_NAMES.get((node.kind, ""), node.kind))

    def _realize(self, node: _Node, keep: bool = False) -> None:
        for child in node.children:
            # "the actor of Grace's boyfriend": a character's relative is part of the character, not a hop
            character = (node.kind == "rel" and node.key in ROLE_RELATIONS and child.kind == "rel"
                         and child.key in KINSHIP_NOUNS)
            self._realize(child, keep=character)
        if node.kind == "generic" or keep:
            return
        question = self._question(node)
        if question is None:
            return
        self.steps.append(_tidy(question))
        self.rules.append(self._rule_of(node))
        ref = f"#{len(self.steps)}"
        self.repl[node.start] = (node.end, f"in {ref}" if node.kind == "headless" else ref)

    def _keep_top(self, node: _Node, fr: _Frame) -> bool:
        """Keep the noun phrase the question asks about as the last hop ("Who is the spouse of NP?")."""
        if node.start != fr.subj_start:
            return False
        e = node.end
        to_end = e >= fr.end or (fr.kind == "be" and self._lo(e) in PREPOSITIONS and e + 1 < fr.end)
        if fr.ident:
            return to_end
        # "Where is the origin of NP?": a relation of the subject is still the asked-for thing
        return fr.kind == "be" and fr.boundary is None and to_end and node.kind in ("rel", "sup", "generic")

    def run(self, max_steps: int) -> Decomposition | None:
        if self.n < 3:
            return None
        fr = self._frame()
        i = 0
        while i < fr.end:
            if fr.wh and fr.wh[0] <= i < fr.wh[1]:
                i = fr.wh[1]
                continue
            if fr.prefix_end is not None and i < fr.prefix_end:
                limit = fr.prefix_end
            elif fr.subj_start is not None and fr.boundary is not None and fr.subj_start <= i < fr.boundary:
                limit = fr.boundary
            else:
                limit = fr.end
            node = self._parse_np(i, limit, bare=(i == fr.subj_start))
            if node is None:
                i += 1
                continue
            if (node.kind == "rel" and node.form == "of" and node.pp is None and i == fr.subj_start
                    and fr.boundary is not None and node.end < fr.boundary and self._lo(node.end) in PREPOSITIONS):
                # "did the singer of X in the movie Y win ...": the whole subject up to the main verb is the phrase
                node.pp = (node.end, fr.boundary)
                node.end = fr.boundary
            if node.complex:
                # after "become"/"remain" a noun phrase is a predicate ("became the top maker in 1994"), not a hop
                predicate = self._lo(i - 1) in ("become", "became", "becomes", "becoming", "remain", "remained")
                # "who played the wife of X in Y": a role in a work is looked up together with the casting
                role = (node.kind == "rel" and node.key in KINSHIP_NOUNS and node.form in ("of", "poss")
                        and lemma(self._lo(i - 1))[0] in ("play", "portray", "voice"))
                self._realize(node, keep=predicate or role or self._keep_top(node, fr))
            i = max(node.end, i + 1)
        if not self.steps:
            return None
        final = _tidy(self._render(0, self.n))
        steps = list(self.steps)
        if not _TRIVIAL.match(final) and final.lower() != steps[-1].lower():
            steps.append(final)
            self.rules.append("")
        if len(steps) < 2 or len(steps) > max_steps:
            return None
        if references(steps[0]):
            return None
        for k, sq in enumerate(steps[1:], start=2):
            refs = references(sq)
            if not refs or any(r >= k for r in refs):
                return None
        rules: list[str] = []
        for r in self.rules:
            if r and r not in rules:
                rules.append(r)
        return Decomposition(sub_questions=steps, rule="+".join(rules))


_TRIVIAL = re.compile(
    r"^(?:(?:who|what|which(?: [\w-]+){0,2})\s+(?:is|was|are|were)\s+(?:the name of\s+)?#\d+"
    r"|#\d+\s+(?:is|was|are|were)\s+(?:who|whom|what))\s*\?$", re.I)


def _tidy(text: str) -> str:
    s = re.sub(r"\s+", " ", text).strip()
    s = re.sub(r"\s+([?,;:.!)])", r"\1", s)
    s = re.sub(r"([(])\s+", r"\1", s)
    s = re.sub(r"\s+(['’]s)\b", r"\1", s)
    s = s.rstrip(" .!?,;:")
    if not s:
        return s
    return s[0].upper() + s[1:] + "?"


def decompose(question: str, max_steps: int = 4) -> Decomposition | None:
    """Split a compositional question into single-hop sub-questions with `#k` references, or None when no rule applies
    confidently. The first sub-question names an entity of the question and is answerable on its own; each later one
    refers to earlier answers. Pure rules: no model, no data files."""
    if not question or not question.strip() or max_steps < 2:
        return None
    q = re.sub(r"\s+", " ", question.strip())
    if len(q) > 400 or _REF.search(q):  # already a sub-question with references: nothing to split
        return None
    try:
        return _Parser(q).run(max_steps)
    except (IndexError, AssertionError, RecursionError):  # malformed input: decline rather than fail the pipeline
        return None
