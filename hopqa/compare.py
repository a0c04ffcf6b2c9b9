"""Question shapes beyond composition: comparison, yes/no and bridge-comparison questions, on the same machine.

`shape(question)` names the shape and the entities to look up:

- **comparison**: "Which film came out first, Alpha or The Beta?" -> one lookup per option; the answer is one of
  the options.
- **yes_no**: "Are Alpha and Beta both American?", "Is Alpha older than Beta?" -> one lookup per named entity; the
  answer is yes or no.
- **intersection**: "What profession do Alpha and Beta have in common?" -> one lookup per named entity; the answer
  is a span the facts state of both.
- **bridge_comparison**: the compared attribute belongs to a related entity ("Which film has the director born
  later, Alpha or Beta?", "Do both directors of films Alpha and Beta have the same nationality?") -> one lookup per
  option, then one follow-up hop per option along that option's bridge entities (its director, author, ...).

The decomposition is one sub-question per lookup, `"<entity>: <stem>"` (stem: the question without its options),
so the trace says what each hop looked for. Reading compares them: the language model reads the question over every
lookup's facts (its answer must be an option, or yes/no); the rule fallback (`compare_by_dates`) handles the date
comparisons ("earlier", "born first", "younger") by the years the facts state, and says unanswerable otherwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .lm.reader import is_yes_no, options
from .types import Fact

_BRIDGE = re.compile(
    r"\b(?:whose|(?:has|had|have|with) the|both \w+s of|the \w+s of (?:the )?(?:films?|songs?|albums?|books?))\s+"
    r"|\b(?:has|had|have|with) the \w+ (?:who|that|born|died)\b", re.IGNORECASE)
_CAP = re.compile(r"[A-Z0-9][\w'’.\-]*(?:\s+(?:(?:of|the|de|da|di|del|von|van|der|le|la|in|on|at|to|for|a|an|&)\s+)*"
                  r"[A-Z0-9][\w'’.\-]*)*")
_LEAD = {"is", "are", "was", "were", "do", "does", "did", "can", "could", "has", "have", "had", "will", "would",
         "which", "who", "what", "when", "where", "both"}
_FUNCTION = re.compile(r"(and|or|both|the|a|an|is|are|was|were|have|has|had|in|of|to|at|on|for|from|by|with|"
                       r"same|also|born|died|located|played|released)\b")
_EARLY = re.compile(r"\b(earlier|earliest|first|older|oldest|before|sooner|elder|eldest|longer ago)\b", re.IGNORECASE)
_LATE = re.compile(r"\b(later|latest|last|younger|youngest|more recent(?:ly)?|most recent(?:ly)?|newer|newest|after)\b",
                   re.IGNORECASE)
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")


@dataclass(frozen=True)
class Shape:
    kind: str  # "comparison", "yes_no", "intersection" or "bridge_comparison"
    entities: tuple[str, ...]
    stem: str
    bridge: bool = False
    sub_questions: tuple[str, ...] = field(default=())


def _names(question: str) -> list[str]:
    """The named entities of a yes/no question, without a leading auxiliary ("Are The Grey Herons ..." -> "The Grey
    Herons"); a lone capitalised word used as an adjective ("both *Velmoran* composers", "*American* actors") is an
    attribute, not an entity."""
    out: list[str] = []
    for m in _CAP.finditer(question):
        ws = m.group(0).split()
        while ws and ws[0].lower() in _LEAD:
            ws = ws[1:]
        name = " ".join(ws).strip(" ,.?")
        after = question[m.end():].lstrip()
        before = question[: m.start()].rstrip().lower()
        if len(ws) == 1 and (before.endswith("both") or (after[:1].islower() and not _FUNCTION.match(after))):
            continue
        if name and name not in out:
            out.append(name)
    # "both X and Y" names two things: titles joined by "and" ("Salt and Iron and The Last Ferry") are merged,
    # shortest adjacent pair first, until two are left
    if re.search(r"\bboth\b", question, re.IGNORECASE):
        while len(out) > 2:
            pairs = [i for i in range(len(out) - 1) if f"{out[i]} and {out[i + 1]}" in question]
            if not pairs:
                break
            i = min(pairs, key=lambda j: len(out[j].split()) + len(out[j + 1].split()))
            out[i: i + 2] = [f"{out[i]} and {out[i + 1]}"]
    return out


def _stem(question: str, entities: Sequence[str]) -> str:
    q = question.strip().rstrip("?").strip()
    for e in entities:
        q = q.replace(e, " ")
    q = re.sub(r"\s*,?\s*\bor\b\s*", " ", q)
    q = re.sub(r"\s+(?:and\s+)+", " ", q)
    return " ".join(q.split()).strip(" ,")


def shape(question: str, max_hops: int = 4) -> Shape | None:
    """The question's shape when it is not a plain composition (see the module docstring), else None."""
    q = " ".join(question.split())
    opts = options(q)
    bridge = bool(_BRIDGE.search(q))
    if len(opts) >= 2 and len(opts) <= max_hops:
        kind = "bridge_comparison" if bridge else "comparison"
        ents = tuple(opts)
    elif re.search(r"\b(?:in common|both|the same)\b", q, re.IGNORECASE) and not is_yes_no(q) and len(_names(q)) >= 2:
        ents = tuple(_names(q)[:max_hops])  # "What profession do A and B have in common?": a span true of both
        kind = "intersection"
    elif is_yes_no(q):
        ents = tuple(_names(q)[:max_hops])
        if not ents:
            return None
        kind = "bridge_comparison" if bridge and len(ents) >= 2 else "yes_no"
    else:
        return None
    stem = _stem(q, ents)
    subs = [f"{e}: {stem}?" for e in ents]
    if bridge and 2 * len(ents) <= max_hops:
        subs += [f"{e}: {stem}? (follow-up)" for e in ents]
    else:
        bridge = False
    return Shape(kind, ents, stem, bridge, tuple(subs))


def date_direction(question: str) -> str | None:
    """"early" when the question asks for the earlier / older / first, "late" for the later / younger / more
    recent, None when it compares something else (or both words occur)."""
    early, late = bool(_EARLY.search(question)), bool(_LATE.search(question))
    if early == late:
        return None
    return "early" if early else "late"


def pick_by_years(question: str, entities: Sequence[str], years: Sequence[int | None]) -> str | None:
    """The option with the earliest (or latest) year, as the question asks; None when a year is missing, the
    question compares no dates, or two options tie. "Younger" is born later, "older" born earlier."""
    direction = date_direction(question)
    if direction is None or len(entities) < 2 or len(years) != len(entities) or any(y is None for y in years):
        return None
    best = (min if direction == "early" else max)(years)  # type: ignore[type-var]
    if list(years).count(best) > 1:
        return None
    return entities[list(years).index(best)]


def first_years(facts_by_entity: Sequence[Sequence[Fact]]) -> list[int | None]:
    """Each option's earliest year stated in its facts (a birth, a founding, a release is usually the first date a
    Wikipedia-style passage gives)."""
    out: list[int | None] = []
    for facts in facts_by_entity:
        ys = [int(y) for f in facts for y in _YEAR.findall(f.text)]
        out.append(min(ys) if ys else None)
    return out


def compare_by_dates(question: str, entities: Sequence[str], facts_by_entity: Sequence[Sequence[Fact]]) -> str | None:
    """Rule fallback for date comparisons: the option whose facts give the earliest (or latest) year, when the
    question asks for one ("came out first", "born later", "younger") and every option has a year; else None."""
    return pick_by_years(question, entities, first_years(facts_by_entity))


__all__ = ["Shape", "compare_by_dates", "date_direction", "first_years", "pick_by_years", "shape"]
