"""The persistent hybrid index: round trips, every input format, append, bad input, atomicity, format checks.

Almost everything runs on the deterministic `hash:256` test encoder; the tests marked `model` use the real
all-MiniLM-L6-v2 on the first 5 MuSiQue dev questions.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import hopqa.index as I
from hopqa_cli.main import app
from hopqa.config import IndexConfig
from hopqa.corpus import CorpusSource
from hopqa.encoders import HashingEncoder
from hopqa.errors import IndexError_, IndexFormatError, ModelError
from hopqa.index import FORMAT_VERSION, add_to_index, build_index, open_index

ROOT = Path(__file__).resolve().parents[1]
MUSIQUE = Path(__file__).resolve().parents[1].parent / "shared/data/musique/musique_ans_dev_100.jsonl"
HASH = IndexConfig(model="hash:256")
MODES = ("hybrid", "dense", "bm25")

DOCS = [
    {"id": "d01", "title": "Lake Orvell", "text": "Lake Orvell is a freshwater lake in the north of Keldmark, fed by the river Sanna."},
    {"id": "d02", "title": "Sanna", "text": "The Sanna is a river that rises in the Tollen hills and flows into Lake Orvell."},
    {"id": "d03", "title": "Keldmark", "text": "Keldmark is a small kingdom whose capital is Vessen, a port on the western coast."},
    {"id": "d04", "title": "Vessen", "text": "Vessen was founded in 1204 by fishermen; its cathedral was designed by Ada Morrow."},
    {"id": "d05", "title": "Ada Morrow", "text": "Ada Morrow was an architect born in Brightwater who studied stone vaulting."},
    {"id": "d06", "title": "Brightwater", "text": "Brightwater is a mill town on the river Lune, famous for its paper and its clock tower."},
    {"id": "d07", "title": "Tollen hills", "text": "The Tollen hills are low granite hills covered in heather and old copper mines."},
    {"id": "d08", "title": "Lune", "text": "The Lune is a slow river crossing Brightwater before it reaches the sea at Halvik."},
    {"id": "d09", "title": "Halvik", "text": "Halvik is a harbour village known for smoked herring and a lighthouse painted red."},
    {"id": "d10", "title": "Copper mining", "text": "Copper mining in the Tollen hills ended in 1890 when the last shaft flooded."},
]
QUERIES = ["Who designed the cathedral of Vessen?", "Which river flows into Lake Orvell?",
           "Where was Ada Morrow born?", "copper mines in granite hills", "red lighthouse harbour"]


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def texts_of(passages) -> list[str]:
    """What the index encodes for each passage (the manifest's bm25.fields says the same): "title. text"."""
    return [f"{p.title}. {p.text}" if p.title else p.text for p in passages]


def results(idx, queries=QUERIES, k: int = 5) -> dict:
    return {(m, q): [(h.id, round(h.score, 5), h.dense_rank, h.bm25_rank) for h in idx.search(q, k, mode=m)]
            for m in MODES for q in queries}


def assert_topk_matches_brute_force(index_dir: Path, query_vectors: np.ndarray, k: int) -> None:
    """FAISS top-k == numpy brute force over embeddings.npy (scores equal; rows equal up to exact score ties)."""
    import faiss

    emb = np.load(index_dir / "embeddings.npy", allow_pickle=False)
    fx = faiss.read_index(str(index_dir / "dense.faiss"))
    D, R = fx.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
    S = query_vectors @ emb.T
    for qi in range(len(query_vectors)):
        order = np.argsort(-S[qi], kind="stable")[:k]
        np.testing.assert_allclose(D[qi], S[qi][order], atol=1e-5)
        np.testing.assert_allclose(S[qi][R[qi]], D[qi], atol=1e-5)  # each returned row has the score FAISS reports
        sure = S[qi][order] > (S[qi][order[-1]] + 1e-5)  # rows strictly above the k-th score cannot be tie-swapped
        assert set(order[sure]) <= set(R[qi])


def one_line(result) -> str:
    msg = result.stderr.strip()
    assert msg.count("\n") == 0, f"expected one line, got:\n{msg}"
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return msg


@pytest.fixture
def docs_index(tmp_home, write_corpus) -> Path:
    src = write_corpus("docs.jsonl", DOCS)
    path = tmp_home / "indexes" / "docs"
    build_index([CorpusSource(str(src))], path, config=HASH)
    return path


# ==================================================================================================== round trip


def test_round_trip_search_is_identical_after_reopen(tmp_home, write_corpus, docs_index):
    a = open_index("docs")  # by name, under $HOPQA_INDEX_DIR
    b = open_index(docs_index)  # by path
    assert a.path == b.path == docs_index
    ra = results(a)
    assert ra == results(b)
    assert all(ra[("dense", q)] for q in QUERIES) and all(ra[("hybrid", q)] for q in QUERIES)
    # The build is deterministic: a second build of the same corpus elsewhere answers the same.
    other = tmp_home / "elsewhere" / "docs2"
    build_index([CorpusSource(str(tmp_home / "data" / "docs.jsonl"))], other, config=HASH)
    assert results(open_index(other)) == ra
    # Row i of embeddings.npy is passage i, encoded from "title. text" and L2-normalised.
    emb = np.load(docs_index / "embeddings.npy", allow_pickle=False)
    assert emb.dtype == np.float32 and emb.shape == (len(DOCS), 256)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(emb, HashingEncoder(256).encode(texts_of(a.passages)))
    assert [p.id for p in a.passages] == [d["id"] for d in DOCS]
    # Sensible answers, not just stable ones.
    assert a.search("Who designed the cathedral of Vessen?", 1, mode="bm25")[0].id == "d04"
    assert a.search("Where was Ada Morrow born?", 3, mode="hybrid")[0].id in {"d05", "d06"}


def test_faiss_topk_equals_numpy_brute_force(docs_index):
    idx = open_index(docs_index)
    q = HashingEncoder(256).encode(QUERIES + [d["text"] for d in DOCS])
    assert_topk_matches_brute_force(docs_index, q, k=5)
    # ...and the index's own dense mode returns exactly FAISS's ranking.
    for query in QUERIES:
        rows, scores = idx.dense_ranking(query, 5)
        np.testing.assert_allclose(scores, np.sort(idx.embeddings @ idx.encode_queries([query])[0])[::-1][:5], atol=1e-5)


def test_manifest_fields(docs_index):
    m = json.loads((docs_index / "manifest.json").read_text(encoding="utf-8"))
    assert m["format"] == "hopqa-index" and m["format_version"] == FORMAT_VERSION == 1
    assert set(m["versions"]) >= {"hopqa", "faiss", "bm25s", "sentence_transformers", "numpy", "python"}
    assert m["versions"]["faiss"] and m["versions"]["bm25s"] and m["versions"]["numpy"] == np.__version__
    assert m["encoder"] == {"name": "hash:256", "dim": 256, "normalize": True, "dtype": "float32"}
    assert m["dense"] == {"faiss_factory": "Flat", "metric": "inner_product", "requested": "auto"}  # auto: small -> exact
    assert m["bm25"]["library"] == "bm25s" and m["bm25"]["method"] == "lucene"
    assert m["passages"] == len(DOCS)
    h = hashlib.sha256()  # the fingerprint, recomputed from its documented definition
    for d in DOCS:
        h.update(f"{d['id']}\x00{d['title']}\x00{d['text']}\x01".encode("utf-8"))
    assert m["corpus_fingerprint"] == h.hexdigest()
    b = m["build"]
    assert (b["batch_size"], b["chunk_size"], b["max_words"], b["overlap_words"]) == (64, 2048, 120, 20)
    assert b["seconds"] >= b["encode_seconds"] >= 0
    assert m["sources"] == [f"{docs_index.parents[1] / 'data' / 'docs.jsonl'}:jsonl"]
    assert m["created"] and m["updated"] and m["machine"]["cpus"]
    on_disk = {f.relative_to(docs_index).as_posix(): f.stat().st_size for f in docs_index.rglob("*")
               if f.is_file() and f.name != "manifest.json"}
    assert {k: v["bytes"] for k, v in m["files"].items()} == on_disk
    assert {"passages.jsonl", "embeddings.npy", "dense.faiss", "bm25/params.index.json"} <= set(on_disk)


def test_cli_info_and_list(docs_index):
    r = cli("index", "info", "docs", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["passages"] == len(DOCS) and info["encoder"]["name"] == "hash:256" and info["size_bytes"] > 0
    r = cli("index", "list", "--json")
    assert r.exit_code == 0 and [x["name"] for x in json.loads(r.stdout)] == ["docs"]


# ==================================================================================================== input formats


def test_jsonl_with_custom_fields_via_cli(tmp_home, write_corpus):
    src = write_corpus("custom.jsonl", [
        {"doc_id": "a1", "heading": "Alpha", "body": "Alpha is the first letter."},
        {"doc_id": "b2", "heading": "Beta", "body": "Beta is the second letter."},
        {"heading": "Gamma", "body": "Gamma has no id: it gets one from its content."},
        {"doc_id": "d4", "body": "A passage without a title."},
    ])
    r = cli("index", "build", src, "--name", "custom", "--model", "hash:256", "--json",
            "--id-field", "doc_id", "--title-field", "heading", "--text-field", "body")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["passages"] == s["added"] == 4 and s["skipped_duplicates"] == 0 and s["model"] == "hash:256"
    idx = open_index("custom")
    got = [(p.id, p.title, p.text) for p in idx.passages]
    assert got[:2] == [("a1", "Alpha", "Alpha is the first letter."), ("b2", "Beta", "Beta is the second letter.")]
    assert got[2][0].startswith("p") and got[2][1:] == ("Gamma", "Gamma has no id: it gets one from its content.")
    assert got[3] == ("d4", "", "A passage without a title.")
    assert idx.search("second letter", 1, mode="bm25")[0].id == "b2"


def test_json_array(tmp_home, write_corpus):
    src = write_corpus("docs.json", json.dumps(DOCS[:4], indent=2))
    s = build_index([CorpusSource(str(src))], tmp_home / "indexes" / "arr", config=HASH)
    assert s.passages == 4
    idx = open_index("arr")
    assert [p.id for p in idx.passages] == ["d01", "d02", "d03", "d04"]
    assert idx.manifest["sources"][0].endswith("docs.json:json")


def _para(idx: int, title: str, text: str, sup: bool = False) -> dict:
    return {"idx": idx, "title": title, "paragraph_text": text, "is_supporting": sup}


def test_musique_pooling_dedupe_and_question_map(tmp_home, write_corpus):
    shared = ("Orvell", "Orvell is a lake fed by the Sanna.")
    src = write_corpus("mq.jsonl", [
        {"id": "2hop__1_2", "question": "Q1?", "answer": "A", "answerable": True,
         # listed out of idx order: the map must follow idx, not list position
         "paragraphs": [_para(2, "Vessen", "Vessen is a port."), _para(0, *shared, True), _para(1, "Ada", "Ada was an architect.")]},
        {"id": "2hop__3_4", "question": "Q2?", "answer": "B", "answerable": True,
         "paragraphs": [_para(0, "Halvik", "Halvik has a red lighthouse."), _para(1, *shared), _para(2, "Lune", "The Lune is a river.")]},
    ])
    s = build_index([CorpusSource(str(src))], tmp_home / "indexes" / "mq", config=HASH)
    assert (s.passages, s.skipped_duplicates) == (5, 1)
    idx = open_index("mq")
    assert idx.manifest["sources"][0].endswith("mq.jsonl:musique")  # auto-detected
    by_content = {(p.title, p.text): p.id for p in idx.passages}
    assert len(by_content) == 5
    qm = idx.question_map
    assert set(qm) == {"2hop__1_2", "2hop__3_4"}
    assert qm["2hop__1_2"] == [by_content[shared], by_content[("Ada", "Ada was an architect.")], by_content[("Vessen", "Vessen is a port.")]]
    assert qm["2hop__3_4"][1] == qm["2hop__1_2"][0] == by_content[shared]
    assert json.loads((idx.path / "question_map.json").read_text(encoding="utf-8")) == qm


def test_hotpot_context_pairs(tmp_home, write_corpus):
    src = write_corpus("hp.jsonl", [
        {"_id": "h1", "question": "Which river?", "answer": "Sanna",
         "context": [["Sanna", ["The Sanna is a river. ", "It flows into Lake Orvell."]], ["Keldmark", ["Keldmark is a kingdom."]]]},
        {"_id": "h2", "question": "Which kingdom?", "answer": "Keldmark",
         "context": [["Keldmark", ["Keldmark is a kingdom."]], ["Vessen", ["Vessen is a port.", "It has a cathedral."]]]},
    ])
    s = build_index([CorpusSource(str(src))], tmp_home / "indexes" / "hp", config=HASH)
    assert (s.passages, s.skipped_duplicates) == (3, 1)
    idx = open_index("hp")
    assert idx.manifest["sources"][0].endswith("hp.jsonl:hotpot")
    texts = {p.title: p.text for p in idx.passages}
    assert texts == {"Sanna": "The Sanna is a river. It flows into Lake Orvell.", "Keldmark": "Keldmark is a kingdom.",
                     "Vessen": "Vessen is a port. It has a cathedral."}
    row = {p.title: p.id for p in idx.passages}
    assert idx.question_map == {"h1": [row["Sanna"], row["Keldmark"]], "h2": [row["Keldmark"], row["Vessen"]]}


def test_hotpot_hugging_face_layout_as_2wiki(tmp_home, write_corpus):
    src = write_corpus("wiki.jsonl", [{"_id": "w1", "question": "Q?", "answer": "x",
                                       "context": {"title": ["A", "B"], "sentences": [["A one.", "A two."], ["B one."]]}}])
    s = build_index([CorpusSource(str(src), fmt="2wiki")], tmp_home / "indexes" / "wk", config=HASH)
    assert s.passages == 2
    assert [(p.title, p.text) for p in open_index("wk").passages] == [("A", "A one. A two."), ("B", "B one.")]


def test_text_folder_bounded_passages_with_overlap(tmp_home):
    folder = tmp_home / "notes"
    (folder / "sub").mkdir(parents=True)
    long_para = " ".join(f"w{i}" for i in range(130))
    (folder / "river_notes.txt").write_text(f"{long_para}\n\nShort closing paragraph.\n", encoding="utf-8")
    (folder / "sub" / "lake-notes.md").write_text("# Lake\n\nThe lake is cold.\n", encoding="utf-8")
    (folder / "ignored.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    cfg = IndexConfig(model="hash:256", max_words=50, overlap_words=10)
    s = build_index([CorpusSource(str(folder))], tmp_home / "indexes" / "notes", config=cfg)
    idx = open_index("notes")
    ps = {p.id: p for p in idx.passages}
    assert list(ps) == ["river_notes.txt#0", "river_notes.txt#1", "river_notes.txt#2", "river_notes.txt#3",
                        "sub/lake-notes.md#0", "sub/lake-notes.md#1"]
    assert s.passages == 6 and idx.manifest["build"]["max_words"] == 50 and idx.manifest["build"]["overlap_words"] == 10
    chunks = [ps[f"river_notes.txt#{i}"].text.split() for i in range(3)]
    assert all(len(c) <= 50 for c in chunks)
    assert chunks[0] == [f"w{i}" for i in range(0, 50)]
    assert chunks[1] == [f"w{i}" for i in range(40, 90)]
    assert chunks[2] == [f"w{i}" for i in range(80, 130)]
    for a, b in zip(chunks, chunks[1:]):
        assert a[-10:] == b[:10]  # exactly overlap_words shared
    assert ps["river_notes.txt#3"].text == "Short closing paragraph."  # passages never straddle paragraphs
    assert ps["river_notes.txt#0"].title == "river notes" and ps["sub/lake-notes.md#1"].title == "lake notes"


# ==================================================================================================== append


class CountingEncoder(HashingEncoder):
    def __init__(self):
        super().__init__(256)
        self.seen: list[str] = []

    def encode(self, texts, batch_size=64):
        self.seen.extend(texts)
        return super().encode(texts, batch_size)


def test_add_encodes_only_new_passages_and_skips_duplicates(tmp_home, write_corpus, monkeypatch):
    enc = CountingEncoder()
    monkeypatch.setattr(I, "load_encoder", lambda name: enc)
    src = write_corpus("docs.jsonl", DOCS)
    path = tmp_home / "indexes" / "docs"
    build_index([CorpusSource(str(src))], path, config=HASH)
    # Every passage encoded once, longest text first (little padding per batch); rows come back in passage order.
    doc_texts = [f"{d['title']}. {d['text']}" for d in DOCS]
    assert enc.seen == sorted(doc_texts, key=len, reverse=True)
    before = open_index(path)
    old_emb = np.array(before.embeddings)
    enc.seen.clear()
    new = [
        {"id": "n1", "title": "Zephyrine", "text": "Zephyrine is a violet glass made only in Halvik workshops."},
        {"id": "n2", "title": "Orrin Bell", "text": "Orrin Bell cast the bronze bell of the Vessen cathedral."},
        {"id": "d03", "title": "Keldmark", "text": "Another text under an id that is already indexed."},  # dup by id
        {"id": "x9", "title": DOCS[4]["title"], "text": DOCS[4]["text"]},  # dup by (title, text), new id
        {"id": "n3", "title": "Quillfen", "text": "Quillfen marsh lies south of the Tollen hills."},
        {"id": "n1", "title": "Zephyrine", "text": "Zephyrine is a violet glass made only in Halvik workshops."},  # repeated
    ]
    more = write_corpus("more.jsonl", new)
    s = add_to_index(path, [CorpusSource(str(more))])
    assert (s.passages, s.added, s.skipped_duplicates) == (len(DOCS) + 3, 3, 3)
    assert sorted(enc.seen) == sorted(f"{r['title']}. {r['text']}" for r in (new[0], new[1], new[4]))  # only the new
    idx = open_index(path)
    assert [p.id for p in idx.passages] == [d["id"] for d in DOCS] + ["n1", "n2", "n3"]
    np.testing.assert_array_equal(np.asarray(idx.embeddings[: len(DOCS)]), old_emb)  # old rows untouched
    assert idx.dense.ntotal == len(idx) == idx.manifest["passages"] == len(DOCS) + 3
    assert idx.search("violet glass Zephyrine", 1, mode="bm25")[0].id == "n1"
    assert idx.search("violet glass Zephyrine", 1, mode="dense")[0].id == "n1"
    assert idx.search("bronze bell cast by Orrin Bell", 1)[0].id == "n2"
    assert idx.manifest["created"] == before.manifest["created"]
    assert_topk_matches_brute_force(path, HashingEncoder(256).encode(QUERIES), k=5)
    # A second add of the same file adds nothing and encodes nothing.
    enc.seen.clear()
    s2 = add_to_index(path, [CorpusSource(str(more))])
    assert (s2.added, s2.skipped_duplicates, enc.seen) == (0, 6, [])
    assert not list(path.parent.glob(".docs.*"))  # no work folders left behind


def test_cli_add(docs_index, write_corpus):
    more = write_corpus("more.jsonl", [{"id": "n1", "title": "Zephyrine", "text": "Zephyrine is a violet glass."},
                                       DOCS[0]])
    r = cli("index", "add", more, "--name", "docs", "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert (s["passages"], s["added"], s["skipped_duplicates"]) == (len(DOCS) + 1, 1, 1)
    assert open_index("docs").search("Zephyrine violet", 1)[0].id == "n1"


# ==================================================================================================== bad input


BAD_INPUTS = {
    # name: (file name, content, extra args, expected pieces of the one-line message, exit code)
    "malformed_json_line": ("bad.jsonl", '{"id": "a", "text": "fine"}\n{"id": "b", "text": oops}\n', [],
                            ["bad.jsonl:2:", "invalid JSON"], 2),
    "record_without_text": ("notext.jsonl", '{"id": "a", "text": "fine"}\n\n{"id": "b", "title": "no text"}\n', [],
                            ["notext.jsonl:3:", "field 'text'", "missing"], 2),
    "custom_text_field_missing": ("body.jsonl", '{"id": "a", "body": "x"}\n{"id": "b", "text": "y"}\n',
                                  ["--text-field", "body"], ["body.jsonl:2:", "field 'body'"], 2),
    "empty_text": ("blank.jsonl", '{"id": "a", "text": "  "}\n', [], ["blank.jsonl:1:", "field 'text'", "empty"], 2),
    "non_utf8_jsonl": ("latin.jsonl", b'{"id": "a", "text": "fine"}\n{"id": "b", "text": "caf\xe9"}\n', [],
                       ["latin.jsonl:2:", "UTF-8"], 2),
    "non_utf8_text_file": ("notes.txt", b"line one\nline two\nna\xefve line three\n", [], ["notes.txt:3:", "UTF-8"], 2),
    "musique_paragraph_without_text": (
        "mq.jsonl", json.dumps({"id": "q1", "question": "Q?", "paragraphs": [_para(0, "A", "a."), {"idx": 1, "title": "B"}]}) + "\n",
        [], ["mq.jsonl:1:", "field 'paragraphs[1].paragraph_text'"], 2),
    "empty_corpus": ("empty.jsonl", "", [], ["empty.jsonl", "empty corpus"], 2),
    "unknown_model": ("ok.jsonl", '{"id": "a", "text": "fine"}\n', ["--model", "no-such-model-xyz"],
                      ["no-such-model-xyz", "cannot load"], 4),
    "bad_faiss_factory": ("ok.jsonl", '{"id": "a", "text": "fine"}\n', ["--faiss", "Bogus12"],
                          ["Bogus12", "could not parse"], 2),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_clear_line(case, tmp_home, write_corpus):
    fname, content, extra, pieces, code = BAD_INPUTS[case]
    src = write_corpus(fname, content)
    args = ["index", "build", src, "--name", "bad", *extra]
    if "--model" not in extra:
        args += ["--model", "hash:256"]
    r = cli(*args)
    assert r.exit_code == code, r.output
    msg = one_line(r)
    assert msg.startswith("error: ")
    for piece in pieces:
        assert piece in msg, (piece, msg)
    if fname != "ok.jsonl":
        assert str(src) in msg  # the full path of the file at fault
    assert not (tmp_home / "indexes" / "bad").exists()


def test_existing_index_needs_overwrite(docs_index):
    before = results(open_index(docs_index))
    other = docs_index.parents[1] / "data" / "other.jsonl"
    other.write_text(json.dumps({"id": "z", "text": "something else entirely"}) + "\n", encoding="utf-8")
    r = cli("index", "build", other, "--name", "docs", "--model", "hash:256")
    assert r.exit_code == 3
    msg = one_line(r)
    assert "already exists" in msg and "--overwrite" in msg and str(docs_index) in msg
    assert results(open_index(docs_index)) == before
    r = cli("index", "build", other, "--name", "docs", "--model", "hash:256", "--overwrite", "--json")
    assert r.exit_code == 0, r.output
    assert len(open_index(docs_index)) == 1


def test_empty_folder_and_missing_file(tmp_home):
    (tmp_home / "nothing").mkdir()
    r = cli("index", "build", tmp_home / "nothing", "--name", "x", "--model", "hash:256")
    assert r.exit_code == 2 and "empty corpus" in one_line(r) and str(tmp_home / "nothing") in r.stderr
    r = cli("index", "build", tmp_home / "absent.jsonl", "--name", "x", "--model", "hash:256")
    assert r.exit_code == 2 and "absent.jsonl: file not found" in one_line(r)


# ==================================================================================================== atomicity

# The real CLI, with the test encoder slowed down so a build takes a few seconds and can be interrupted mid-way.
SLOW_CLI = """
import sys, time
import hopqa.index as I
from hopqa.encoders import HashingEncoder

class Slow(HashingEncoder):
    def encode(self, texts, batch_size=64):
        time.sleep(0.15)
        return super().encode(texts, batch_size)

I.load_encoder = lambda name: Slow(int(name.split(":")[1]))
sys.path.insert(0, TESTS)
from checkout import use_checkout_cli
use_checkout_cli()
from hopqa_cli.main import app
app(sys.argv[1:], prog_name="hopqa")
""".replace("TESTS", repr(str(ROOT / "tests")))
CHUNK = 20


def _generated(n: int, seed: str) -> list[dict]:
    words = "amber basalt cedar delta ember fjord garnet harbor indigo juniper kestrel lagoon marble nectar onyx pine".split()
    return [{"id": f"{seed}{i:04d}", "title": f"{seed} item {i}",
             "text": f"Item {i} of {seed}: " + " ".join(words[(i * 7 + j) % len(words)] for j in range(12)) + f" tag{seed}{i}."}
            for i in range(n)]


def _chunk_files(work_dirs: list[Path]) -> list[Path]:
    return sorted(f for d in work_dirs for f in (d / "chunks").glob("*.npy") if not f.name.endswith(".tmp.npy"))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_overwrite_keeps_previous_index_and_resumes(sig, tmp_home, write_corpus):
    old_src = write_corpus("old.jsonl", DOCS)
    # A text file (not JSONL) keeps the subprocess from importing `datasets`: two seconds saved per run.
    new_src = write_corpus("new.txt", "\n\n".join(r["text"] for r in _generated(400, "g")) + "\n")
    config = tmp_home / "hopqa.toml"
    config.write_text(f"[index]\nchunk_size = {CHUNK}\nbatch_size = 5\n", encoding="utf-8")
    path = tmp_home / "indexes" / "live"
    build_index([CorpusSource(str(old_src))], path, config=HASH)
    before = results(open_index(path))

    cmd = [sys.executable, "-c", SLOW_CLI, "index", "build", str(new_src), "--name", str(path), "--model", "hash:256",
           "--overwrite", "--config", str(config)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while len(_chunk_files(list(path.parent.glob(".live.build-*")))) < 3:
            assert proc.poll() is None, f"build ended before it could be interrupted: {proc.communicate()}"
            assert time.monotonic() < deadline, "no chunks written within 60 s"
            time.sleep(0.05)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    else:
        assert proc.returncode == -signal.SIGKILL

    # The previous index is intact: same manifest checks pass, same search results.
    assert results(open_index(path)) == before
    assert not path.with_name(".live.previous").exists()
    work = list(path.parent.glob(".live.build-*"))
    assert len(work) == 1
    finished = _chunk_files(work)
    assert 3 <= len(finished) < 400 // CHUNK

    # A rerun resumes: the finished chunks are reused, only the rest is encoded.
    r = cli("index", "build", new_src, "--name", path, "--model", "hash:256", "--overwrite", "--config", config, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["resumed_passages"] == CHUNK * len(finished) and s["passages"] == 400
    idx = open_index(path)
    np.testing.assert_array_equal(np.asarray(idx.embeddings), HashingEncoder(256).encode(texts_of(idx.passages)))
    assert idx.search("tagg123", 1, mode="bm25")[0].id == "new.txt#123"
    assert not list(path.parent.glob(".live.*"))  # work folder and .previous cleaned up


def test_kill_between_the_two_renames_is_recovered(docs_index):
    before = results(open_index(docs_index))
    # State after `final -> .final.previous` and before `work/index -> final`.
    os.replace(docs_index, docs_index.with_name(".docs.previous"))
    idx = open_index("docs")
    assert results(idx) == before and docs_index.exists()
    assert not docs_index.with_name(".docs.previous").exists()


# ==================================================================================================== damaged indexes


def _expect_format_error(path: Path, *pieces: str, cli_too: bool = True) -> None:
    with pytest.raises(IndexFormatError) as e:
        open_index(path)
    msg = str(e.value)
    for piece in pieces + ("rebuild it with `hopqa index build", "--overwrite"):
        assert piece in msg, (piece, msg)
    if not cli_too:
        return
    r = cli("index", "info", path)  # `info` checks the manifest and file sizes; it says the same in one line, exit 3
    assert r.exit_code == 3 and all(p in one_line(r) for p in pieces)


def test_other_format_version(docs_index):
    mf = docs_index / "manifest.json"
    m = json.loads(mf.read_text(encoding="utf-8"))
    m["format_version"] = 99
    mf.write_text(json.dumps(m), encoding="utf-8")
    _expect_format_error(docs_index, "format version 99", f"reads version {FORMAT_VERSION}")


@pytest.mark.parametrize("name", ["dense.faiss", "embeddings.npy", "passages.jsonl", "bm25/vocab.index.json"])
def test_missing_file(docs_index, name):
    (docs_index / name).unlink()
    _expect_format_error(docs_index, f"file {name} is missing")


def test_missing_manifest(docs_index):
    (docs_index / "manifest.json").unlink()
    _expect_format_error(docs_index, "manifest.json is missing")


@pytest.mark.parametrize("name", ["embeddings.npy", "dense.faiss", "passages.jsonl"])
def test_truncated_file(docs_index, name):
    f = docs_index / name
    size = f.stat().st_size
    with f.open("r+b") as fh:
        fh.truncate(size // 2)
    _expect_format_error(docs_index, f"file {name} has {size // 2} bytes", f"says {size}", "truncated")


def test_corrupted_file_of_the_right_size(docs_index):
    f = docs_index / "passages.jsonl"
    f.write_bytes(b"x" * f.stat().st_size)
    _expect_format_error(docs_index, "cannot read index files", cli_too=False)  # found on open, not by `info`


def test_no_index(tmp_home):
    with pytest.raises(IndexError_, match="no index at .*build one with `hopqa index build CORPUS --name nope`"):
        open_index("nope")


def test_other_model_than_the_index(docs_index):
    with pytest.raises(ModelError, match=r"built with model 'hash:256', not 'hash:128'"):
        open_index(docs_index, model="hash:128")
    with pytest.raises(ModelError, match=r"built with model 'hash:256', not 'minilm'"):
        open_index(docs_index, model="minilm")  # an alias of the default model
    with pytest.raises(ModelError, match="not 'hash:64'"):
        open_index(docs_index, encoder=HashingEncoder(64))
    assert len(open_index(docs_index, model="hash:256")) == len(DOCS)


# ==================================================================================================== no pickle


def test_no_pickle_or_eval_in_index_code():
    """Index files are read as .npy (allow_pickle=False), JSON and FAISS's own format: never pickle, never eval."""
    banned = [re.compile(p) for p in (r"^\s*(import|from)\s+(c?pickle|dill|joblib|shelve|marshal)\b", r"\bpickle\.\w+\(",
                                      r"allow_pickle\s*=\s*True", r"(?<![\w.])eval\(", r"(?<![\w.])exec\(",
                                      r"\btorch\.load\(")]
    offenders = []
    for f in sorted((ROOT / "hopqa").rglob("*.py")) + sorted((ROOT / "cli").rglob("*.py")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if any(b.search(line) for b in banned):
                offenders.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
    # Every load and save of index files in hopqa/index.py and hopqa/dense.py says allow_pickle=False explicitly.
    src = "\n".join((ROOT / "hopqa" / f).read_text(encoding="utf-8") for f in ("index.py", "dense.py", "hybrid.py"))
    calls = [line for line in src.splitlines() if re.search(r"\b(np\.load|np\.save|BM25\.load|bm25\.save)\(", line)]
    assert len(calls) >= 6
    for call in calls:
        assert "allow_pickle=False" in call, call


def test_index_files_load_without_pickle(docs_index):
    import bm25s

    assert np.load(docs_index / "embeddings.npy", allow_pickle=False).dtype == np.float32
    for f in (docs_index / "bm25").glob("*.npy"):
        assert np.load(f, allow_pickle=False).dtype != object
    assert bm25s.BM25.load(str(docs_index / "bm25"), allow_pickle=False).scores["num_docs"] == len(DOCS)
    for f in ("manifest.json", "bm25/params.index.json", "bm25/vocab.index.json"):
        json.loads((docs_index / f).read_text(encoding="utf-8"))


# ==================================================================================================== real model


@pytest.fixture(scope="module")
def musique5(tmp_path_factory, minilm):
    if not MUSIQUE.exists():
        pytest.skip(f"MuSiQue dev sample not found at {MUSIQUE} (it lives in ../shared next to the project)")
    lines = MUSIQUE.read_text(encoding="utf-8").splitlines()[:5]
    base = tmp_path_factory.mktemp("musique5")
    src = base / "musique5.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = base / "mq5"
    summary = build_index([CorpusSource(str(src))], path, config=IndexConfig(), encoder=minilm)
    return path, [json.loads(x) for x in lines], summary


@pytest.mark.model
def test_minilm_round_trip_and_brute_force(musique5, minilm):
    path, questions, summary = musique5
    assert summary.model == "all-MiniLM-L6-v2" and summary.dim == 384 and 80 <= summary.passages <= 100
    a, b = open_index(path, encoder=minilm), open_index(path, encoder=minilm)
    queries = [q["question"] for q in questions]
    assert results(a, queries, k=10) == results(b, queries, k=10)
    m = a.manifest
    assert m["encoder"] == {"name": "all-MiniLM-L6-v2", "dim": 384, "normalize": True, "dtype": "float32"}
    np.testing.assert_allclose(np.linalg.norm(np.asarray(a.embeddings), axis=1), 1.0, atol=1e-4)
    assert_topk_matches_brute_force(path, a.encode_queries(queries), k=10)


@pytest.mark.model
def test_minilm_questions_find_their_own_paragraphs(musique5, minilm):
    path, questions, _ = musique5
    idx = open_index(path, encoder=minilm)
    own_at_10 = []
    for q in questions:
        own = set(idx.question_map[q["id"]])
        gold = {idx.question_map[q["id"]][p["idx"]] for p in q["paragraphs"] if p["is_supporting"]}
        dense = [h.id for h in idx.search(q["question"], 10, mode="dense")]
        own_at_10.append(len(own & set(dense)))
        # Loose sanity bounds (measured: a supporting paragraph at dense rank 1 for all five questions).
        assert gold & set(dense[:3]), (q["id"], dense)
        assert gold & {h.id for h in idx.search(q["question"], 10, mode="hybrid")}, q["id"]
    # Each question's 20 paragraphs are its topical neighbourhood among the ~100 pooled ones (chance: 2 of 10;
    # measured: 9, 10, 4, 10, 10).
    assert sum(own_at_10) / len(own_at_10) >= 6, own_at_10
