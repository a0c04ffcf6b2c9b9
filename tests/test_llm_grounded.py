"""The LLM policy's default flow ("grounded"): the LLM decomposes, and every sub-answer and answer is read from the
hop's condensed facts with the grounded reader prompt (hopqa.lm.reader), through the same endpoint and client.

A scripted local FakeLLMServer plays the model (no network, no model): DECOMPOSE prompts are recognised by their
"Step: DECOMPOSE." line, reader prompts by the reader's system prompt. The fake reader is grounded like a good model:
it answers only from the numbered facts it is shown, citing the fact that states the answer.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hopqa.config import Config, HopConfig, IndexConfig, LLMConfig
from hopqa.corpus import CorpusSource
from hopqa.errors import InputError
from hopqa.index import build_index, open_index
from hopqa.lm.reader import SYSTEM as READER_SYSTEM, YEARS_SYSTEM
from hopqa.policy.llm import LLMPolicy
from hopqa.qa import Asker
from hopqa.testing import FakeLLMServer, Reply

DOCS = [
    {"id": "c01", "title": "Vessen Cathedral", "text": "Vessen Cathedral is a Gothic church in the port of Vessen. "
                                                      "It was designed by the architect Ada Morrow and completed in 1321."},
    {"id": "c02", "title": "Ada Morrow", "text": "Ada Morrow was an architect born in Brightwater in 1280. "
                                                "In 1302 she married the painter Tomas Quill."},
    {"id": "c03", "title": "Tomas Quill", "text": "Tomas Quill was a painter of river landscapes. He was born in Halvik in 1276."},
    {"id": "c04", "title": "Halvik", "text": "Halvik is a harbour village known for smoked herring and a red lighthouse."},
    {"id": "c05", "title": "Brightwater", "text": "Brightwater is a mill town on the river Lune, famous for its paper."},
    {"id": "c06", "title": "Lake Orvell", "text": "Lake Orvell is a freshwater lake in the north of Keldmark, fed by the Sanna."},
    {"id": "c07", "title": "Keldmark", "text": "Keldmark is a small kingdom whose capital is Vessen, a port on the west coast."},
]
Q2 = "Who is the spouse of the architect of Vessen Cathedral?"
SUBS = ["Who designed Vessen Cathedral?", "Who is the spouse of #1?"]
# What the fake reader knows: words of the question -> the answer (given only when a shown fact states it)
KNOWS = {"designed vessen cathedral": "Ada Morrow", "spouse of ada morrow": "Tomas Quill"}
HAPPY = ["DECOMPOSE -decomposed-> REVISE_DECOMPOSITION", "REVISE_DECOMPOSITION -valid-> SEARCH",
         "SEARCH -retrieved-> REVISE_SEARCH", "REVISE_SEARCH -accepted-> JUDGE", "JUDGE -next-> SEARCH",
         "SEARCH -retrieved-> REVISE_SEARCH", "REVISE_SEARCH -accepted-> JUDGE", "JUDGE -sufficient-> ANSWER",
         "ANSWER -answered-> DONE"]


def norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def facts_of(text: str) -> list[str]:
    block = text.split("<facts>", 1)[1].split("</facts>", 1)[0]
    return re.findall(r"^\[\d+\] (.*)$", block, re.MULTILINE)


class Brain:
    """The fake model. `reader_answer` replaces the fake reader's answer (to play a model that invents one)."""

    def __init__(self, decompositions: dict[str, list[str]] | None = None, reader_answer: str | None = None):
        self.decompositions = {Q2: SUBS, **(decompositions or {})}
        self.reader_answer = reader_answer
        self.kinds: list[str] = []

    def __call__(self, request: dict) -> Any:
        system, text = request["messages"][0]["content"], request["messages"][1]["content"]
        if system == READER_SYSTEM:
            self.kinds.append("read")
            return self.read(text)
        if system == YEARS_SYSTEM:
            self.kinds.append("years")
            facts = facts_of(text)
            opts = re.findall(r"^\d+\. (.*)$", text.split("Options:", 1)[1], re.MULTILINE)
            years = []
            for o in opts:
                stated = [re.search(r"\b(1\d{3})\b", f) for f in facts if o in f and "born" in f]
                years.append(int(stated[0].group(1)) if stated and stated[0] else 0)
            return {"years": years}
        m = re.match(r"Step: (\w+)\.", text)
        state = m.group(1).lower() if m else "?"
        self.kinds.append(state)
        if state in ("decompose", "revise_decomposition"):
            q = re.findall(r"^Question: (.*)$", text, re.MULTILINE)[-1].strip()
            return {"sub_questions": self.decompositions.get(q, [q])}
        raise AssertionError(f"the grounded flow asked for state {state!r}")

    def read(self, text: str) -> dict:
        question = norm(re.findall(r"^Question: (.*)$", text, re.MULTILINE)[-1])
        facts = facts_of(text)
        for pattern, answer in KNOWS.items():
            if pattern in question:
                answer = self.reader_answer or answer
                for i, f in enumerate(facts, 1):
                    if norm(answer) in norm(f):
                        return {"answer": answer, "facts": [i]}
                return {"answer": answer, "facts": [1]} if self.reader_answer else {"answer": "unanswerable", "facts": []}
        return {"answer": "unanswerable", "facts": []}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("llm-grounded")
    src = root / "docs.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    build_index([CorpusSource(str(src))], root / "idx", config=IndexConfig(model="hash:256"))
    return open_index(root / "idx")


