"""The LLM policy against a real OpenAI-compatible server: llama.cpp's own server (xllamacpp) on the embedded
Qwen2.5-Coder-0.5B model, started on 127.0.0.1 as `hopqa llm serve` starts it, with a 2,048-token context.

`hopqa ask --policy llm` and `hopqa eval --demo --policy llm --limit 3` run through it: every state's reply is a real
model call that fits its JSON schema, no prompt exceeds the context, and the demo answers are the model's. Marked
`lm` (the real embedded model); a few minutes on 2 CPU cores. Skipped when the model packages are not installed.
"""
from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from hopqa_cli.main import app
from hopqa.lm.model import embedded_available

pytestmark = [pytest.mark.lm, pytest.mark.skipif(not embedded_available("small"), reason="the small embedded model is not installed")]

CTX = 2048  # the context that lost a whole run before (a 2,099-token prompt, HTTP 400)
QUESTION = "When did the home ground of Kessport Athletic open?"  # demo 2hop__demo_03, gold "14 April 1923"


@pytest.fixture(scope="module")
def server():
    from hopqa.lm.serve import LocalServer

    srv = LocalServer("small", port=0, n_ctx=CTX).start()
    yield srv
    srv.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HOPQA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HOPQA_INDEX_DIR", str(tmp_path / "indexes"))
    for var in ("HOPQA_LLM_API_KEY", "OPENAI_API_KEY", "HOPQA_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def _check_usage(usage: dict) -> None:
    """Real calls, each state's replies schema-valid, nothing over the context."""
    assert usage["calls"] > 0
    if usage["calls"] > usage["cached_calls"]:  # live calls (cached ones cost no tokens)
        assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["over_context"] == 0 and usage["invalid_replies"] == 0
    # the default (grounded) flow: the LLM decomposes and reads; the sgfsm flow: a prompt per state
    wanted = {"read"} if usage.get("flow", "grounded") == "grounded" else {"decompose", "search", "revise_search"}
    assert usage["by_state"] and wanted <= set(usage["by_state"]), usage["by_state"]
    for state, c in usage["by_state"].items():
        assert c["calls"] >= 1 and c["schema_valid"] == c["calls"], (state, c)


def test_server_answers_models_and_refuses_a_taken_port(server):
    import httpx

    models = httpx.get(server.url + "/models", timeout=10).json()
    assert any(m.get("id") == server.model for m in models["data"])
    host, port = server.address.split("//")[1].split(":")
    r = CliRunner().invoke(app, ["llm", "serve", "--port", port])
    assert r.exit_code == 2 and "already in use" in r.output and len(r.output.strip().splitlines()) == 1
    with socket.socket() as s:  # the port is really bound by llama.cpp
        assert s.connect_ex((host, int(port))) == 0


def test_ask_and_eval_through_the_real_server(server, env):
    runner = CliRunner()
    llm = ["--policy", "llm", "--llm-url", server.url, "--llm-model", server.model]
    r = runner.invoke(app, ["index", "build", "--demo", "--name", "demo"])
    assert r.exit_code == 0, r.output

    r = runner.invoke(app, ["ask", "--index", "demo", *llm, "--json", QUESTION])
    assert r.exit_code == 0, r.output
    a = json.loads(r.stdout)
    assert a["config"]["policy"] == "llm" and a["transitions"][-1]["to"] == "DONE"
    _check_usage(a["usage"])
    assert a["usage"]["cached_calls"] == 0 and a["usage"]["http_requests"] >= a["usage"]["calls"]
    assert a["answer"] and a["answer"] != "unanswerable"  # a span the 0.5B model chose (not always the gold date)

    out = env / "run"
    r = runner.invoke(app, ["eval", "--demo", "--index", "demo", "--limit", "3", *llm, "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)
    assert m["n"] == 3
    traces = [json.loads(x) for x in (out / "traces.jsonl").read_text().splitlines()]
    for t in traces:
        assert t["transitions"][-1]["to"] == "DONE"
        _check_usage(t["usage"])
        assert t["usage"]["prompt_tokens"] <= 4000  # the per-question target
    answers = {t["id"]: t["predicted_answer"] for t in traces}
    # Qwen2.5-Coder-0.5B's answers are not stable across thread counts and indexes (greedy decoding over float
    # sums): measured 1 of 3 right (demo_03 "1923" with 1 thread; "1894" with 2). Asserted: every question answered
    # by the model, the one asked above served from the call cache with the same answer.
    assert all(answers.values())
    assert answers["2hop__demo_03"] == a["answer"]
    assert traces[2]["usage"]["cached_calls"] == traces[2]["usage"]["calls"]
    print("demo answers:", answers, "answer F1", m["answer_f1"])
