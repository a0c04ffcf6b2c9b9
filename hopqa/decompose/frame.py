"""The frame of a question, its shape: the wh-phrase and its auxiliary ("do": "did/does/can NP VERB ...", "be":
"was NP PARTICIPLE ...", "wh_subj": the wh-phrase is the subject, "decl": no wh-word up front), where the subject noun
phrase must end, whether the question only asks for the identity of its noun phrase ("Who is the spouse of NP?"), and
a leading "In 2002, ..." prefix."""
from __future__ import annotations

from dataclasses import dataclass

from ..lexical.lexicon import (
    BE_FINITE, BE_FORMS, DETERMINERS, DO_FORMS, MODALS, NON_HEADS, PREPOSITIONS, RELATIVE_PRONOUNS, WH_WORDS,
)
from .tokens import Tokens

__all__ = ["Frame", "read_frame"]


@dataclass
class Frame:
    """The shape of a question, as token positions (see the module docstring)."""

    end: int
    wh: tuple[int, int] | None = None  # span of the wh-phrase
    kind: str = "decl"  # decl | wh_subj | be | do
    subj_start: int | None = None
    boundary: int | None = None  # where the subject noun phrase must end
    ident: bool = False  # "Who/What/Which is NP?": NP is the asked-for entity
    prefix_end: int | None = None  # "In 2002, ..." : the comma


def read_frame(t: Tokens) -> Frame:
    """The frame of the question: where its wh-phrase is, its shape, and where the subject noun phrase must end."""
    T, n = t.T, t.n
    end = n - 1 if n and T[-1].text in ("?", ".", "!") else n
    fr = Frame(end=end)
    q0 = 0
    if n and (t.lo(0) in PREPOSITIONS or t.lo(0) in ("along", "during")):
        for c in range(1, min(end, 25)):
            if T[c].text == "," and (t.lo(c + 1) in WH_WORDS or t.lo(c + 2) in WH_WORDS):
                fr.prefix_end = c
                q0 = c + 1
                break
    i = q0
    wh_prep = False
    if t.lo(i) in PREPOSITIONS and t.lo(i + 1) in WH_WORDS:
        wh_prep = True
        i += 1
    if t.lo(i) not in WH_WORDS or t.T[i].cap and i != 0 and i != q0:
        fr.kind = "decl"
        return fr
    wh = t.lo(i)
    j = i + 1
    if wh == "how" and t.lo(j) in ("many", "much", "old", "long", "far", "big", "tall", "large", "often"):
        j += 1
    if wh in ("what", "which", "whose", "how"):
        while j < end:
            if t.kind(j) in ("ent", "num") or (t.is_word(j) and t.lo(j) not in NON_HEADS
                                                   and not t.is_finite(j) and not t.is_adverb(j)):
                j += 1
            elif t.lo(j) == "of" and j + 1 < end and t.lo(j + 1) not in DETERMINERS:
                j += 1
            else:
                break
    fr.wh = (q0, j)
    nxt = t.lo(j)
    if nxt in DO_FORMS or nxt in MODALS:
        fr.kind = "do"
        fr.subj_start = j + 1
        for k in range(j + 2, end):
            if t.base_main_verb(k):
                fr.boundary = k
                break
        fr.ident = fr.boundary is None and not wh_prep and wh in ("who", "what") and j == i + 1
    elif nxt in BE_FINITE:
        if t.is_participle(j + 1):
            fr.kind = "wh_subj"
        else:
            fr.kind = "be"
            fr.subj_start = j + 1
            k = end - 1
            if t.lo(k) in PREPOSITIONS and k - 1 > j:
                k -= 1
            if (k > j + 1 and t.is_participle(k) and t.lo(k - 1) not in BE_FORMS
                    and t.lo(k - 1) not in RELATIVE_PRONOUNS and t.lo(k - 1) not in DETERMINERS):
                # unless it is the verb of a relative clause that has no other ("the city where X died")
                rel = [r for r in range(j + 1, k) if t.lo(r) in RELATIVE_PRONOUNS and t.is_word(r)]
                if not rel or any(t.is_finite(r) for r in range(rel[-1] + 1, k)):
                    fr.boundary = k
            fr.ident = fr.boundary is None and not wh_prep and wh in ("who", "what", "which")
    else:
        fr.kind = "wh_subj"
    return fr

