"""A real OpenAI-compatible server on a local GGUF model: llama.cpp's own HTTP server, run in-process by xllamacpp.

    with LocalServer(port=0) as srv:          # 0: a free port
        print(srv.url, srv.model)             # http://127.0.0.1:PORT/v1 and the name for --llm-model

Nothing here implements HTTP: `xllamacpp.Server(params)` starts llama.cpp's server (the `llama-server` code), which
serves `/v1/chat/completions` (with `response_format: json_schema`, enforced by llama.cpp's grammar sampler),
`/v1/models`, `/props` (its context size) and `/health`. This module only chooses the parameters, refuses a port that
is taken (before loading a model for nothing), waits until the model answers, and stops the server on `close()`
(llama.cpp stops when its Server object is released).

Defaults are for a 2-core CPU and hopqa's LLM policy: one slot (`n_parallel = 1`, so the whole context is one
conversation and the shared system-prompt prefix stays in llama.cpp's prompt cache), greedy sampling, `n_ctx`
4,096 tokens. The policy reads the context size from `/props` and keeps every prompt inside it.
"""
from __future__ import annotations

import errno
import gc
import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import InputError, ModelError
from .model import SERVE_DEFAULT, default_threads, embedded_model, mem_available, resolve_model

DEFAULT_PORT = 8080
DEFAULT_CTX = 4096
READY_TIMEOUT = 180.0  # seconds to wait for the model to load and answer

__all__ = ["LocalServer", "DEFAULT_PORT", "DEFAULT_CTX", "port_in_use", "model_name"]


def model_name(spec: str) -> str:
    """The name the server answers to (`--llm-model`): the embedded model's name, or the GGUF file's stem."""
    m = embedded_model(spec)
    return m.name if m is not None else Path(spec.strip()).expanduser().stem


def port_in_use(host: str, port: int) -> bool:
    """True when `port` on `host` cannot be bound (another server has it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def _get(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8") or "null")
    except urllib.error.HTTPError as e:
        return e.code, None


class LocalServer:
    """llama.cpp's OpenAI-compatible server on `model` (an embedded model's name or alias, or a .gguf path), on
    `host:port`. The default is the small embedded model: the LLM policy calls it several times per question."""

    def __init__(self, model: str = SERVE_DEFAULT, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 n_ctx: int = DEFAULT_CTX, threads: int | None = None, api_key: str | None = None):
        if not 0 <= int(port) <= 65535:
            raise InputError(f"--port must be 0..65535, not {port}")
        if n_ctx < 512:
            raise InputError(f"--ctx must be at least 512 tokens, not {n_ctx}")
        self.spec = model or SERVE_DEFAULT
        self.host = host
        self.port = int(port)
        self.n_ctx = int(n_ctx)
        self.threads = threads or default_threads()
        self.model = model_name(self.spec)
        self._api_key = api_key  # given to llama.cpp only; never printed or stored elsewhere
        self._server: Any = None
        self.address: str | None = None
        self.load_seconds: float | None = None

    def __repr__(self) -> str:
        return f"LocalServer(model={self.model!r}, address={self.address!r}, n_ctx={self.n_ctx})"

    @property
    def url(self) -> str:
        """The base url for --llm-url (ends in /v1)."""
        if self.address is None:
            raise RuntimeError("the server is not started")
        return self.address.rstrip("/") + "/v1"

    def check_port(self) -> None:
        """InputError (one line) when the port is taken: checked before any model is loaded."""
        if self.port and port_in_use(self.host, self.port):
            raise InputError(f"port {self.port} on {self.host} is already in use: pass another --port (or 0 for any free one)")

    def start(self) -> "LocalServer":
        if self._server is not None:
            return self
        self.check_port()
        t0 = time.perf_counter()
        path = resolve_model(self.spec)
        need = int(path.stat().st_size * 1.15) + self.n_ctx * 64 * 1024
        avail = mem_available()
        if avail is not None and need > avail:
            raise ModelError(f"{path.name} needs about {need >> 20:,} MiB, only {avail >> 20:,} MiB available")
        from .runtime import llama_params

        xlc, p = llama_params(path, self.n_ctx, self.threads)
        p.model_alias = {self.model}
        p.hostnames = [self.host]
        p.port = self.port
        p.cache_prompt = True
        if self._api_key:
            p.api_keys = [self._api_key]
        try:
            self._server = xlc.Server(p)
        except Exception as e:
            raise ModelError(f"llama.cpp could not start on {path.name}: {' '.join(str(e).split())[:200]}") from None
        self.address = str(self._server.listening_address).rstrip("/")
        self._wait_ready(READY_TIMEOUT)
        self.load_seconds = round(time.perf_counter() - t0, 2)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Until /v1/models answers 200 (llama.cpp answers 503 while it loads)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        headers_ok = not self._api_key  # with a key, /v1/models needs it: /health does not
        probe = "/v1/models" if headers_ok else "/health"
        while time.monotonic() < deadline:
            try:
                status, _ = _get(self.address + probe, timeout=5.0)  # type: ignore[operator]
                if status == 200:
                    return
                last = f"HTTP {status}"
            except (OSError, ValueError) as e:
                last = " ".join(str(e).split())[:80]
            time.sleep(0.2)
        self.close()
        raise ModelError(f"llama.cpp server did not become ready in {timeout:.0f} s ({last})")

    def close(self) -> None:
        """Stop the server (llama.cpp shuts down when the Server object is released)."""
        server, self._server = self._server, None
        if server is not None:
            del server
            gc.collect()

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
