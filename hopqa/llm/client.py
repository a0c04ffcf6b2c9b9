"""A small, reliable client for any OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp server, vLLM,
LM Studio, OpenAI, ...), over httpx. The endpoint url rule and the reply format are in `hopqa.llm.wire`.

Behaviour:
  * `Authorization: Bearer <key>` is sent only when `config.api_key()` finds a key; the key is read per request and
    never stored on the client, and it never appears in an exception, a log line, a repr, a cache entry or the usage
    dict (server error bodies are scrubbed of it before they are quoted).
  * JSON mode sends `response_format: {"type": "json_object"}`. A server that rejects it (HTTP 400/422 whose body
    mentions response_format) gets the same request again without it, and this client stops sending it.
  * Connect errors, timeouts, 408, 429 and 5xx are retried at most `config.max_retries` times, with exponential
    back-off (`backoff_base * 2**n`, "equal jitter") capped at `backoff_max`. On 429/503 a `Retry-After` in seconds
    (or an HTTP date) is honoured, also capped at `backoff_max`. Other HTTP errors fail at once; a 400 that says
    the prompt exceeds the context is `LLMContextError` (callers drop that one call and go on).
  * Every failure is a one-line `LLMError` naming the redacted endpoint url, e.g.
    "cannot reach LLM endpoint http://127.0.0.1:11434/v1/chat/completions: connection refused (3 attempts)",
    raised with its cause suppressed (no chained traceback carrying the request and its headers).
  * A cache (`CallCache`) makes a rerun of the same calls free: replies are stored after a successful call (an
    empty reply is not stored) and served with `cached=True`.
  * `usage` counts chat() calls answered (live or cached), cached ones, tokens and seconds of live calls, HTTP requests
    sent, retries and failed calls. Counters are protected by a lock; one client may be shared by worker threads
    (httpx.Client is thread-safe). `thread_usage` is the same counters for the calling thread's calls only.
  * Proxies from the environment are ignored for loopback endpoints (localhost, 127.x, ::1), where a corporate proxy is
    never wanted; other endpoints follow the usual HTTP(S)_PROXY / NO_PROXY variables.
"""
from __future__ import annotations

import logging
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ..config import LLMConfig
from ..errors import LLMContextError, LLMError, LLMParseError
from .cache import CallCache, cache_key
from .parse import extract_json
from .wire import (check_messages, describe_reply, endpoint_url, error_detail, is_loopback, one_line, redact,
                   reply_content, retry_after, token_count, transport_reason)

log = logging.getLogger("hopqa.llm")

__all__ = ["ChatClient", "ChatResult"]

_RETRY_STATUS = {408, 429}
# llama.cpp: "exceed_context_size_error"; vLLM/OpenAI: "maximum context length", "context_length_exceeded".
_CONTEXT_ERROR = re.compile(r"exceed\w*_context|context[ _]length|context size|context window", re.IGNORECASE)


@dataclass(frozen=True)
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool
    finish_reason: str | None = None


