"""`hopqa llm`: a real OpenAI-compatible server on the embedded model (llama.cpp's server, through xllamacpp)."""
from __future__ import annotations

import os
import signal
import time
from typing import Optional

import typer

from hopqa import InputError, LocalServer

from ._ui import boundary, err, out

app = typer.Typer(help="Serve a local language model for --policy llm.", no_args_is_help=True)


@app.command("serve")
def serve(
    port: int = typer.Option(8080, "--port", "-p", help="Port on 127.0.0.1 (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep 127.0.0.1 unless you set a key)."),
    model: str = typer.Option("small", "--model", "-m",
                              help="'small' (Qwen2.5-Coder-0.5B, Q4_K_M), 'large' (Qwen2.5-Coder-1.5B) or a .gguf path."),
    ctx: int = typer.Option(4096, "--ctx", help="Context size in tokens (the policy keeps every prompt inside it)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads (default: all cores, at most 8)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", help="Require the key held by this environment variable."),
) -> None:
    """Start llama.cpp's OpenAI-compatible server in the foreground; Ctrl-C stops it.

    Examples:\n
      hopqa llm serve --port 8080\n
      hopqa ask --index demo --policy llm --llm-url http://127.0.0.1:8080/v1 --llm-model qwen2.5-coder-0.5b-instruct-q4_k_m "..."
    """
    with boundary():
        key = None
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise InputError(f"--api-key-env {api_key_env}: that environment variable is not set")
        srv = LocalServer(model, host=host, port=port, n_ctx=ctx, threads=threads, api_key=key)
        srv.check_port()
        err.print(f"loading {srv.model} (context {ctx} tokens, {srv.threads} threads)...", highlight=False)
        srv.start()

        def _stop(signum, frame):  # SIGTERM (kill, a supervisor) stops it like Ctrl-C
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        try:
            out.print(f"--llm-url {srv.url} --llm-model {srv.model}", highlight=False)
            err.print(f"llama.cpp server ready in {srv.load_seconds:.1f} s"
                      + (f" (key required: ${api_key_env})" if key else "") + "; Ctrl-C stops it", highlight=False)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            err.print("stopped", highlight=False)
        finally:
            srv.close()
