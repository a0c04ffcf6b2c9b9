"""`hopqa ask` through the Typer CLI: text and JSON output, question files and stdin, --show-fsm, one-line errors;
end to end on the demo corpus with MiniLM (marked `model`); and an honesty check that gold fields never reach the
answering path.

Most tests use an index of the demo corpus built with the deterministic `hash:256` test encoder (about 2 s); the
`model` tests share one session-wide MiniLM index of the demo corpus.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hopqa_cli.main import app
from hopqa.config import IndexConfig
from hopqa.corpus import CorpusSource
from hopqa.demo import demo_corpus, demo_questions
from hopqa.errors import ModelError
from hopqa.fsm import TRANSITIONS
from hopqa.index import MANIFEST, build_index, open_index
from hopqa.metrics.answer import answer_em, answer_f1
from test_fsm import check_answer_schema

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Who founded the record label that released Low Tide Radio?"
ENV_VARS = ("HOPQA_INDEX", "HOPQA_LLM_URL", "HOPQA_LLM_MODEL", "HOPQA_CONFIG", "HOPQA_MODEL", "HOPQA_DEBUG",
            "HOPQA_MAX_HOPS", "HOPQA_INDEX_DIR")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def hash_demo(tmp_path_factory) -> Path:
    """The demo corpus indexed with hash:256 through `hopqa index build`."""
    root = tmp_path_factory.mktemp("indexes")
    r = CliRunner().invoke(app, ["index", "build", "--demo", "--name", "demo", "--model", "hash:256",
                                 "--index-dir", str(root), "--json"])
    assert r.exit_code == 0, r.output
    return root / "demo"


def cli(*args, input: str | None = None):
    return CliRunner().invoke(app, ["ask", *[str(a) for a in args]], input=input)


def assert_one_line_error(r, code: int, pattern: str) -> None:
    """A clear failure: the given exit code, one 'error:' line matching pattern, no traceback anywhere."""
    assert r.exit_code == code, (r.exit_code, r.output)
    text = r.output.strip()
    assert "Traceback" not in text, text
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------------------------------
# Output


def test_answer_is_printed(hash_demo):
    r = cli("--index", hash_demo, QUESTION)
    assert r.exit_code == 0, r.output
    assert QUESTION in r.output  # the answer panel's title
    assert "confidence" in r.output and "hop 1" in r.output and "query:" in r.output
    assert re.search(r"\d+ ms total, \d+ ms retrieval, \d+ hops", r.output)
    assert "DECOMPOSE" in r.output and "DONE" in r.output  # the path through the machine


def test_json_output_has_the_schema(hash_demo):
    r = cli("--index", hash_demo, "--json", QUESTION)
    assert r.exit_code == 0, r.output
    (d,) = json_lines(r.output)
    check_answer_schema(d, index_path=str(hash_demo))
    assert d["question"] == QUESTION and d["config"]["model"] == "hash:256" and d["config"]["policy"] == "local"
    assert d["config"]["hops"]["max_hops"] == 4
    r2 = cli("--index", hash_demo, "--json", "--max-hops", "1", "--k", "3", QUESTION)
    (d2,) = json_lines(r2.output)
    check_answer_schema(d2)
    assert len(d2["hops"]) == 1 and d2["sub_questions"] == [] and d2["config"]["hops"]["k"] == 3


def test_questions_file_gives_one_json_line_each(hash_demo, tmp_path):
    qs = ["Where was the director of Northbound Lights born?", QUESTION, "When did the home ground of Kessport Athletic open?"]
    f = tmp_path / "qs.txt"
    f.write_text(f"{qs[0]}\n\n{json.dumps({'question': qs[1], 'id': 'x'})}\n   {qs[2]}  \n", encoding="utf-8")
    r = cli("--index", hash_demo, "--questions", f)
    assert r.exit_code == 0, r.output
    rows = json_lines(r.output)
    assert [d["question"] for d in rows] == qs
    for d in rows:
        check_answer_schema(d)


def test_dash_reads_questions_from_stdin(hash_demo):
    qs = ["Where was the director of Northbound Lights born?", QUESTION]
    r = cli("--index", hash_demo, "-", input="\n".join(qs) + "\n")
    assert r.exit_code == 0, r.output
    assert [d["question"] for d in json_lines(r.output)] == qs
    r = cli("--index", hash_demo, "--questions", "-", input=QUESTION + "\n")
    assert [d["question"] for d in json_lines(r.output)] == [QUESTION]


def test_show_fsm_prints_the_table():
    r = cli("--show-fsm")
    assert r.exit_code == 0, r.output
    rows = {tuple(line.split()[:3]) for line in r.output.splitlines()[1:] if line.strip()}
    assert rows == {(s.value, e, t.value) for (s, e), t in TRANSITIONS.items()}


# --------------------------------------------------------------------------------------------------------------------
# Errors: one line, an exit code, no traceback


def test_missing_index(tmp_path):
    assert_one_line_error(cli("--index", tmp_path / "nope", QUESTION), 3, r"no index at .*nope")
    assert_one_line_error(cli("--index", "nope", "--index-dir", tmp_path, QUESTION), 3, r"no index at .*nope")


def test_empty_question(hash_demo):
    assert_one_line_error(cli("--index", hash_demo, "   "), 2, r"empty question")
    assert_one_line_error(cli("--index", hash_demo, "-", input="\n  \n"), 2, r"empty question")


def test_no_question_and_no_index(hash_demo):
    assert_one_line_error(cli(QUESTION), 2, r"no index: give --index")
    assert_one_line_error(cli("--index", hash_demo), 2, r"give a question")


def test_bad_questions_file(hash_demo, tmp_path):
    assert_one_line_error(cli("--index", hash_demo, "--questions", tmp_path / "none.txt"), 2, r"none\.txt: file not found")
    f = tmp_path / "bad.jsonl"
    f.write_text(QUESTION + "\n{\"question\": 3}\n", encoding="utf-8")
    assert_one_line_error(cli("--index", hash_demo, "--questions", f), 2, r"bad\.jsonl:2: field 'question'")


def test_index_built_with_another_model(hash_demo, tmp_path):
    # Library: asking for another model than the index's is a ModelError naming both.
    with pytest.raises(ModelError, match=r"built with model 'hash:256', not 'all-MiniLM-L6-v2'"):
        open_index(hash_demo, model="all-MiniLM-L6-v2")
    # CLI: an index whose manifest names a model that does not give its vectors (hash:128 for 256-d vectors).
    import shutil

    other = tmp_path / "other"
    shutil.copytree(hash_demo, other)
    m = json.loads((other / MANIFEST).read_text(encoding="utf-8"))
    m["encoder"]["name"] = "hash:128"
    (other / MANIFEST).write_text(json.dumps(m), encoding="utf-8")
    assert_one_line_error(cli("--index", other, QUESTION), 4, r"model 'hash:128' gives 128-d vectors .* 256-d")


def test_llm_policy_needs_a_url(hash_demo):
    assert_one_line_error(cli("--index", hash_demo, "--policy", "llm", QUESTION), 2, r"--policy llm needs --llm-url")


def test_unknown_policy(hash_demo):
    r = cli("--index", hash_demo, "--policy", "oracle", QUESTION)  # Typer's usage error, from the --policy choices
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert "'oracle' is not one of 'local', 'llm'." in " ".join(r.output.replace("│", " ").split()), r.output


# --------------------------------------------------------------------------------------------------------------------
# End to end on the demo corpus with MiniLM


@pytest.fixture(scope="session")
def minilm_demo(tmp_path_factory, minilm) -> Path:
    """The demo corpus indexed once with all-MiniLM-L6-v2 (about 5 s), shared by every `model` test."""
    path = tmp_path_factory.mktemp("minilm") / "demo"
    build_index([CorpusSource(str(demo_corpus()))], path, config=IndexConfig(), encoder=minilm)
    return path


def demo_records(prefix: str) -> list[dict]:
    with demo_questions().open(encoding="utf-8") as fh:
        return [r for r in map(json.loads, fh) if r["id"].startswith(prefix)]


# Every 2-hop demo question must be answered right (official F1 == 1, or EM over the aliases) except those listed
# here with why; a listed one that starts passing fails the test too, so that improvements are recorded.
TWO_HOP_WRONG: dict[str, str] = {
    "2hop__demo_12": "the reader does not take 'National Gallery of Velmora' from 'The painting has been held by the "
                     "National Gallery of Velmora' for 'Which museum holds The Red Wharf?' (below threshold, top "
                     "candidate Halvard Keel); the retry hop reads the Gallery passage, so step 2 cannot read it again",
}
# The open corpus states a few facts twice (hopqa/data/demo/README.md). Where the machine cites the other passage,
# (question id, gold passage id) -> the corpus passage that states the same fact; the gold one must still be in the
# top 10 of the ranking.
ALTERNATIVE_SUPPORT: dict[tuple[str, str], str] = {
    # gold "Brenholt ... lies on the Ilse River"; cited "The Ilse River ... flows west through Brenholt"
    ("2hop__demo_06", "demo-010"): "demo-019",
}


@pytest.mark.model
def test_demo_two_hop_questions_end_to_end(minilm_demo, tmp_path):
    recs = demo_records("2hop__")
    assert len(recs) == 13
    f = tmp_path / "q.jsonl"
    f.write_text("".join(json.dumps({"question": r["question"]}) + "\n" for r in recs), encoding="utf-8")
    r = cli("--index", minilm_demo, "--questions", f)
    assert r.exit_code == 0, r.output
    answers = json_lines(r.output)
    assert [a["question"] for a in answers] == [x["question"] for x in recs]
    ix = open_index(minilm_demo)
    by_text = {(p.title, p.text): p.id for p in ix.passages}
    report, problems = [], []
    for rec, a in zip(recs, answers):
        check_answer_schema(a)
        golds = [rec["answer"], *rec["answer_aliases"]]
        f1, em = answer_f1(a["answer"], golds), answer_em(a["answer"], golds)
        support = [by_text[(p["title"], p["paragraph_text"])] for p in rec["paragraphs"] if p["is_supporting"]]
        evidence = {e["id"] for e in a["evidence"]}
        found = evidence | {x["id"] for x in a["ranking"][:5]}
        top10 = {x["id"] for x in a["ranking"][:10]}
        report.append(f"{rec['id']}: {a['answer']!r} (gold {rec['answer']!r}) F1 {f1:.2f}; support {support} "
                      f"evidence {sorted(evidence)} top 5 {[x['id'] for x in a['ranking'][:5]]}")
        assert len(support) == 2
        for pid in support:
            alt = ALTERNATIVE_SUPPORT.get((rec["id"], pid))
            if pid in found:
                continue
            if alt and alt in evidence and pid in top10:
                continue
            problems.append(f"{rec['id']}: supporting passage {pid} not in the evidence or the top 5")
        right = f1 == 1.0 or em == 1.0
        if rec["id"] in TWO_HOP_WRONG:
            if right:
                problems.append(f"{rec['id']} is now answered right: remove it from TWO_HOP_WRONG")
        elif not right:
            problems.append(f"{rec['id']}: answered {a['answer']!r}, gold {golds}")
    assert not problems, "\n".join(problems + ["", *report])
    right = len(recs) - len(TWO_HOP_WRONG)
    assert right >= 10


# Every unanswerable demo contrast must be refused ("unanswerable") except those listed here with why; a listed one that
# starts being refused fails the test too, so that improvements are recorded.
UNANSWERABLE_ANSWERED: dict[str, str] = {
    "4hop1__demo_03": "no decomposition rule applies to the long question, and a decomposition-free answer is not "
                      "verified link by link: the reader takes 'eight' from Brenholt United's national cup record",
}


@pytest.mark.model
def test_demo_unanswerable_questions_are_refused(minilm_demo, minilm):
    from hopqa.qa import Asker

    with demo_questions(unanswerable=True).open(encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh]
    assert len(recs) >= 14
    asker = Asker(open_index(minilm_demo, encoder=minilm))
    problems, report = [], []
    for rec in recs:
        a = asker.ask(rec["question"])
        report.append(f"{rec['id']}: {a.answer!r} ({a.confidence:.2f}) {[t.reason for t in a.transitions]}")
        if rec["id"] in UNANSWERABLE_ANSWERED:
            if not a.answerable:
                problems.append(f"{rec['id']} is now refused: remove it from UNANSWERABLE_ANSWERED")
        elif a.answerable or a.answer != "unanswerable" or a.evidence:
            problems.append(f"{rec['id']}: answered {a.answer!r} to {rec['question']!r}")
    assert not problems, "\n".join(problems + ["", *report])


# --------------------------------------------------------------------------------------------------------------------
# Honesty: gold fields stay with the loader, the scorer and the flagged oracle ablation

GOLD_NAMES = {"is_supporting", "question_decomposition", "paragraph_support_idx", "answer_aliases", "supporting_facts",
              "supporting_ids", "supporting_passage_ids", "supporting_idxs"}
GOLD_KEYS = {"answer", "answers", "answerable"}  # read as record[...] or record.get(...)
# The loader, the official-format writers and the metric modules that score against gold records.
ALLOWED_FILES = {"hopqa/eval_datasets.py", "hopqa/predictions.py", "hopqa/metrics/musique.py", "hopqa/metrics/hotpot.py",
                 "hopqa/metrics/twowiki.py"}
# The evaluation's scorer functions, each in its file (the rest of those files is checked); in hopqa/evaluate.py only
# answer_item's ORACLE line.
SCORER_FUNCTIONS = {"hopqa/eval_scoring.py": {"score_record", "summarize"}, "hopqa/eval_index.py": {"_align_ids"}}
# The LLM policy and its prompt helpers read an "answer" key from the *LLM's* JSON replies (never from a dataset
# record): GOLD_KEYS are not checked there, GOLD_NAMES and .gold still are.
LLM_REPLY_FILES = {"hopqa/policy/llm.py", "hopqa/policy/replies.py", "hopqa/policy/calls.py", "hopqa/llm/prompts.py",
                   "hopqa/llm/parse.py", "hopqa/llm/client.py", "hopqa/lm/reader.py", "hopqa/lm/runtime.py"}
ANSWERING = ["hopqa/fsm.py", "hopqa/hops.py", "hopqa/policy", "hopqa/reader.py", "hopqa/decompose", "hopqa/lexical",
             "hopqa/text.py", "hopqa/qa.py",
             "hopqa/index.py", "hopqa/corpus.py", "hopqa/lm", "hopqa/compare.py", "hopqa/readers.py"]


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def gold_uses(path: Path, rel: str) -> list[tuple[int, str, str]]:
    """(line, enclosing function, what) for every gold-field use in a source file; comments and docstrings ignored."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstring_nodes(tree)
    out: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            func = node.name
        what = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if node.value in GOLD_NAMES:
                what = f"string {node.value!r}"
        elif isinstance(node, ast.Name) and node.id in GOLD_NAMES | {"Gold"}:
            what = f"name {node.id}"
        elif isinstance(node, ast.Attribute) and node.attr in GOLD_NAMES | {"gold"}:
            what = f"attribute .{node.attr}"
        if rel not in LLM_REPLY_FILES:
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in GOLD_KEYS:
                what = f"record[{node.slice.value!r}]"
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                  and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in GOLD_KEYS):
                what = f"record.get({node.args[0].value!r})"
        if what:
            out.append((getattr(node, "lineno", 0), func, what))
        for child in ast.iter_child_nodes(node):
            visit(child, func)

    visit(tree, "<module>")
    return out


