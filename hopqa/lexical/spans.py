"""Candidate answer spans of a sentence, for the rule reader (`hopqa.reader`): the tokeniser of names, dates and
numbers (`tokenize`), and `analyse`, which proposes every span a sentence offers (capitalised names with "of", "de",
"the", "'s" inside, dates, numbers and quantities, quoted titles, the noun phrase after a copula) and guesses each
name's kind (person / place / organisation) from its own words and its context. Cached per sentence.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import (
    CATEGORY_NOUNS, CITIES, COMMON_WORDS, COUNTRIES, COUNTRY_PHRASES, DEMONYM_WORDS, GAZETTEER, GENERIC_HEADS,
    MONTHS, NAME_CONNECTORS, ORG_HEADS, PERSON_VERBS, PERSONAL_PRONOUNS, PLACE_HEADS, PLACE_PRECEDERS, PLACE_PREPS,
    REFERRING_PRONOUNS, REGIONS, ROLE_NOUNS, STATE_PHRASES, SURNAME_PARTICLES, TITLES, US_STATES, WEEKDAYS,
)
from ..text import word_stems


# ---------------------------------------------------------------------------------------------------------- tokens
# (the word lists are `hopqa.lexical`'s; the stemmer and the normaliser `hopqa.text`'s)

_MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_TOKEN = re.compile(
    r"(?:St|Mt|Dr|Mr|Mrs|Ms|Jr|Sr|Ft|Co|Inc|Ltd|Bros|Gen|Lt|Col|Capt|Rev|Prof|No|vs|Corp)\.(?=\s)"
    r"|(?:[A-Za-z]\.){2,}"  # A.P.J.  U.S.
    r"|[A-Z]\.(?=\s+[A-Z])"  # the initial in "Glenn L. Martin"
    r"|\d+(?:[.,]\d+)*(?:%|st|nd|rd|th|s)?"
    r"|[^\W\d_](?:\w|['’\-](?=\w))*"
    r"|[^\w\s]"
)
# Capitalised hyphenated adjectives that are not names: "Charlotte-based", "Russian-born".
ADJ_SUFFIX = re.compile(
    r"-(?:based|born|owned|led|era|style|speaking|backed|funded|controlled|like|type|class|bound|made|built|"
    r"produced|language|influenced|inspired|occupied|held|run|centric|oriented)$"
)


@dataclass
class Token:
    text: str
    start: int
    end: int
    low: str
    cap: bool  # may be a word of a name
    word: bool
    stems: tuple[str, ...]


def tokenize(sentence: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(sentence):
        t = m.group(0)
        low = t.lower()
        word = t[0].isalnum()
        cap = word and not t[0].isdigit() and (t[0].isupper() or t[1:] != low[1:])
        if cap and ADJ_SUFFIX.search(low):
            cap = False
        stems = word_stems(low) if word else ()
        out.append(Token(t, m.start(), m.end(), low, cap, word, stems))
    return out


def is_month(low: str) -> bool:
    return low.rstrip(".") in MONTHS


# ---------------------------------------------------------------------------------------------------------- candidates


@dataclass
class Span:
    text: str
    i: int  # first token
    j: int  # one past the last token
    kind: str  # name / date / year / number / quote / np / title
    person: float = 0.0
    place: float = 0.0
    org: float = 0.0
    piece: bool = False  # a piece of a longer name
    paren: bool = False  # inside parentheses
    initial: bool = False  # a single capitalised word starting the sentence
    modifier: bool = False  # modifies a following noun ("American actor", "CBS daytime soap")
    demonym: bool = False  # looks like a nationality adjective
    container: bool = False  # the second place of "Notus, Idaho"
    country: bool = False
    state: bool = False
    titled: bool = False  # starts with a title ("Queen Elizabeth II")
    life: str | None = None  # inside the birth or the death side of a life-span parenthesis
    poss: bool = False  # ends with a possessive 's ("Avicenna's The Canon of Medicine")
    styled: bool = False  # a style rather than a name: "Duke of Edinburgh", "King of France"
    last: str = ""  # lower-cased last word


_DATE_PATTERNS = [
    re.compile(r"\b\d{1,2}\s+" + _MONTH_RE + r",?\s+\d{3,4}\b"),  # 4 May 1436
    re.compile(r"\b" + _MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{3,4}\b"),  # December 2, 1804
    re.compile(r"\b" + _MONTH_RE + r",?\s+\d{4}\b"),  # March 1887
    re.compile(r"\b" + _MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?\b(?!,?\s*\d)"),  # May 26
    re.compile(r"\b\d{1,2}\s+" + _MONTH_RE + r"(?!\s*,?\s*\d)"),  # 26 May
    re.compile(r"\b\d{1,4}\s*[–—-]\s*\d{1,4}\s+(?:BC|BCE|AD|CE)\b"),  # 323–272 BC
    re.compile(r"\b(?:AD\s+)?\d{1,4}\s+(?:BC|BCE|AD|CE)\b|\bAD\s+\d{1,4}\b"),
    re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})(?:\s*,\s*(?:1[0-9]{3}|20[0-9]{2}))*,?\s+and\s+(?:1[0-9]{3}|20[0-9]{2})\b"),
    re.compile(
        r"\b(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|"
        r"twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
        r"twenty-first)[\s-]+century(?:\s+(?:BC|BCE|AD))?",
        re.I,
    ),
    re.compile(r"\b(?:early|mid|late)[\s-]+(?:1[0-9]{3}|20[0-9]{2})s\b"),
    re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})s\b"),
]
_YEAR = re.compile(r"(?<![\d,.])(?:1[0-9]{3}|20[0-9]{2})(?![\d%]|[.,]\d)")
_NUMBER = re.compile(
    r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
    r"(?:\s*(?:%|percent\b|per\s+cent\b))?"
    r"(?:\s+(?:million|billion|thousand|hundred|trillion)\b)?"
)
_WORD_NUM = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen|"
    r"hundreds|thousands|millions)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|"
    r"million))*\b",
    re.I,
)
_UNIT = re.compile(
    r"\s*(?:[a-z]+\s+)?(?:people|inhabitants|residents|persons|citizens|members|students|employees|km2|km²|km|"
    r"kilometres|kilometers|miles|mi|metres|meters|m|ft|feet|acres|hectares|square\s+(?:miles|kilometres|kilometers)|"
    r"years|episodes|seasons|copies|units|games|goals|points|times|votes|seats|dollars|euros|pounds|tonnes|tons|"
    r"atms|branches|stores|locations|languages|species|children|songs|albums|films|books|titles|medals|wins|"
    r"matches|countries|states|counties|cities|islands)\b"
    r"(?:\s+per\s+square\s+(?:mile|kilometre|kilometer)\b)?(?:\s*\([^()]{1,30}\))?",
    re.I,
)
_QUOTED = re.compile(r"\"([^\"]{2,80})\"|“([^”]{2,80})”|``\s*([^`']{2,80}?)\s*''")
_COPULA_NP = re.compile(
    r"\b(?:is|was|are|were|became|becomes|remains)\s+(?:a|an|the|one of the)\s+"
    r"((?:[\w\-]+\s+){0,5}?[\w\-]+?)(?=\s*(?:[,.;:()]|\s(?:that|which|who|whose|where|when|in|on|at|from|by|for|"
    r"with|and|of|based|located|founded|known|established|created|born|since|until)\b|$))",
    re.I,
)


@dataclass
class Sentence:
    text: str
    tokens: list[Token]
    spans: list[Span]
    pronouns: tuple[int, ...]  # a leading pronoun ("He was born ...") and the personal pronouns after it
    clause: list[int]  # clause number of each token (commas, semicolons and colons separate clauses)


def _tok_range(starts: list[int], ends: list[int], start: int, end: int) -> tuple[int, int]:
    i = bisect.bisect_right(ends, start)
    j = bisect.bisect_left(starts, end)
    return i, max(j, i + 1)


def _span_text(tokens: list[Token], sentence: str, i: int, j: int) -> str:
    text = sentence[tokens[i].start:tokens[j - 1].end]
    if text.endswith("'s") or text.endswith("’s"):
        text = text[:-2]
    return text.strip(" ,;:")


def _name_spans(tokens: list[Token], sentence: str) -> list[Span]:
    spans: list[Span] = []
    n = len(tokens)
    k = 0
    while k < n:
        t = tokens[k]
        ok = t.cap and not is_month(t.low) and t.low not in WEEKDAYS
        at_start = k == 0 or tokens[k - 1].text in ('"', "“", "(", ":", "‘", ";", "`")
        if ok and t.low in COMMON_WORDS and (at_start or not (k + 1 < n and tokens[k + 1].cap)):
            ok = False
        if ok and at_start and k + 1 < n and t.low.endswith(("ed", "ing", "ly")) and not tokens[k + 1].cap:
            ok = False  # "Based on ...", "Following ..."
        if not ok:
            k += 1
            continue
        j = k + 1
        while j < n:
            u = tokens[j]
            if u.cap and u.low.endswith("ed") and j + 1 < n and tokens[j + 1].low == "by":
                break  # "... Margaret Mitchell Portrayed by ...": infobox labels are not part of a name
            if u.cap and not (is_month(u.low) and j + 1 < n and tokens[j + 1].text[:1].isdigit()):
                j += 1
                continue
            if u.low in NAME_CONNECTORS and j + 1 < n and tokens[j + 1].cap and not is_month(tokens[j + 1].low) \
                    and tokens[j + 1].low not in COMMON_WORDS and not (
                        j + 2 < n and tokens[j + 2].word and not tokens[j + 2].cap
                        and tokens[j + 2].low not in COMMON_WORDS and u.low != "'s"):
                j += 2
                continue
            # a quoted nickname inside a name: David "Davy" Crockett
            if u.text in ('"', "“") and j + 3 < n and tokens[j + 1].cap and tokens[j + 2].text in ('"', "”") \
                    and tokens[j + 3].cap:
                j += 4
                continue
            break
        i0 = k
        if tokens[i0].low == "the" and j - i0 > 1:
            i0 += 1
        spans.extend(_name_with_pieces(tokens, sentence, i0, j))
        k = j
    return spans


def _name_with_pieces(tokens: list[Token], sentence: str, i: int, j: int) -> list[Span]:
    full = Span(_span_text(tokens, sentence, i, j), i, j, "name")
    out = [full]
    lows = [t.low for t in tokens[i:j]]
    # "X the Elder" -> X ; "A of B" -> B, and A when it is a name itself ("Louvre Museum of Paris")
    for k in range(i + 1, j - 1):
        low = tokens[k].low
        if low in ("the", "of", "for"):
            left, right = (i, k), (k + 1, j)
            if low != "for" and right[1] - right[0] >= 1 and tokens[right[0]].low not in COMMON_WORDS:
                out.append(Span(_span_text(tokens, sentence, *right), *right, "name", piece=True))
            lw = [t.low for t in tokens[left[0]:left[1]]]
            if len(lw) >= 2 and lw[-1] not in GENERIC_HEADS - frozenset({"museum"}) and lw[0] not in TITLES:
                out.append(Span(_span_text(tokens, sentence, *left), *left, "name", piece=True))
            elif low == "the" and len(lw) >= 1:
                out.append(Span(_span_text(tokens, sentence, *left), *left, "name", piece=True))
            break
        if low.endswith("'s") and low != "'s" and k + 1 < j:
            out.append(Span(_span_text(tokens, sentence, k + 1, j), k + 1, j, "name", piece=True))
            break
    if lows[0] in TITLES and j - i >= 2 and tokens[i + 1].low not in NAME_CONNECTORS:
        s = Span(_span_text(tokens, sentence, i + 1, j), i + 1, j, "name", piece=False)
        full.titled = True
        out.append(s)
    return [s for s in out if s.text]


def _guess_name_kind(span: Span, tokens: list[Token]) -> None:
    ws = [t.low for t in tokens[span.i:span.j] if t.word]
    if not ws:
        return
    # the head of "Bank of America" is "bank"; of "Orange River" it is "river"
    if "of" in ws[1:]:
        head = ws[ws.index("of", 1) - 1]
    else:
        head = ws[-1]
    head = head.rstrip(".")
    phrase = " ".join(ws)
    first = ws[0]
    n = len(tokens)
    prev = tokens[span.i - 1].low if span.i > 0 else ""
    prev2 = tokens[span.i - 2].low if span.i > 1 else ""
    nxt = tokens[span.j] if span.j < n else None
    nxt2 = tokens[span.j + 1] if span.j + 1 < n else None
    person = place = org = 0.0
    span.country = phrase in COUNTRIES or phrase in COUNTRY_PHRASES
    span.state = phrase in US_STATES or phrase in STATE_PHRASES
    if head in PLACE_HEADS or first in ("lake", "mount", "mt.", "isle", "port", "fort", "cape", "gulf", "rio"):
        place += 0.8
    if span.country or span.state or phrase in REGIONS or phrase in CITIES:
        place += 0.9
    if head in ORG_HEADS or first in ("university", "bank", "royal") or (
        2 <= len(span.text) <= 6 and span.text.replace(".", "").isupper() and span.text.isalpha()
    ):
        org += 0.8
    if first in TITLES and len(ws) >= 2:
        person += 0.6
    if prev in ROLE_NOUNS or prev in PERSON_VERBS or prev == "by" or (
        prev in ("the", "a", "an", "his", "her", "of") and prev2 in ROLE_NOUNS
    ):
        person += 0.4
    if prev in PLACE_PREPS or prev in PLACE_PRECEDERS:
        place += 0.3
    if prev2 in PLACE_PRECEDERS and prev in PLACE_PREPS:
        place += 0.3
    if nxt is not None and nxt.text == "," and nxt2 is not None and nxt2.cap and nxt2.low in GAZETTEER:
        place += 0.5
    if nxt is not None and nxt.text == "(" and nxt2 is not None and (
        nxt2.low in ("born", "née", "nee", "c.", "circa") or nxt2.text[:1].isdigit()
    ):
        person += 0.5
    plain = all(t.cap for t in tokens[span.i:span.j])
    if 2 <= len(ws) <= 4 and place < 0.5 and org < 0.5 and (plain or any(w in SURNAME_PARTICLES for w in ws)):
        person += 0.45
    if len(ws) == 1 and place < 0.5 and org < 0.5:
        person += 0.15  # a surname alone, or a one-word place
        place += 0.15
    epithet = len(ws) >= 3 and ws[-2] == "the"  # "Lorenzo Costa the Elder"
    connected = any(w in ("of", "the", "for", "&") for w in ws[1:])
    if person < 0.5 and connected and first not in TITLES and not epithet:
        person -= 0.2
    # container: the "Idaho" of "Notus, Idaho" (also "Paris, France")
    if prev == "," and span.i >= 2 and tokens[span.i - 2].cap and (place > 0.3 or span.country or span.state):
        span.container = True
    # modifiers: "American comedy film", "Major League Baseball pitcher"
    if nxt is not None and nxt.word and not nxt.cap and (nxt.low in CATEGORY_NOUNS
                                                         or nxt.low.rstrip("s") in CATEGORY_NOUNS):
        span.modifier = True
    if len(ws) == 1 and (first.endswith(("an", "ian", "ese", "ish", "ic", "ean", "i")) or first in DEMONYM_WORDS):
        if nxt is not None and nxt.word and not nxt.cap:
            span.demonym = True
            span.modifier = True  # "American country music artist"
        elif first in DEMONYM_WORDS or first.endswith(("ian", "ese", "ish")):
            span.demonym = True
    span.person = max(0.0, min(1.0, person))
    span.place = max(0.0, min(1.0, place))
    span.org = max(0.0, min(1.0, org))
    span.last = head


def _mark_context(spans: list[Span], tokens: list[Token]) -> None:
    """Parentheses and life spans: "(Moscow, 28 February 1908 – San Diego, 26 July 2005)"."""
    depth = 0
    paren = [False] * len(tokens)
    life: list[str | None] = [None] * len(tokens)
    open_at: list[int] = []
    for k, t in enumerate(tokens):
        if t.text == "(":
            depth += 1
            open_at.append(k)
        elif t.text == ")" and depth:
            depth -= 1
            a = open_at.pop()
            inner = tokens[a + 1:k]
            dash = next((x for x, u in enumerate(inner) if u.text in ("–", "—", "-") and x > 0
                         and inner[x - 1].text not in ("–", "—", "-")), None)
            years = [x for x, u in enumerate(inner) if re.fullmatch(r"\d{3,4}", u.text)]
            if dash is not None and years and years[0] < dash and years[-1] > dash:
                for x in range(a + 1, a + 1 + dash):
                    life[x] = "birth"
                for x in range(a + 1 + dash, k):
                    life[x] = "death"
            elif inner and inner[0].low in ("born", "b.", "née"):
                for x in range(a + 1, k):
                    life[x] = "birth"
        paren[k] = depth > 0
    for s in spans:
        if s.i < len(tokens):
            s.paren = paren[s.i]
            s.life = life[s.i]


@lru_cache(maxsize=32768)
def analyse(sentence: str) -> Sentence:
    tokens = tokenize(sentence)
    starts = [t.start for t in tokens]
    ends = [t.end for t in tokens]
    spans = _name_spans(tokens, sentence)
    for s in spans:
        _guess_name_kind(s, tokens)
        s.initial = s.i == 0 and s.j - s.i == 1
    taken: list[tuple[int, int]] = []
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(sentence):
            if any(a <= m.start() and m.end() <= b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            i, j = _tok_range(starts, ends, m.start(), m.end())
            spans.append(Span(m.group(0).strip(), i, j, "date"))
    for m in _YEAR.finditer(sentence):
        if any(a <= m.start() and m.end() <= b for a, b in taken):
            continue
        i, j = _tok_range(starts, ends, m.start(), m.end())
        spans.append(Span(m.group(0), i, j, "year"))
    for pat in (_NUMBER, _WORD_NUM):
        for m in pat.finditer(sentence):
            text = m.group(0).strip()
            if not text:
                continue
            if any(a <= m.start() and m.end() <= b for a, b in taken):
                continue
            if pat is _NUMBER and _YEAR.fullmatch(text):
                continue
            i, j = _tok_range(starts, ends, m.start(), m.end())
            spans.append(Span(text, i, j, "number"))
            u = _UNIT.match(sentence, m.end())
            if u and u.group(0).strip():
                i2, j2 = _tok_range(starts, ends, m.start(), u.end())
                spans.append(Span(sentence[m.start():u.end()].strip(), i2, j2, "number"))
    for m in _QUOTED.finditer(sentence):
        g = next(x for x in m.groups() if x)
        i, j = _tok_range(starts, ends, m.start(), m.end())
        spans.append(Span(g.strip(" ,."), i, j, "quote"))
    for m in _COPULA_NP.finditer(sentence):
        i, j = _tok_range(starts, ends, m.start(1), m.end(1))
        if any(tokens[x].cap for x in range(i, min(j, len(tokens)))):
            continue  # names are proposed as names
        spans.append(Span(m.group(1).strip(), i, j, "np"))
    _mark_context(spans, tokens)
    # a sentence that starts with a pronoun speaks of the passage's subject: "She won ... for her role as ..."
    pronouns: list[int] = []
    for k, t in enumerate(tokens[:6]):
        if t.low in REFERRING_PRONOUNS and t.word:
            pronouns = [k] + [x for x in range(k + 1, len(tokens)) if tokens[x].low in PERSONAL_PRONOUNS][:2]
            break
        if t.cap and t.low not in COMMON_WORDS:
            break
    clause, c = [], 0
    for t in tokens:
        if t.text in (",", ";", ":"):
            c += 1
        clause.append(c)
    for s in spans:
        if 0 < s.j <= len(tokens) and tokens[s.j - 1].low.endswith(("'s", "’s")):
            s.poss = True
        ws = [t.low for t in tokens[s.i:s.j]]
        if s.kind == "name" and len(ws) >= 3 and ws[0] in TITLES and ws[1] == "of":
            s.styled = True
    return Sentence(sentence, tokens, spans, tuple(pronouns), clause)


__all__ = ["ADJ_SUFFIX", "Sentence", "Span", "Token", "analyse", "is_month", "tokenize"]
