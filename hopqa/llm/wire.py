"""The OpenAI-compatible chat-completions wire format, as `ChatClient` (hopqa.llm.client) speaks it: the endpoint url
rule, the request messages' shape, the reply's text and token counts, and one-line wordings of error bodies and
transport failures (with a Retry-After header read).

Endpoint rule (`endpoint_url`): the configured url is a base url.
  * no path at all (`http://localhost:11434`, trailing slash or not)  -> `/v1/chat/completions` is appended;
  * a path ending in `/chat/completions`                               -> used as is;
  * any other path (`.../v1`, `.../v1/`, `.../openai/v1`, `.../v1beta/openai`) -> `/chat/completions` is appended.
So `http://localhost:11434` and `http://localhost:11434/v1` are the same endpoint. A query string is kept.
"""
from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx

from ..errors import LLMError

__all__ = ["endpoint_url", "redact", "one_line", "is_loopback", "retry_after", "transport_reason", "check_messages",
           "token_count", "reply_content", "describe_reply", "error_detail"]

_MAX_QUOTE = 160  # characters of a server error body quoted in a message


def endpoint_url(url: str) -> httpx.URL:
    """The chat-completions url for a configured base url (see the module docstring for the rule)."""
    try:
        u = httpx.URL(url.strip())
    except Exception:
        raise LLMError(f"invalid LLM url {_redact_str(url)!r}") from None
    if u.scheme not in ("http", "https") or not u.host:
        raise LLMError(f"invalid LLM url {_redact_str(url)!r}: expected http(s)://host[:port][/v1]")
    path = u.path.rstrip("/")
    if not path:
        path = "/v1/chat/completions"
    elif not path.endswith("/chat/completions"):
        path += "/chat/completions"
    return u.copy_with(path=path)


def redact(u: httpx.URL) -> str:
    """The url without user-info, query or fragment: safe to show and to log."""
    return str(u.copy_with(username=None, password=None, query=None, fragment=None))


def _redact_str(url: str) -> str:
    s = str(url).strip()
    if "@" in s:  # drop user-info, if any, without parsing
        scheme, sep, rest = s.partition("://")
        s = scheme + sep + rest.split("@", 1)[1] if sep else s.split("@", 1)[1]
    return s.split("?", 1)[0][:200]


def one_line(s: str, limit: int = _MAX_QUOTE) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1", "[::1]") or host.startswith("127.")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds, fractional accepted, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def transport_reason(e: Exception) -> str:
    if isinstance(e, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connect timed out",
            httpx.ReadTimeout: "read timed out",
            httpx.WriteTimeout: "write timed out",
            httpx.PoolTimeout: "timed out waiting for a connection",
        }.get(type(e), "timed out")
        return kind
    text = str(e) or type(e).__name__
    low = text.lower()
    if "refused" in low:
        return "connection refused"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "unknown host"
    if "reset" in low:
        return "connection reset"
    if isinstance(e, httpx.RemoteProtocolError):
        return "server closed the connection"
    if text.startswith("[Errno"):
        text = text.split("]", 1)[-1]
    return one_line(text, 80).strip().lower() or type(e).__name__


def check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    for m in messages:
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            raise ValueError("each message must be a dict with 'role' and 'content'")


def token_count(v: Any) -> int:
    try:
        return max(0, int(v))
    except (TypeError, ValueError):
        return 0


def reply_content(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(text, finish_reason) of the first choice; text None when there is no message at all, "" when empty."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None, None
    choice = choices[0]
    msg = choice.get("message")
    if not isinstance(msg, dict):
        text = choice.get("text")  # legacy completions shape
        return (text if isinstance(text, str) else None), choice.get("finish_reason")
    content = msg.get("content")
    if content is None:
        content = ""
    elif isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    elif not isinstance(content, str):
        content = str(content)
    return content, choice.get("finish_reason")


def describe_reply(data: dict[str, Any]) -> str:
    err = data.get("error")
    if isinstance(err, dict) and err.get("message"):
        return one_line(str(err["message"]))
    if isinstance(err, str):
        return one_line(err)
    return "no 'choices' in the response"


def error_detail(resp: httpx.Response) -> str:
    """A short quote of an error body: the OpenAI-style error message when there is one."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data.get("message", data.get("detail")))
        if isinstance(err, dict):
            err = err.get("message") or err
        if err:
            return one_line(err if isinstance(err, str) else json.dumps(err))
    text = one_line(resp.text)
    return text or resp.reason_phrase or "no body"
