"""A real, scripted, local chat-completions server for tests: no network, no model.

    with FakeLLMServer(['{"answer": "Paris"}', Reply.error(500), Reply.slow(2.0)]) as srv:
        client = ChatClient(LLMConfig(url=srv.url, model="fake"))
        ...
        assert len(srv.requests) == 1

It is a `ThreadingHTTPServer` in a background thread, bound to 127.0.0.1 (only) on a free port chosen by the OS,
answering POST `.../chat/completions` (with or without `/v1`) and GET `.../models`. `.url` is
`http://127.0.0.1:<port>/v1` (still readable after close()).

The script decides each reply:
  * a list (or any iterable) of replies, consumed in order; and/or
  * a function `(request_json) -> reply`, used for every request once the list is exhausted (pass it as `script`
    alone, or as `fallback=` next to a list). A list item may itself be such a function.
A reply is a `Reply`, a str (the assistant's content), or a dict/list (sent as JSON content). When nothing is left
the server answers HTTP 500 "fake LLM: script exhausted" and records it in `.errors`.

Every reply carries a `usage` block: `Reply(usage=(prompt_tokens, completion_tokens))`, or by default the word counts
of the request's messages and of the content. Delays wait on an event that `close()` sets, so shutting down never
waits for a slow reply. `.requests` holds the decoded request bodies, `.headers` the request headers (lower-case
names), `.paths` the request paths.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Union

__all__ = ["FakeLLMServer", "Reply"]


@dataclass
class Reply:
    """One scripted answer. `body`, when set, replaces the whole response body (bytes, str, or JSON-able object)."""

    content: str | None = ""
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    usage: tuple[int, int] | None = None
    finish_reason: str = "stop"

    @classmethod
    def text(cls, content: str, **kw: Any) -> "Reply":
        return cls(content=content, **kw)

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> "Reply":
        return cls(content=json.dumps(obj), **kw)

    @classmethod
    def malformed(cls, content: str = '{"answer": "Paris", "passage_ids": ["p1"', **kw: Any) -> "Reply":
        """Text that is not valid JSON (by default: a truncated object)."""
        return cls(content=content, **kw)

    @classmethod
    def empty(cls, *, null: bool = False, **kw: Any) -> "Reply":
        """An empty content ("" or, with null=True, JSON null)."""
        return cls(content=None if null else "", **kw)

    @classmethod
    def slow(cls, seconds: float, content: str = '{"answer": "late"}', **kw: Any) -> "Reply":
        """A reply sent only after `seconds` (to trigger client timeouts)."""
        return cls(content=content, delay=seconds, **kw)

    @classmethod
    def error(cls, status: int = 500, message: str = "internal error", *, retry_after: float | str | None = None,
              **kw: Any) -> "Reply":
        """An HTTP error with an OpenAI-style error body; `retry_after` sets the Retry-After header."""
        headers = dict(kw.pop("headers", {}) or {})
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        body = kw.pop("body", None)
        if body is None:
            body = {"error": {"message": message, "type": "fake_error", "code": status}}
        return cls(content=None, status=status, headers=headers, body=body, **kw)

    @classmethod
    def rate_limited(cls, retry_after: float | str = 0, **kw: Any) -> "Reply":
        return cls.error(429, "rate limit reached", retry_after=retry_after, **kw)

    @classmethod
    def response_format_unsupported(cls, **kw: Any) -> "Reply":
        """The 400 a server without JSON mode sends when it gets `response_format`."""
        return cls.error(400, "Unrecognized request argument supplied: response_format", **kw)


ReplyLike = Union[Reply, str, dict, list, Callable[[dict], Any]]


def _words(x: Any) -> int:
    return len(str(x).split()) if x else 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a "restarted" server rebinds its port (TIME_WAIT)

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that hung up: not our problem
        pass


class FakeLLMServer:
    def __init__(self, script: Iterable[ReplyLike] | Callable[[dict], Any] | None = None, *,
                 fallback: Callable[[dict], Any] | None = None, model: str = "fake-model", port: int = 0):
        if callable(script) and not isinstance(script, (list, tuple)):
            script, fallback = (), script
        self._queue: deque[ReplyLike] = deque(script or ())
        self._fallback = fallback
        self.model = model
        self._want_port = int(port)  # 0: a free port chosen by the OS (a fixed one lets a test "restart" a server)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self._port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> "FakeLLMServer":
        if self._server is not None:
            return self
        handler = _make_handler(self)
        self._server = _Server(("127.0.0.1", self._want_port), handler)  # loopback only, OS-chosen free port
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is None:
            return
        self._stop.set()  # releases handlers waiting on a scripted delay
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> "FakeLLMServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- script -------------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port (still known after close(), when nothing listens on it any more)."""
        if self._port is None:
            raise RuntimeError("FakeLLMServer was never started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pending(self) -> int:
        """Scripted replies not consumed yet."""
        with self._lock:
            return len(self._queue)

    def add(self, *replies: ReplyLike) -> None:
        with self._lock:
            self._queue.extend(replies)

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            item: Any = self._queue.popleft() if self._queue else self._fallback
        if item is None:
            self.errors.append("script exhausted")
            return Reply.error(500, "fake LLM: script exhausted")
        if callable(item) and not isinstance(item, Reply):
            item = item(request)
        if isinstance(item, Reply):
            return item
        if isinstance(item, str):
            return Reply(content=item)
        if isinstance(item, (dict, list)):
            return Reply.json(item)
        if item is None:
            return Reply.empty()
        raise TypeError(f"a scripted reply must be a Reply, str, dict or list, not {type(item).__name__}")

    def _completion(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            n = self._counter
        if reply.usage is not None:
            p_tok, c_tok = reply.usage
        else:
            p_tok = sum(_words(m.get("content")) for m in request.get("messages", []) if isinstance(m, dict))
            c_tok = _words(reply.content)
        return {
            "id": f"chatcmpl-fake-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                         "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": p_tok, "completion_tokens": c_tok, "total_tokens": p_tok + c_tok},
        }


def _make_handler(owner: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive thread delays shutdown
        server_version = "FakeLLM/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            if isinstance(body, bytes):
                data = body
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": owner.model, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                request = json.loads(raw or b"null")
            except ValueError:
                request = None
            with owner._lock:
                owner.paths.append(self.path)
                owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                owner.requests.append(request if isinstance(request, dict) else {"_raw": raw.decode("utf-8", "replace")})
            if not self.path.split("?", 1)[0].rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
                self._send(400, {"error": {"message": "body must be a JSON object with a 'messages' list"}})
                return
            try:
                reply = owner._next(request)
            except Exception as e:  # a broken script function: report it to the client and the test
                owner.errors.append(f"script error: {e!r}")
                self._send(500, {"error": {"message": f"fake LLM script error: {e!r}"}})
                return
            if reply.delay > 0 and owner._stop.wait(reply.delay):
                return  # shutting down: drop the connection
            if reply.body is not None:
                self._send(reply.status, reply.body, reply.headers)
            elif reply.status != 200:
                self._send(reply.status, {"error": {"message": f"HTTP {reply.status}"}}, reply.headers)
            else:
                self._send(200, owner._completion(request, reply), reply.headers)

    return Handler