def test_gold_fields_only_in_loader_scorer_and_oracle():
    files = sorted(p for d in ("hopqa", "cli") for p in (ROOT / d).rglob("*.py"))
    assert len(files) > 20
    # The exemptions name files that exist: a module split or renamed must be re-listed, not silently checked anew.
    assert [f for f in sorted(ALLOWED_FILES | LLM_REPLY_FILES | set(SCORER_FUNCTIONS)) if not (ROOT / f).is_file()] == []
    offending, in_evaluate, in_loader, in_scorers = [], [], [], set()
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        uses = gold_uses(path, rel)
        if rel in ALLOWED_FILES:
            in_loader += uses
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, func, what in uses:
            if func in SCORER_FUNCTIONS.get(rel, ()):
                in_scorers.add((rel, func))
                continue
            if rel == "hopqa/evaluate.py":
                in_evaluate.append((line, func, what))
                if func == "answer_item" and "ORACLE" in lines[line - 1] and "sub_questions" in lines[line - 1]:
                    continue
            offending.append(f"{rel}:{line} in {func}: {what}: {lines[line - 1].strip()}")
    assert not offending, "gold fields outside the loader, the scorer and the oracle ablation:\n" + "\n".join(offending)
    # The check sees what it should: the loader reads the gold fields, the runner's oracle line is one of its uses.
    assert {w for _, _, w in in_loader} >= {"string 'is_supporting'", "string 'question_decomposition'",
                                             "string 'answer_aliases'", "record.get('answer')"}
    assert in_scorers == {(f, fn) for f, fns in SCORER_FUNCTIONS.items() for fn in fns}, "an exempt scorer reads no gold"
    oracle = [u for u in in_evaluate if u[1] == "answer_item"]
    assert len(oracle) == 1 and oracle[0][2] == "attribute .gold"


def test_answering_modules_never_touch_gold():
    """The named answering modules: not even the words (docstrings aside), and no import of the eval loader."""
    for entry in ANSWERING:
        target = ROOT / entry
        for path in ([target] if target.is_file() else sorted(target.rglob("*.py"))):
            rel = path.relative_to(ROOT).as_posix()
            assert gold_uses(path, rel) == [], rel
            code = path.read_text(encoding="utf-8")
            tree = ast.parse(code)
            imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            assert not {m for m in imported if set(m.split(".")) & {"eval_datasets", "eval_index", "eval_scoring",
                                                                    "evaluate", "metrics", "predictions"}}, rel


def test_honesty_check_catches_a_leak(tmp_path):
    """The checker itself: a planted gold read in an answering module is reported."""
    leak = tmp_path / "leak.py"
    leak.write_text('def f(rec, item):\n    """is_supporting in a docstring is fine."""\n'
                    '    # answer_aliases in a comment is fine\n'
                    '    return rec["answer"], rec.get("is_supporting"), item.gold.answers\n', encoding="utf-8")
    whats = {w for _, _, w in gold_uses(leak, "hopqa/hops.py")}
    assert whats == {"record['answer']", "string 'is_supporting'", "attribute .gold"}
