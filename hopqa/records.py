"""Reading JSON / JSONL record files with `datasets` (streaming, so a large file is never loaded whole), and turning
any failure into a one-line error that names the file, the line and, where it applies, the field.

`datasets` reads the happy path; when it fails, a cheap diagnostic pass over the raw lines finds the first line
that is not valid UTF-8 or not valid JSON, so the message can point at it.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

from .errors import InputError


def _diagnose(path: Path, jsonl: bool) -> InputError:
    """Find the first bad line of a file that `datasets` refused."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        return InputError(f"cannot read: {e.strerror}", file=str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return InputError(f"not valid UTF-8 (byte 0x{raw[e.start]:02x})", file=str(path), line=line)
    if not jsonl:
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            return InputError(f"invalid JSON: {e.msg}", file=str(path), line=e.lineno)
        return InputError("not a JSON array of records (or an object holding one)", file=str(path))
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            return InputError(f"invalid JSON: {e.msg} (column {e.colno})", file=str(path), line=n)
        if not isinstance(obj, dict):
            return InputError(f"expected a JSON object, got {type(obj).__name__}", file=str(path), line=n)
    return InputError("records do not share one schema (a field changes type between lines)", file=str(path))


def _line_numbers(path: Path) -> list[int]:
    """1-based line numbers of the non-blank lines: record i of a JSONL file sits on line_numbers[i]."""
    out = []
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                out.append(n)
    return out


class RecordReader:
    """Iterate the records of a JSON or JSONL file as dicts, with `line_of(i)` for error messages."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError("file not found", file=str(self.path))
        if self.path.is_dir():
            raise InputError("is a folder, expected a JSON or JSONL file", file=str(self.path))
        self.jsonl = self.path.suffix.lower() in (".jsonl", ".ndjson") or self._looks_jsonl()
        self._lines: list[int] | None = None

    def _looks_jsonl(self) -> bool:
        with self.path.open("rb") as fh:
            head = fh.read(1)
            while head and head.isspace():
                head = fh.read(1)
        return head == b"{" and self.path.suffix.lower() != ".json"

    def line_of(self, i: int) -> int | None:
        if not self.jsonl:
            return None
        if self._lines is None:
            self._lines = _line_numbers(self.path)
        return self._lines[i] if i < len(self._lines) else None

    def error(self, i: int, message: str, field: str | None = None) -> InputError:
        line = self.line_of(i)
        if line is None and not self.jsonl:
            message = f"record {i + 1}: {message}"
        return InputError(message, file=str(self.path), line=line, field=field)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self.path.stat().st_size == 0:
            return
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity(datasets.logging.CRITICAL)
        try:
            ds = datasets.load_dataset("json", data_files=str(self.path), split="train", streaming=True)
            for rec in ds:
                yield rec
        except InputError:
            raise
        except Exception:  # pyarrow / datasets raise many types; diagnose from the raw file instead
            raise _diagnose(self.path, self.jsonl) from None


def read_questions(path: str | Path) -> list[str]:
    """The questions of a file, or of stdin when `path` is '-': one per non-blank line, either plain text or a JSON
    object with a 'question' field (lines of both kinds may mix). Bad input is a one-line `InputError`."""
    if str(path) == "-":
        lines, src = sys.stdin.read().splitlines(), "<stdin>"
    else:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise InputError("file not found", file=str(path)) from None
        except UnicodeDecodeError:
            raise InputError("not valid UTF-8", file=str(path)) from None
        src = str(path)
    questions = []
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("{"):
            try:
                rec = json.loads(s)
            except json.JSONDecodeError as e:
                raise InputError(f"invalid JSON: {e.msg}", file=src, line=n) from None
            q = rec.get("question")
            if not isinstance(q, str) or not q.strip():
                raise InputError("missing or empty", file=src, line=n, field="question")
            s = q
        questions.append(s)
    return questions