class ChatClient:
    """Chat completions against `config.url` with `config.model`; see the module docstring."""

    def __init__(self, config: LLMConfig, cache: CallCache | None = None):
        if not config.url:
            raise LLMError("no LLM endpoint configured: pass --llm-url or set HOPQA_LLM_URL")
        self.config = config
        self.cache = cache
        self._endpoint = endpoint_url(config.url)
        self.endpoint = redact(self._endpoint)  # safe to show
        self.model = config.model
        self._lock = threading.Lock()
        self._tls = threading.local()  # per-thread counters (thread_usage)
        self._json_mode_ok = True
        self._usage = {
            "calls": 0,
            "cached_calls": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "seconds": 0.0,
            "http_requests": 0,
            "retries": 0,
            "errors": 0,
        }
        timeout = httpx.Timeout(config.timeout)
        self._http = httpx.Client(
            timeout=timeout,
            trust_env=not is_loopback(self._endpoint.host),
            follow_redirects=False,
            # TLS settings only matter for https; skipping them for http saves loading the CA bundle (~50 ms).
            verify=self._endpoint.scheme == "https",
            headers={"User-Agent": "hopqa"},
        )

    # -- housekeeping -------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"ChatClient(endpoint={self.endpoint!r}, model={self.model!r}, cache={self.cache!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ChatClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def usage(self) -> dict[str, Any]:
        """A snapshot: calls, cached_calls, prompt_tokens, completion_tokens, seconds (+ http_requests, retries, errors)."""
        with self._lock:
            out = dict(self._usage)
        out["seconds"] = round(out["seconds"], 3)
        return out

    @property
    def json_mode_supported(self) -> bool:
        """False once the endpoint refused `response_format` (the client then asks for JSON in the prompt only)."""
        return self._json_mode_ok

    @property
    def thread_usage(self) -> dict[str, Any]:
        """The same counters as `usage`, for the calls made by the current thread only (exact per-question usage
        when worker threads share one client)."""
        mine = getattr(self._tls, "usage", None) or {k: 0 for k in self._usage}
        out = dict(mine)
        out["seconds"] = round(float(out.get("seconds", 0.0)), 3)
        return out

    def _count(self, **delta: float) -> None:
        with self._lock:
            for k, v in delta.items():
                self._usage[k] += v
        mine = getattr(self._tls, "usage", None)
        if mine is None:
            mine = self._tls.usage = {k: 0 for k in self._usage}
        for k, v in delta.items():
            mine[k] += v

    def _scrub(self, text: str) -> str:
        """`text` without the API key (or the url's password), whatever a server chose to echo."""
        secrets = [self.config.api_key(), self._endpoint.password]
        for s in secrets:
            if s and len(s) >= 4:
                text = text.replace(s, "***")
        return text

    def _error(self, message: str) -> LLMError:
        self._count(errors=1)
        return LLMError(self._scrub(one_line(message, 400)))

    def context_size(self) -> int | None:
        """The server's context window in tokens, when it says (llama.cpp: `/props`, or `meta.n_ctx` in `/v1/models`);
        None otherwise. Asked once (short timeout, never raises); the key is sent as for chat calls."""
        if hasattr(self, "_n_ctx"):
            return self._n_ctx
        n: int | None = None
        root = self._endpoint.copy_with(path="/", query=None)
        base = self._endpoint.path[: -len("/chat/completions")] if self._endpoint.path.endswith("/chat/completions") \
            else self._endpoint.path
        headers = {"Accept": "application/json"}
        key = self.config.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        for url, pick in ((root.copy_with(path="/props"), lambda d: d["default_generation_settings"]["n_ctx"]),
                          (root.copy_with(path=(base.rstrip("/") or "/v1") + "/models"),
                           lambda d: d["data"][0]["meta"]["n_ctx"])):
            try:
                resp = self._http.get(url, headers=headers, timeout=3.0)
                if resp.status_code == 200:
                    n = int(pick(resp.json()))
                    if n > 0:
                        break
                    n = None
            except Exception:  # not llama.cpp, not reachable yet, another shape: unknown
                n = None
        self._n_ctx = n
        return n

    # -- the call -----------------------------------------------------------------------------------------------

    def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        json_mode: bool | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        use_cache: bool = True,
        schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        """One chat completion. Unset options come from the config. Raises LLMError (one line) on failure.

        `schema`: a JSON schema for the reply, sent as `response_format: json_schema` (in JSON mode); a server that
        rejects response_format gets the request again without it, as in plain JSON mode."""
        json_mode = self.config.json_mode if json_mode is None else bool(json_mode)
        temperature = self.config.temperature if temperature is None else float(temperature)
        max_tokens = self.config.max_tokens if max_tokens is None else int(max_tokens)
        check_messages(messages)
        t0 = time.perf_counter()

        key = None
        if self.cache is not None and use_cache:
            key = cache_key(self.endpoint, self.model, messages, temperature, max_tokens, json_mode, schema)
            entry = self.cache.get(key)
            if entry is not None:
                self._count(calls=1, cached_calls=1)
                return ChatResult(
                    text=entry["text"],
                    prompt_tokens=int(entry.get("prompt_tokens") or 0),
                    completion_tokens=int(entry.get("completion_tokens") or 0),
                    seconds=time.perf_counter() - t0,
                    cached=True,
                    finish_reason=entry.get("finish_reason"),
                )

        payload: dict[str, Any] = {
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "stream": False,
        }
        if self.model:
            payload["model"] = self.model
        data = self._post(payload, json_mode, schema)
        text, finish = reply_content(data)
        if text is None:
            raise self._error(f"LLM endpoint {self.endpoint} answered without a message: {describe_reply(data)}")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        p_tok, c_tok = token_count(usage.get("prompt_tokens")), token_count(usage.get("completion_tokens"))
        seconds = time.perf_counter() - t0
        self._count(calls=1, prompt_tokens=p_tok, completion_tokens=c_tok, seconds=seconds)
        if key is not None and text.strip():
            try:
                self.cache.put(key, {  # type: ignore[union-attr]
                    "endpoint": self.endpoint,
                    "model": self.model,
                    "text": text,
                    "prompt_tokens": p_tok,
                    "completion_tokens": c_tok,
                    "seconds": round(seconds, 3),
                    "finish_reason": finish,
                })
            except OSError as e:  # a cache that cannot be written must not fail the call
                log.warning("LLM cache not written (%s): %s", self.cache, one_line(str(e), 120))
        return ChatResult(text, p_tok, c_tok, seconds, False, finish)

    def chat_json(
        self,
        messages: list[dict[str, Any]],
        *,
        expect: type | None = dict,
        retries: int | None = None,
        **options: Any,
    ) -> tuple[Any, ChatResult]:
        """chat() then extract_json(); on a parse error, ask again (at most `retries`, default config.parse_retries)
        with the bad reply and a correction appended to the conversation. Returns (value, last ChatResult)."""
        retries = self.config.parse_retries if retries is None else max(0, int(retries))
        convo = list(messages)
        for attempt in range(retries + 1):
            result = self.chat(convo, **options)
            try:
                return extract_json(result.text, expect=expect), result
            except LLMParseError as e:
                reason = getattr(e, "reason", str(e))
                if result.finish_reason == "length":
                    reason += "; the reply hit max_tokens, so keep it shorter"
                if attempt == retries:
                    err = LLMParseError(f"{e} [after {retries + 1} replies]")
                    err.reply = result.text  # type: ignore[attr-defined]  # the last raw reply, for salvaging
                    err.reason = reason  # type: ignore[attr-defined]
                    raise err from None
                want = "JSON object" if expect is dict else "JSON array" if expect is list else "JSON value"
                convo = convo + [
                    {"role": "assistant", "content": result.text[:2000]},
                    {"role": "user", "content": f"Your reply could not be parsed ({reason}). "
                                                f"Reply again with only the {want} in the requested shape, no prose."},
                ]
        raise AssertionError("unreachable")

    def _post(self, payload: dict[str, Any], json_mode: bool, schema: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST with retries; the decoded JSON body of a 2xx answer."""
        cfg = self.config
        attempts = max(0, int(cfg.max_retries)) + 1
        fallback_done = False
        attempt = 0
        while True:
            body = dict(payload)
            use_json = json_mode and self._json_mode_ok
            if use_json:
                body["response_format"] = ({"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
                                           if schema else {"type": "json_object"})
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            key = cfg.api_key()
            if key:
                headers["Authorization"] = f"Bearer {key}"
            wait_hint: float | None = None
            self._count(http_requests=1)
            log.debug("POST %s model=%s attempt=%d/%d", self.endpoint, self.model, attempt + 1, attempts)
            try:
                resp = self._http.post(self._endpoint, json=body, headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
                reason = transport_reason(e)
                if isinstance(e, httpx.TimeoutException):
                    failure = f"LLM endpoint {self.endpoint} timed out ({reason} after {cfg.timeout:g}s)"
                else:
                    failure = f"cannot reach LLM endpoint {self.endpoint}: {reason}"
            except httpx.HTTPError as e:  # invalid url, unsupported protocol, too many redirects...
                raise self._error(f"LLM endpoint {self.endpoint}: {transport_reason(e)}") from None
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    try:
                        data = resp.json()
                    except ValueError:
                        raise self._error(
                            f"LLM endpoint {self.endpoint} answered HTTP {status} with a body that is not JSON: "
                            f"{one_line(resp.text, 80)!r}") from None
                    if not isinstance(data, dict):
                        raise self._error(f"LLM endpoint {self.endpoint} answered HTTP {status} with unexpected JSON")
                    return data
                detail = error_detail(resp)
                if (use_json and not fallback_done and status in (400, 422)
                        and ("response_format" in resp.text.lower() or "json_object" in resp.text.lower())):
                    with self._lock:
                        self._json_mode_ok = False
                    fallback_done = True
                    log.info("LLM endpoint %s rejects response_format; retrying without JSON mode", self.endpoint)
                    continue
                failure = f"LLM endpoint {self.endpoint} answered HTTP {status}: {detail}"
                if status == 400 and _CONTEXT_ERROR.search(resp.text[:2000]):
                    # A prompt over the server's context: this call is lost, the endpoint is fine (the caller counts it).
                    self._count(errors=1)
                    raise LLMContextError(self._scrub(one_line(failure, 400))) from None
                if status not in _RETRY_STATUS and status < 500:
                    hint = ""
                    if status in (401, 403):
                        hint = f" (check the API key in ${cfg.api_key_env})"
                    elif status == 404:
                        hint = " (check --llm-url and --llm-model)"
                    raise self._error(failure + hint) from None
                if status in (429, 503):
                    wait_hint = retry_after(resp.headers.get("retry-after"))
            if attempt + 1 >= attempts:
                suffix = f" ({attempts} attempt{'s' if attempts != 1 else ''})"
                if failure.startswith("LLM endpoint") and "answered HTTP" in failure:
                    failure = failure.replace(" answered ", " keeps failing: ", 1)
                raise self._error(failure + suffix) from None
            delay = self._backoff(attempt, wait_hint)
            log.warning("%s; retry %d/%d in %.2fs", self._scrub(one_line(failure, 300)), attempt + 1,
                        attempts - 1, delay)
            self._count(retries=1)
            time.sleep(delay)
            attempt += 1

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cap = max(0.0, float(self.config.backoff_max))
        if retry_after is not None:
            return min(retry_after, cap)
        base = max(0.0, float(self.config.backoff_base)) * (2 ** attempt)
        base = min(base, cap)
        return base / 2 + random.random() * base / 2
