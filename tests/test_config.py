"""Configuration: merge order (defaults < file < environment < flags) and the API key never shown."""
from __future__ import annotations

import pytest

from hopqa.config import load_config
from hopqa.errors import InputError


def write(tmp_path, text: str):
    p = tmp_path / "hopqa.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_merge_order(tmp_path, monkeypatch):
    monkeypatch.delenv("HOPQA_MAX_HOPS", raising=False)
    p = write(tmp_path, "[hops]\nmax_hops = 3\n[retrieval]\nfusion = 'rrf'\ndense_weight = 1.5\n")
    cfg = load_config(p)
    assert (cfg.hops.max_hops, cfg.retrieval.fusion, cfg.retrieval.dense_weight) == (3, "rrf", 1.5)
    monkeypatch.setenv("HOPQA_MAX_HOPS", "2")
    assert load_config(p).hops.max_hops == 2  # environment beats the file
    assert load_config(p, {"hops": {"max_hops": 5}}).hops.max_hops == 5  # flags beat the environment
    assert load_config(p, {"hops": {"max_hops": None}}).hops.max_hops == 2  # an unset flag changes nothing


@pytest.mark.parametrize("text, needle", [
    ("[hops]\nmax_hop = 3\n", "unknown setting hops.max_hop"),
    ("[nope]\nx = 1\n", "unknown config section [nope]"),
    ("[hops]\nmax_hops = 'many'\n", "hops.max_hops must be a int"),
    ("[hops\n", "invalid TOML"),
])
def test_bad_config_is_one_line_error(tmp_path, text, needle):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_config(p)
    assert needle in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_api_key_from_file_is_used_but_never_shown(tmp_path, monkeypatch):
    for var in ("HOPQA_LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    p = write(tmp_path, "[llm]\nurl = 'http://127.0.0.1:1/v1'\nmodel = 'm'\napi_key = 'sk-file-SECRET'\n")
    cfg = load_config(p)
    assert cfg.llm.api_key() == "sk-file-SECRET"
    assert "SECRET" not in repr(cfg) and "SECRET" not in str(cfg.to_dict())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-OTHER")
    assert cfg.llm.api_key() == "sk-env-OTHER"  # the environment wins over the file
    monkeypatch.setenv("HOPQA_LLM_API_KEY", "sk-env-HOPQA")
    assert cfg.llm.api_key() == "sk-env-HOPQA"
