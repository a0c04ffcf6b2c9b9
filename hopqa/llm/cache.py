"""An on-disk cache of LLM calls, so that rerunning the same calls costs no HTTP request.

One small JSON file per call, at `<dir>/<k[:2]>/<k>.json`, where `k` is the sha256 of the canonical JSON of
(endpoint url, model, messages, temperature, max_tokens, json_mode); see `cache_key`. The API key is never part of
the key or of an entry, and the endpoint url is stored without user-info or query string. Writes go to a temporary file
in the same folder and are moved into place with `os.replace`, so readers see either nothing or a whole entry, and
several threads (or processes) may write the same entry at once: the last one wins, and both wrote the same answer.
A file that cannot be read or parsed (a crash mid-write on a filesystem without atomic rename) counts as a miss.
Entries are plain JSON; nothing is ever pickled.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["CallCache", "cache_key", "default_cache_dir"]

FORMAT_VERSION = 1


def cache_key(
    endpoint: str,
    model: str | None,
    messages: list[dict[str, Any]],
    temperature: float,
    max_tokens: int,
    json_mode: bool,
    schema: dict[str, Any] | None = None,
) -> str:
    """The sha256 (hex) that names one call. `endpoint` should be the redacted url (no user-info, no query).
    A reply schema is part of the key only when there is one (keys of schema-free calls are unchanged)."""
    payload = {
        "v": FORMAT_VERSION,
        "endpoint": endpoint,
        "model": model,
        "messages": messages,
        "temperature": float(temperature),
        "max_tokens": int(max_tokens),
        "json_mode": bool(json_mode),
    }
    if schema is not None:
        payload["schema"] = schema
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def default_cache_dir(cache_dir: str | None = None) -> Path:
    """`cache_dir` if given, else $HOPQA_HOME/llm-cache."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    from ..config import hopqa_home

    return hopqa_home() / "llm-cache"


def _check(key: str) -> str:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("a cache key is a lowercase sha256 hex digest")
    return key


class CallCache:
    """`get(key) -> dict | None` and `put(key, entry: dict)`, one JSON file per key under `dir`."""

    def __init__(self, dir: str | os.PathLike[str]):
        self.dir = Path(dir).expanduser()

    def __repr__(self) -> str:
        return f"CallCache({str(self.dir)!r})"

    def path_for(self, key: str) -> Path:
        key = _check(key)
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path_for(key)
        try:
            with open(path, "r", encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("v") != FORMAT_VERSION or not isinstance(entry.get("text"), str):
            return None
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> Path:
        """Store `entry` (JSON-serialisable; needs a "text") atomically; returns the file's path."""
        path = self.path_for(key)
        data = {"v": FORMAT_VERSION, "key": key, "created": round(time.time(), 3), **entry}
        blob = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(blob)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return path

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        if not self.dir.is_dir():
            return 0
        return sum(1 for _ in self.dir.glob("??/*.json"))
