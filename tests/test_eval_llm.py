"""`hopqa eval --policy llm` end to end against a real local chat-completions server (scripted, no model, no network)
on the bundled demo questions: the run completes, the report shows the call and token counts, and a rerun is free."""
from __future__ import annotations

import json
import re

import pytest

from typer.testing import CliRunner

from hopqa_cli.main import app
from hopqa.testing import FakeLLMServer, Reply


def _state(request: dict) -> str:
    m = re.match(r"Step: (\w+)\.", request["messages"][1]["content"])
    return m.group(1).lower() if m else "?"


def extractive_fake(request: dict):
    """A deterministic stand-in model: one sub-question, the first shown passage's title as its answer, accept, done."""
    text = request["messages"][1]["content"]
    state = _state(request)
    if state in ("decompose", "revise_decomposition"):
        q = re.findall(r"^Question: (.*)$", text, re.MULTILINE)
        return {"sub_questions": [q[-1] if q else "?"]}
    if state == "search":
        m = re.search(r'<passage id="([^"]+)" title="([^"]*)"', text)
        return {"found": True, "answer": m.group(2), "passage_ids": [m.group(1)]} if m else {"found": False, "reformulated_query": "x"}
    if state == "revise_search":
        return {"verdict": "accept"}
    if state == "judge":
        return {"sufficient": True, "next": "answer", "reason": "all steps answered"}
    if state == "answer":
        answers = re.findall(r"->\s*(.+)$", text, re.MULTILINE) or re.findall(r"answer: (.+)$", text, re.MULTILINE)
        return {"answer": answers[-1].strip() if answers else "unanswerable", "answerable": bool(answers)}
    return {"error": "unknown state"}


@pytest.fixture(autouse=True)
def _sgfsm_flow(monkeypatch):
    """The fake above plays every SG-FSM state: these runs use that flow (tests/test_llm_grounded.py: the default)."""
    monkeypatch.setenv("HOPQA_LLM_FLOW", "sgfsm")


def test_eval_policy_llm_end_to_end_with_usage_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOPQA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HOPQA_LLM_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    runner = CliRunner()
    base = ["eval", "--demo", "--limit", "6", "--model", "hash:256", "--index-dir", str(tmp_path / "ix"),
            "--policy", "llm", "--llm-model", "fake", "--json"]
    with FakeLLMServer(fallback=extractive_fake) as server:
        r = runner.invoke(app, base + ["--llm-url", server.url, "--output-dir", str(tmp_path / "run1")])
        assert r.exit_code == 0, r.output
        m = json.loads(r.stdout)
        first = len(server.requests)
        assert first > 0
        assert m["n"] == 6 and 0.0 <= m["answer_f1"] <= 1.0 and 0.0 <= m["recall@5"] <= 1.0
        assert m["usage"]["calls"] >= 6 * 3  # decompose, search, revise per question at least (compact flow)
        assert m["usage"]["schema_valid"] == m["usage"]["calls"] - m["usage"]["cached_calls"]
        assert m["usage"]["prompt_tokens"] > 0 and m["usage"]["completion_tokens"] > 0
        report = (tmp_path / "run1" / "report.md").read_text()
        assert "LLM usage" in report and '"calls"' in report and "prompt_tokens" in report
        traces = [json.loads(x) for x in (tmp_path / "run1" / "traces.jsonl").read_text().splitlines()]
        assert all(t["usage"].get("calls", 0) > 0 for t in traces)
        assert {t["transitions"][-1]["to"] for t in traces} == {"DONE"}

        # The same questions again, into a new output dir: every call comes from the on-disk cache.
        r2 = runner.invoke(app, base + ["--llm-url", server.url, "--output-dir", str(tmp_path / "run2")])
        assert r2.exit_code == 0, r2.output
        assert len(server.requests) == first
        m2 = json.loads(r2.stdout)
        assert m2["usage"]["cached_calls"] == m2["usage"]["calls"] > 0
        assert m2["answer_f1"] == m["answer_f1"]


def test_eval_policy_llm_unreachable_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HOPQA_HOME", str(tmp_path / "home"))
    with FakeLLMServer(fallback=extractive_fake) as server:
        url = server.url
    r = CliRunner().invoke(app, ["eval", "--demo", "--limit", "1", "--model", "hash:256", "--index-dir",
                                 str(tmp_path / "ix"), "--policy", "llm", "--llm-url", url])
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    assert "cannot reach LLM endpoint" in r.output


def test_server_killed_mid_eval_stops_in_one_line_and_resume_finishes(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("HOPQA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HOPQA_LLM_API_KEY", raising=False)
    cfg = tmp_path / "fast.toml"
    cfg.write_text("[llm]\nmax_retries = 1\nbackoff_base = 0.01\nbackoff_max = 0.02\ntimeout = 5\n", encoding="utf-8")
    out = tmp_path / "run"
    base = ["eval", "--demo", "--limit", "4", "--model", "hash:256", "--index-dir", str(tmp_path / "ix"), "--config",
            str(cfg), "--policy", "llm", "--llm-model", "fake", "--output-dir", str(out), "--json"]
    runner = CliRunner()
    holder: dict = {}

    def dies_after_7(request):  # the server process goes away in the middle of the second question
        if len(holder["srv"].requests) > 7:
            threading.Thread(target=holder["srv"].close, daemon=True).start()
            return Reply.error(503, "shutting down")
        return extractive_fake(request)

    with FakeLLMServer(fallback=dies_after_7) as srv:
        holder["srv"] = srv
        r = runner.invoke(app, base + ["--llm-url", srv.url])
    assert r.exit_code == 5, r.output
    assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1
    assert "LLM endpoint" in r.stderr
    done = (out / "traces.jsonl").read_text().splitlines() if (out / "traces.jsonl").exists() else []
    assert len(done) < 4

    port = int(holder["srv"].url.rsplit(":", 1)[1].split("/")[0])
    with FakeLLMServer(fallback=extractive_fake, port=port) as srv2:  # restarted on its port: --resume finishes
        r2 = runner.invoke(app, base + ["--llm-url", srv2.url, "--resume"])
    assert r2.exit_code == 0, r2.output
    assert json.loads(r2.stdout)["n"] == 4
    assert len((out / "traces.jsonl").read_text().splitlines()) == 4
