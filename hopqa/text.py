"""Text utilities shared by the index, the condenser and the reader: sentence splitting, the word tokeniser, the
stemmer and the answer-span normaliser. The word lists are in `hopqa.lexical`."""
from __future__ import annotations

import re
from functools import lru_cache

import pysbd
import Stemmer

from .lexical.lexicon import FUNCTION_WORDS

#: The Snowball stemmer's language: the reader's stems and the index's BM25 terms (recorded in the index manifest).
STEMMER_LANGUAGE = "english"

_WORD = re.compile(r"(?u)\b\w\w+\b")


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
    return [w for w in words(text) if w not in FUNCTION_WORDS]


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    """The one Snowball stemmer (PyStemmer), shared by the reader and the index's BM25 tokeniser."""
    return Stemmer.Stemmer(STEMMER_LANGUAGE)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of a lower-cased word ("married" -> "marri")."""
    return stemmer().stemWord(word)


@lru_cache(maxsize=200_000)
def word_stems(word: str) -> tuple[str, ...]:
    """Stems of a lower-cased token: the whole word (possessive dropped) and the parts of a hyphenated word."""
    w = word[:-2] if word.endswith("'s") or word.endswith("’s") else word
    out = [stem(w)]
    if "-" in w:
        out.extend(stem(p) for p in w.split("-") if len(p) > 1)
    return tuple(out)


_ARTICLE = re.compile(r"\b(a|an|the)\b")


@lru_cache(maxsize=100_000)
def span_key(text: str) -> str:
    """A span compared loosely: lower-cased, punctuation (ASCII and the common Unicode dashes and quotes) turned
    into spaces, articles dropped ("The Beta," ~ "beta"). Used to ground a reader's answer in its facts and to
    compare the reader's candidates with the question and with excluded spans."""
    s = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(_ARTICLE.sub(" ", s).split())
