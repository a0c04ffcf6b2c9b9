"""Language models that answer with JSON under a schema: the embedded llama.cpp runtime, or any OpenAI-compatible endpoint.

Both implement `LanguageModel.generate(messages, schema, max_tokens) -> Generation`:

- `LocalLM` runs a GGUF model in-process on llama.cpp through `xllamacpp` (a prebuilt wheel: no compiler, no
  `-march=native` build, so one wheel runs on every x86-64 CPU). Replies are constrained by the JSON schema
  (llama.cpp's grammar sampler), decoding is greedy, and the shared system-prompt prefix stays in llama.cpp's prompt
  cache between calls. The model loads on first use (or in the background with `preload()`); the load time is
  reported once, in `usage()["load_seconds"]`.
- `EndpointLM` sends the same request through hopqa's `ChatClient` (retries, cache, key handling) with
  `response_format: json_schema`; a server that refuses the schema falls back to JSON mode and then to the tolerant
  parser.

Every reply is parsed and checked against the schema here (`conforms`); a reply that does not conform is retried once
and then raised as `LLMParseError`, which callers count and fall back from: a small model cannot move the machine
with a malformed reply.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..config import LLMConfig
from ..errors import LLMError, LLMParseError, ModelError
from ..llm.parse import extract_json
from .model import default_threads, embedded_model, mem_available, resolve_model


@dataclass(frozen=True)
class Generation:
    value: dict[str, Any]
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool = False


class LanguageModel(Protocol):
    name: str

    def generate(self, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int) -> Generation: ...
    def usage(self) -> dict[str, Any]: ...


_PY_TYPES = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "array": list, "object": dict}


def conforms(value: Any, schema: dict[str, Any], where: str = "reply") -> str | None:
    """None when `value` fits `schema` (the subset hopqa's schemas use: type, properties, required, items, enum,
    maxItems, maxLength); else why not, in a few words."""
    typ = schema.get("type")
    if typ:
        py = _PY_TYPES[typ]
        if not isinstance(value, py) or (typ in ("integer", "number") and isinstance(value, bool)):
            return f"{where} is not a {typ}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} is not one of {schema['enum']}"
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"{where} is longer than {schema['maxLength']} characters"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                return f"{where} has no '{key}'"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                why = conforms(value[key], sub, f"{where}.{key}")
                if why:
                    return why
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{where} has more than {schema['maxItems']} items"
        for i, item in enumerate(value):
            why = conforms(item, schema.get("items", {}), f"{where}[{i}]")
            if why:
                return why
    return None


class Counters:
    """Thread-safe usage counters, with a per-thread copy for per-question usage."""

    KEYS = ("calls", "prompt_tokens", "completion_tokens", "seconds", "invalid_replies", "retries")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._all = {k: 0 for k in self.KEYS}
        self._tls = threading.local()

    def add(self, **delta: float) -> None:
        with self._lock:
            for k, v in delta.items():
                self._all[k] += v
        mine = getattr(self._tls, "c", None)
        if mine is None:
            mine = self._tls.c = {k: 0 for k in self.KEYS}
        for k, v in delta.items():
            mine[k] += v

    def total(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._all)

    def thread(self) -> dict[str, Any]:
        return dict(getattr(self._tls, "c", None) or {k: 0 for k in self.KEYS})


def check_reply(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    value = extract_json(text, expect=dict)
    why = conforms(value, schema)
    if why:
        raise LLMParseError(f"reply does not fit the schema: {why}")
    return value  # type: ignore[return-value]


def llama_params(path: Path, n_ctx: int, threads: int) -> tuple[Any, Any]:
    """(xllamacpp, CommonParams) for greedy, quiet llama.cpp on `path`: the one setup of the in-process reader and of
    `hopqa llm serve` (logs only with HOPQA_DEBUG=1)."""
    try:
        import xllamacpp as xlc
    except ImportError:
        raise ModelError("the local language model needs xllamacpp (pip install 'hopqa[lm]')") from None
    p = xlc.CommonParams()
    p.model.path = str(path)
    p.n_ctx = n_ctx
    p.n_batch = 512
    p.n_parallel = 1
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.sampling.temp = 0.0
    p.sampling.top_k = 1
    p.warmup = False
    p.verbosity = 1 if os.environ.get("HOPQA_DEBUG") else -1
    return xlc, p


class LocalLM:
    """A GGUF model on llama.cpp, in this process (`xllamacpp.Server`, no HTTP)."""

    def __init__(self, model: str = "embedded", *, n_ctx: int = 4096, threads: int | None = None,
                 model_path: Path | None = None):
        self.spec = model
        m = embedded_model(model)
        self.name = m.name if m is not None else Path(model).name
        self.n_ctx = n_ctx
        self.threads = threads or default_threads()
        self._path = model_path
        self._server: Any = None
        self._load_lock = threading.Lock()
        self._call_lock = threading.Lock()
        self._load_error: BaseException | None = None
        self.load_seconds: float | None = None
        self.counters = Counters()
        self._loader: threading.Thread | None = None

    # -- loading -------------------------------------------------------------------------------------------------
    def preload(self) -> None:
        """Start loading the model in a background thread (the first `generate` waits for it)."""
        if self._server is None and self._loader is None:
            self._loader = threading.Thread(target=self._load_quietly, name="hopqa-lm-load", daemon=True)
            self._loader.start()

    def _load_quietly(self) -> None:
        try:
            self._ensure()
        except BaseException as e:  # reported by the first generate()
            self._load_error = e

    def _ensure(self) -> Any:
        if self._server is not None:
            return self._server
        with self._load_lock:
            if self._server is not None:
                return self._server
            if self._load_error is not None:
                raise self._load_error
            t0 = time.perf_counter()
            path = self._path or resolve_model(self.spec)
            need = int(path.stat().st_size * 1.15) + self.n_ctx * 64 * 1024
            avail = mem_available()
            if avail is not None and need > avail:
                raise ModelError(f"language model {path.name} needs about {need >> 20:,} MiB, only {avail >> 20:,} MiB "
                                 f"available: use a smaller GGUF (--lm-model) or --reader rules")
            xlc, p = llama_params(path, self.n_ctx, self.threads)
            try:
                self._server = xlc.Server(p)
            except Exception as e:
                self._load_error = ModelError(f"llama.cpp could not load {path}: {' '.join(str(e).split())[:200]}")
                raise self._load_error from None
            self.load_seconds = time.perf_counter() - t0
            return self._server

    # -- calls ---------------------------------------------------------------------------------------------------
    def generate(self, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int) -> Generation:
        if self._loader is not None:
            self._loader.join()
            if self._load_error is not None:
                raise self._load_error
        server = self._ensure()
        last = "no reply"
        for attempt in range(2):
            t0 = time.perf_counter()
            request = {"messages": messages, "max_tokens": int(max_tokens), "temperature": 0.0, "stream": False,
                       "response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}}
            try:
                with self._call_lock:
                    data = server.handle_chat_completions(request)
            except Exception as e:
                raise LLMError(f"local language model {self.name} failed: {' '.join(str(e).split())[:200]}") from None
            if not isinstance(data, dict) or "choices" not in data:
                raise LLMError(f"local language model {self.name} failed: {str(data)[:200]}")
            text = (data["choices"][0].get("message") or {}).get("content") or ""
            usage = data.get("usage") or {}
            seconds = time.perf_counter() - t0
            self.counters.add(calls=1, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                              completion_tokens=int(usage.get("completion_tokens") or 0), seconds=seconds)
            try:
                value = check_reply(text, schema)
                return Generation(value, text, int(usage.get("prompt_tokens") or 0),
                                  int(usage.get("completion_tokens") or 0), seconds)
            except LLMParseError as e:
                self.counters.add(invalid_replies=1, retries=1 if attempt == 0 else 0)
                last = str(e)
                # Greedy decoding repeats itself: the retry gets more room (a reply cut by max_tokens is the usual cause).
                max_tokens = int(max_tokens * 2)
        raise LLMParseError(f"local language model {self.name}: {last}")

    def tokens(self, text: str) -> int:
        """A cheap token estimate for budgeting prompts (about 4 characters a token for English)."""
        return len(text) // 4 + 1

    def usage(self) -> dict[str, Any]:
        out = self.counters.thread()
        out["seconds"] = round(float(out["seconds"]), 3)
        out["model"] = self.name
        return out


class EndpointLM:
    """The same requests through any OpenAI-compatible endpoint (hopqa's ChatClient: retries, cache, key handling)."""

    def __init__(self, config: LLMConfig, client: Any = None):
        """`client`: an existing ChatClient to share (the LLM policy's: one cache, one set of usage counters)."""
        from ..llm.cache import CallCache, default_cache_dir
        from ..llm.client import ChatClient

        self.client = client or ChatClient(config, CallCache(config.cache_dir or default_cache_dir()))
        self.name = config.model or "endpoint"
        self.load_seconds = None
        self.counters = Counters()

    def preload(self) -> None:
        pass

    def generate(self, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int) -> Generation:
        last = "no reply"
        for attempt in range(2):
            res = self.client.chat(messages, json_mode=True, max_tokens=max_tokens, schema=schema)
            self.counters.add(calls=1, prompt_tokens=res.prompt_tokens, completion_tokens=res.completion_tokens,
                              seconds=res.seconds)
            try:
                return Generation(check_reply(res.text, schema), res.text, res.prompt_tokens, res.completion_tokens,
                                  res.seconds, res.cached)
            except LLMParseError as e:
                self.counters.add(invalid_replies=1, retries=1 if attempt == 0 else 0)
                last = str(e)
                messages = messages + [{"role": "assistant", "content": res.text[:1000]},
                                       {"role": "user", "content": f"That reply was not valid ({last}). Reply with only "
                                                                   f"the JSON object, matching this schema: {json.dumps(schema)}"}]
        raise LLMParseError(f"LLM endpoint: {last}")

    def usage(self) -> dict[str, Any]:
        out = self.counters.thread()
        out["seconds"] = round(float(out["seconds"]), 3)
        out["model"] = self.name
        return out


__all__ = ["Counters", "EndpointLM", "Generation", "LanguageModel", "LocalLM", "check_reply", "conforms"]
