"""Corpus ingestion: every supported input becomes a stream of `Passage`s.

Formats (``fmt``; "auto" guesses from the file):
- ``jsonl`` / ``json``: records with configurable id/title/text fields (title and id optional).
- ``musique``: MuSiQue JSONL; the paragraphs of all questions pooled and de-duplicated by (title, text); each question's
  paragraph ``idx`` -> passage id map is kept (`Corpus.question_map`) so evaluation can translate back.
- ``hotpot``: HotpotQA and 2WikiMultihopQA (``context`` as [title, sentences] pairs), pooled the same way.
- ``folder``: a folder of .txt/.md files, split into passages of at most ``max_words`` words with ``overlap_words``.

Only the passage text, title and the paragraph ``idx`` are read here: gold fields (supporting flags, decompositions,
answers) are never touched.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Literal

from .errors import InputError
from .records import RecordReader
from .types import Passage

Format = Literal["auto", "jsonl", "json", "musique", "hotpot", "2wiki", "folder"]
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst")


def content_id(title: str, text: str) -> str:
    """A stable passage id from its content: pooled datasets have no global paragraph ids of their own."""
    return "p" + hashlib.sha1(f"{title}\n{text}".encode("utf-8")).hexdigest()[:15]


@dataclass
class CorpusSource:
    path: str
    fmt: Format = "auto"
    id_field: str = "id"
    title_field: str = "title"
    text_field: str = "text"


@dataclass
class Corpus:
    """Passages read from one or more sources, de-duplicated by id and by (title, text)."""

    passages: list[Passage] = field(default_factory=list)
    question_map: dict[str, list[str]] = field(default_factory=dict)  # MuSiQue/Hotpot question id -> passage id by idx
    skipped_duplicates: int = 0
    sources: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for p in self.passages:
            h.update(f"{p.id}\x00{p.title}\x00{p.text}\x01".encode("utf-8"))
        return h.hexdigest()


def detect_format(path: Path) -> Format:
    if path.is_dir():
        return "folder"
    if path.suffix.lower() in TEXT_SUFFIXES:
        return "folder"
    reader = RecordReader(path)
    for rec in reader:
        if "paragraphs" in rec and "question" in rec:
            return "musique"
        if "context" in rec and "question" in rec:
            return "hotpot"
        return "jsonl" if reader.jsonl else "json"
    return "jsonl" if reader.jsonl else "json"


def _str_field(reader: RecordReader, i: int, rec: dict, name: str, required: bool) -> str:
    value = rec.get(name)
    if value is None:
        if required:
            raise reader.error(i, "missing", field=name)
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "text":
        return str(value)
    if not isinstance(value, str):
        raise reader.error(i, f"must be a string, got {type(value).__name__}", field=name)
    if required and not value.strip():
        raise reader.error(i, "is empty", field=name)
    return value


def _records(src: CorpusSource, path: Path) -> Iterator[tuple[str | None, Passage]]:
    reader = RecordReader(path)
    for i, rec in enumerate(reader):
        text = _str_field(reader, i, rec, src.text_field, required=True)
        title = _str_field(reader, i, rec, src.title_field, required=False)
        pid = _str_field(reader, i, rec, src.id_field, required=False) or content_id(title, text)
        yield None, Passage(pid, title, text)


def _musique(path: Path) -> Iterator[tuple[str, list[Passage]]]:
    reader = RecordReader(path)
    for i, rec in enumerate(reader):
        qid = rec.get("id")
        if not isinstance(qid, str) or not qid:
            raise reader.error(i, "missing or not a string", field="id")
        paras = rec.get("paragraphs")
        if not isinstance(paras, list) or not paras:
            raise reader.error(i, "missing or empty", field="paragraphs")
        out: list[Passage] = [None] * len(paras)  # type: ignore[list-item]
        for j, p in enumerate(paras):
            if not isinstance(p, dict):
                raise reader.error(i, "must be an object", field=f"paragraphs[{j}]")
            idx = p.get("idx", j)
            if not isinstance(idx, int) or not 0 <= idx < len(paras):
                raise reader.error(i, f"bad idx {idx!r}", field=f"paragraphs[{j}].idx")
            text = p.get("paragraph_text")
            if not isinstance(text, str) or not text.strip():
                raise reader.error(i, "missing or empty", field=f"paragraphs[{j}].paragraph_text")
            title = p.get("title") or ""
            out[idx] = Passage(content_id(title, text), title, text)
        if any(p is None for p in out):
            raise reader.error(i, "paragraph idx values are not 0..n-1", field="paragraphs")
        yield qid, out


def _hotpot(path: Path) -> Iterator[tuple[str, list[Passage]]]:
    reader = RecordReader(path)
    for i, rec in enumerate(reader):
        qid = rec.get("_id", rec.get("id"))
        if not isinstance(qid, str) or not qid:
            raise reader.error(i, "missing or not a string", field="_id")
        ctx = rec.get("context")
        if isinstance(ctx, dict) and "title" in ctx and "sentences" in ctx:  # the Hugging Face layout
            ctx = list(zip(ctx["title"], ctx["sentences"]))
        if not isinstance(ctx, list) or not ctx:
            raise reader.error(i, "missing or empty", field="context")
        out = []
        for j, item in enumerate(ctx):
            if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[1], list)):
                raise reader.error(i, "expected [title, [sentences...]]", field=f"context[{j}]")
            title, sents = item
            text = " ".join(s.strip() for s in sents if isinstance(s, str) and s.strip())
            if not text:
                raise reader.error(i, "no sentences", field=f"context[{j}]")
            out.append(Passage(content_id(str(title), text), str(title), text))
        yield qid, out


def split_words(text: str, max_words: int, overlap: int) -> list[str]:
    """Split text into chunks of at most max_words words, consecutive chunks sharing `overlap` words."""
    toks = text.split()
    if not toks:
        return []
    if len(toks) <= max_words:
        return [" ".join(toks)]
    step = max(1, max_words - max(0, min(overlap, max_words - 1)))
    chunks = []
    for start in range(0, len(toks), step):
        chunks.append(" ".join(toks[start : start + max_words]))
        if start + max_words >= len(toks):
            break
    return chunks


def _folder(path: Path, max_words: int, overlap: int) -> Iterator[tuple[None, Passage]]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES)
    base = path.parent if path.is_file() else path
    for f in files:
        raw = f.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"not valid UTF-8 (byte 0x{raw[e.start]:02x})", file=str(f), line=raw[: e.start].count(b"\n") + 1) from None
        rel = f.relative_to(base).as_posix()
        title = f.stem.replace("_", " ").replace("-", " ").strip()
        # Paragraphs first (blank-line separated), each split to the length bound: passages do not straddle paragraphs.
        n = 0
        for para in (p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()):
            for chunk in split_words(para, max_words, overlap):
                yield None, Passage(f"{rel}#{n}", title, chunk)
                n += 1


def read_corpus(sources: Iterable[CorpusSource], *, max_words: int = 120, overlap_words: int = 20, skip_ids: Iterable[str] = (),
                skip_keys: Iterable[tuple[str, str]] = ()) -> Corpus:
    """Read all sources into one de-duplicated corpus. ``skip_ids``/``skip_keys`` are passages already indexed (append)."""
    corpus = Corpus()
    seen_ids: dict[str, tuple[str, str]] = {}
    seen_keys: set[tuple[str, str]] = set(skip_keys)
    known_ids = set(skip_ids)

    def add(p: Passage, where: str) -> None:
        key = (p.title, p.text)
        if key in seen_keys or p.id in known_ids:
            if p.id in seen_ids and seen_ids[p.id] != key:
                raise InputError(f"duplicate id '{p.id}' with different content", file=where, field="id")
            corpus.skipped_duplicates += 1
            return
        if p.id in seen_ids:
            raise InputError(f"duplicate id '{p.id}' with different content", file=where, field="id")
        seen_ids[p.id] = key
        seen_keys.add(key)
        corpus.passages.append(p)

    for src in sources:
        path = Path(src.path).expanduser()
        if not path.exists():
            raise InputError("file not found", file=str(path))
        fmt = detect_format(path) if src.fmt == "auto" else src.fmt
        corpus.sources.append(f"{path}:{fmt}")
        if fmt in ("jsonl", "json"):
            for _, p in _records(src, path):
                add(p, str(path))
        elif fmt == "musique":
            for qid, paras in _musique(path):
                corpus.question_map[qid] = [p.id for p in paras]
                for p in paras:
                    add(p, str(path))
        elif fmt in ("hotpot", "2wiki"):
            for qid, paras in _hotpot(path):
                corpus.question_map[qid] = [p.id for p in paras]
                for p in paras:
                    add(p, str(path))
        elif fmt == "folder":
            for _, p in _folder(path, max_words, overlap_words):
                add(p, str(path))
        else:
            raise InputError(f"unknown format '{fmt}'", file=str(path))
    return corpus