@pytest.fixture(autouse=True)
def _isolated(tmp_home, monkeypatch):
    for var in ("HOPQA_LLM_API_KEY", "OPENAI_API_KEY", "HOPQA_LLM_FLOW"):
        monkeypatch.delenv(var, raising=False)


def ask(index, brain, question: str = Q2, script: list | None = None, **hops: Any):
    h = dict(max_hops=4, read=1, retries=1)
    h.update(hops)
    with FakeLLMServer(script or [], fallback=brain) as srv:
        cfg = Config(hops=HopConfig(**h), llm=LLMConfig(url=srv.url, model="fake-model", timeout=2.0, max_retries=1,
                                                          backoff_base=0.001, backoff_max=0.01, parse_retries=0))
        answer = Asker(index, cfg, policy=LLMPolicy(cfg.llm, cache=False)).ask(question)
    assert not srv.errors, srv.errors
    return answer, srv


def flow(answer) -> list[str]:
    return [f"{t.source} -{t.reason}-> {t.target}" for t in answer.transitions]


def test_the_default_flow_is_grounded():
    assert LLMConfig().flow == "grounded"
    with pytest.raises(InputError, match="llm.flow must be one of grounded, sgfsm"):
        LLMPolicy(LLMConfig(url="http://127.0.0.1:9/v1", flow="free"))


def test_two_hop_chain_decomposed_by_the_llm_and_read_from_the_facts(index):
    brain = Brain()
    answer, srv = ask(index, brain)
    assert flow(answer) == HAPPY
    assert answer.answer == "Tomas Quill" and answer.answerable and answer.guess is None
    assert answer.sub_questions == SUBS
    assert [h.sub_answer for h in answer.hops] == ["Ada Morrow", "Tomas Quill"]
    assert {"c01", "c02"} <= {h.id for h in answer.evidence}
    # one DECOMPOSE call, one grounded reading per hop, no other state asks the LLM (the chain's last verified
    # sub-answer is the answer)
    assert brain.kinds == ["decompose", "read", "read"]
    u = answer.usage
    assert u["flow"] == "grounded" and u["calls"] == 3 == len(srv.requests)
    assert u["by_state"]["decompose"]["calls"] == 1 and u["by_state"]["read"]["calls"] == 2
    assert u["schema_valid"] == 3 and u["invalid_replies"] == 0
    # every reading is schema-constrained and shows the hop's condensed facts as delimited, numbered data
    reads = [r for r in srv.requests if r["messages"][0]["content"] == READER_SYSTEM]
    assert len(reads) == 2 and all(r.get("response_format") for r in reads)
    assert "Ada Morrow" in reads[1]["messages"][1]["content"].split("<facts>", 1)[1].split("</facts>", 1)[0]
    assert "Question: Who is the spouse of Ada Morrow?" in reads[1]["messages"][1]["content"]


def test_an_invented_answer_is_not_accepted(index):
    """A model that answers a name no fact states: the reader's grounding check refuses it at every hop, and the
    sub-answers fall back to the rule reader's verified spans (as in the local policy); the invented name never
    reaches the answer or the trace's sub-answers."""
    brain = Brain(reader_answer="Queen Maud")
    answer, _ = ask(index, brain)
    assert brain.kinds.count("read") >= 2  # every hop was read by the model first
    assert answer.answer == "Tomas Quill" and [h.sub_answer for h in answer.hops] == ["Ada Morrow", "Tomas Quill"]
    assert "Queen Maud" not in json.dumps(answer.to_dict())


def test_comparison_questions_take_the_local_lookup_path(index):
    """"Who was born first, A or B?" is a comparison shape: one lookup per option and the years compared in code,
    with no DECOMPOSE call; the model only reads each option's year."""
    brain = Brain()
    answer, _ = ask(index, brain, "Who was born first, Ada Morrow or Tomas Quill?")
    assert answer.question_type == "comparison" and "decompose" not in brain.kinds
    assert answer.answerable and answer.answer == "Tomas Quill"  # 1276 before 1280
    assert "years" in brain.kinds


def test_an_unparseable_reading_is_counted_and_the_machine_goes_on(index):
    """Replies that are not JSON: the endpoint reader retries once, then reads the hop as unanswerable (counted);
    the machine retries the hop and finishes, never a crash."""
    brain = Brain()
    answer, _ = ask(index, brain, script=[Reply.json({"sub_questions": SUBS}), Reply.text("Ada Morrow, I think"),
                                          Reply.text("still not JSON")])
    assert answer.transitions[-1].target == "DONE"
    assert answer.usage["invalid_replies"] >= 2
    assert answer.answer == "Tomas Quill"  # the retried hop was read again, by the (now well-behaved) brain


def test_cli_eval_with_the_grounded_flow(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hopqa_cli.main import app

    monkeypatch.setenv("HOPQA_HOME", str(tmp_path / "home"))
    brain = Brain()
    with FakeLLMServer(fallback=brain) as srv:
        r = CliRunner().invoke(app, ["eval", "--demo", "--limit", "4", "--model", "hash:256", "--index-dir",
                                     str(tmp_path / "ix"), "--policy", "llm", "--llm-url", srv.url, "--llm-model",
                                     "fake", "--json", "--output-dir", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)
    assert m["n"] == 4 and m["usage"]["calls"] == len(srv.requests) > 0
    traces = [json.loads(x) for x in Path(tmp_path / "run" / "traces.jsonl").read_text().splitlines()]
    assert all(t["usage"]["flow"] == "grounded" for t in traces)
    assert {k for k in brain.kinds} <= {"decompose", "read", "years"}
