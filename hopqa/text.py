"""Text utilities shared by the index, the condenser and the reader: sentence splitting and tokenisation."""
from __future__ import annotations

import re
from functools import lru_cache

import pysbd

_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(
    """a an the of in on at to for from by with and or but is was were are be been being as that this these those which
    who whom whose what when where why how did does do has have had it its his her their there than then into onto
    about after before during under over between also not no he she they him them i you we our your my me us""".split()
)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=False)


@lru_cache(maxsize=65536)
def _split_cached(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _segmenter().segment(text) if s.strip())


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences with pysbd (rule-based, offline). Cached: passages recur across hops and questions."""
    if not text.strip():
        return []
    return list(_split_cached(text))


def words(text: str) -> list[str]:
    """Lower-cased word tokens of two characters or more."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Lower-cased word tokens without stop words."""
    return [w for w in words(text) if w not in _STOP]


def is_stopword(word: str) -> bool:
    return word.lower() in _STOP


_ARTICLE = re.compile(r"\b(a|an|the)\b")


def span_key(text: str) -> str:
    """A span compared loosely: lower-cased, punctuation (ASCII and the common Unicode dashes and quotes) turned
    into spaces, articles dropped ("The Beta," ~ "beta"). Used to ground a reader's answer in its facts."""
    s = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(_ARTICLE.sub(" ", s).split())
