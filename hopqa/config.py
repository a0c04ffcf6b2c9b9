"""Configuration as a few small frozen dataclasses, merged in one explicit order:

    defaults  <  config file (TOML)  <  environment (HOPQA_*)  <  flags

The config file is `$HOPQA_CONFIG`, else `./hopqa.toml` when it exists. Its tables are named after the dataclasses
(`[retrieval]`, `[hops]`, `[reader]`, `[llm]`, `[index]`). Index-level settings (the encoder model, its dimension,
normalisation) are not configuration: they are read from the index's manifest.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from .errors import InputError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class IndexConfig:
    model: str = DEFAULT_MODEL
    # "auto": exact Flat below ann_threshold passages, else IVF{4*sqrt(n)},SQ8 with nprobe calibrated for ann_recall
    # (hopqa/dense.py says why); or any FAISS factory string ("Flat", "HNSW32", "IVF1024,PQ48", ...)
    faiss_factory: str = "auto"
    ann_threshold: int = 100_000  # passages: the size from which "auto" builds an approximate index
    ann_recall: float = 0.95  # recall@10 against exact search that an approximate index's nprobe is calibrated for
    # an approximate index returns ann_rerank x k candidates, rescored with the exact stored vectors (embeddings.npy,
    # memory-mapped; hopqa/dense.py Rescored); 0 keeps the approximate scores
    ann_rerank: int = 4
    batch_size: int = 64
    chunk_size: int = 2048  # passages encoded per resumable chunk
    max_words: int = 120  # folder input: passage length bound (words)
    overlap_words: int = 20  # folder input: overlap between consecutive passages


@dataclass(frozen=True)
class RetrievalConfig:
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    fusion: Literal["rrf", "mix"] = "mix"
    rrf_k: int = 60
    dense_weight: float = 2.0
    bm25_weight: float = 1.0
    candidates: int = 100  # per retriever, before fusion


@dataclass(frozen=True)
class HopConfig:
    max_hops: int = 4
    k: int = 10  # passages retrieved per hop (its ranking)
    read: int = 1  # of those, passages read (condensed) per hop; never read again by a later hop
    facts_per_passage: int = 2  # sentences kept from each passage read
    facts_per_hop: int = 2  # facts kept per hop
    max_facts: int = 8  # facts kept in the running context
    query_facts: int = 1  # newest facts whose bridge entities extend the next query
    query_entities: int = 4  # bridge entities added to the next query
    final_k: int = 10  # length of the final evidence ranking
    min_hops: int = 2  # decomposition-free mode: hops before JUDGE may stop on a confident answer
    judge_threshold: float = 0.5  # decomposition-free mode: reader confidence that ends the search
    retries: int = 1  # REVISE_SEARCH: searches again per sub-question before giving up on it


@dataclass(frozen=True)
class ReaderConfig:
    # Who reads the answers: "lm" (a language model: the embedded GGUF, another GGUF file named by `model`, or the
    # [llm] endpoint with model = "endpoint"), "rules" (the fast extractive rules), or "auto" (the language model when
    # its runtime and weights are installed, else the rules, said in one line).
    kind: Literal["auto", "lm", "rules"] = "auto"
    model: str = "embedded"  # "embedded", a path to a .gguf file, or "endpoint" (the [llm] url and model)
    n_ctx: int = 4096  # the local model's context window (tokens)
    threads: int = 0  # llama.cpp threads; 0: every core
    # With a language model: "lm_first" (the model reads every hop, and the whole question when it was not
    # decomposed; the rules where it finds nothing) or "rules_first" (the rules' verified span when there is one, the
    # model where the rules find none: about half the calls). lm_first with the 1.5B model, fitted on the first 40
    # HotpotQA and first 30 MuSiQue questions of the shared files: F1 67.5 vs 55.5 and 52.7 vs 41.8 (eval/RESULTS.md).
    order: Literal["rules_first", "lm_first"] = "lm_first"
    # Below this confidence the answer is "unanswerable". 0.20: the highest of 0.10-0.45 (step 0.05) that costs less than
    # one EM point on the MuSiQue dev sample (0.25 costs one question); not chosen on the demo contrasts.
    threshold: float = 0.20
    max_answer_words: int = 8
    # REVISE_SEARCH accepts a sub-answer only if a kept fact states the asked relation of the asked subject. Off: any
    # fact containing the span supports it (more answers, more of them guesses; see eval/RESULTS.md for both).
    verify: bool = True
    # An unanswerable question still gets a best guess (the chain's last unverified sub-answer, else the rules' top
    # span over the kept facts), kept apart from the answer: `Answer.guess`, the eval's `predicted_answer` (scored for
    # answer EM/F1 as the official formats allow) while `predicted_answerable` stays false. Off: no guess.
    guess: bool = True


@dataclass(frozen=True)
class LLMConfig:
    url: str | None = None
    model: str | None = None
    api_key_env: str = "HOPQA_LLM_API_KEY"
    timeout: float = 60.0  # seconds per HTTP request (connect, read, write)
    max_retries: int = 4  # extra attempts after a connect error, a timeout, a 429 or a 5xx
    backoff_base: float = 0.5  # first back-off (seconds); doubles per retry, with jitter
    backoff_max: float = 30.0  # cap on any wait between retries, including a server's Retry-After
    parse_retries: int = 2
    temperature: float = 0.0
    max_tokens: int = 512
    json_mode: bool = True
    cache_dir: str | None = None  # default: $HOPQA_HOME/llm-cache
    # The LLM policy's flow: "grounded" (the default): the LLM decomposes the question (checked, repaired, revised
    # like any draft) and reads every sub-answer and the answer from the hop's condensed facts with the grounded reader
    # prompt (hopqa.lm.reader: short, schema-constrained, a span must be stated by a cited fact), the machine's other
    # states as in the local policy; "sgfsm": the LLM fills every state with its own prompt (SEARCH over raw passages,
    # REVISE_SEARCH verifies, JUDGE, ANSWER), the full SG-FSM flow. Measured in eval/RESULTS.md (LLM policy).
    flow: Literal["grounded", "sgfsm"] = "grounded"

    # `api_key = "..."` in the config file's [llm] table lands here; never printed (repr=False, to_dict masks it).
    key: str | None = field(default=None, repr=False)

    def api_key(self) -> str | None:
        """The environment wins over the config file: $api_key_env, $HOPQA_LLM_API_KEY, $OPENAI_API_KEY, then [llm] api_key."""
        return (os.environ.get(self.api_key_env) or os.environ.get("HOPQA_LLM_API_KEY")
                or os.environ.get("OPENAI_API_KEY") or self.key)


@dataclass(frozen=True)
class Config:
    index: IndexConfig = field(default_factory=IndexConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    hops: HopConfig = field(default_factory=HopConfig)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            sub = getattr(self, f.name)
            out[f.name] = {sf.name: getattr(sub, sf.name) for sf in fields(sub)}
        if out["llm"].get("key"):
            out["llm"]["key"] = "***"  # a key from the config file never reaches traces, reports or run files
        return out


_SECTIONS = {"index": IndexConfig, "retrieval": RetrievalConfig, "hops": HopConfig, "reader": ReaderConfig, "llm": LLMConfig}

# Environment variables that map onto settings. HOPQA_LLM_API_KEY is read at call time, never stored in the config.
_ENV = {
    "HOPQA_MODEL": ("index", "model"),
    "HOPQA_LLM_URL": ("llm", "url"),
    "HOPQA_LLM_MODEL": ("llm", "model"),
    "HOPQA_LLM_FLOW": ("llm", "flow"),
    "HOPQA_MAX_HOPS": ("hops", "max_hops"),
    "HOPQA_READER": ("reader", "kind"),
    "HOPQA_LM_MODEL": ("reader", "model"),
}


def hopqa_home() -> Path:
    return Path(os.environ.get("HOPQA_HOME", ".")).expanduser()


def index_root(override: str | Path | None = None) -> Path:
    """Where named indexes live: the flag, else $HOPQA_INDEX_DIR, else $HOPQA_HOME/indexes, else ./indexes."""
    if override:
        return Path(override).expanduser()
    if os.environ.get("HOPQA_INDEX_DIR"):
        return Path(os.environ["HOPQA_INDEX_DIR"]).expanduser()
    return hopqa_home() / "indexes"


def _coerce(section: str, name: str, value: Any, source: str) -> Any:
    cls = _SECTIONS[section]
    default = getattr(cls(), name)
    if default is None or isinstance(value, type(default)):
        return value
    try:
        if isinstance(default, bool):
            return str(value).lower() in ("1", "true", "yes", "on")
        return type(default)(value)
    except (TypeError, ValueError):
        raise InputError(f"{section}.{name} must be a {type(default).__name__}, got {value!r}", file=source) from None


def _apply(cfg: Config, section: str, values: dict[str, Any], source: str) -> Config:
    if section not in _SECTIONS:
        raise InputError(f"unknown config section [{section}] (known: {', '.join(_SECTIONS)})", file=source)
    known = {f.name for f in fields(_SECTIONS[section])} - {"key"}
    clean = {}
    for k, v in values.items():
        if v is None:
            continue
        if section == "llm" and k == "api_key":
            k = "key"
            known = known | {"key"}
        if k not in known:
            raise InputError(f"unknown setting {section}.{k}", file=source)
        clean[k] = _coerce(section, k, v, source)
    return replace(cfg, **{section: replace(getattr(cfg, section), **clean)})


def load_config(path: str | Path | None = None, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """Build the effective configuration: defaults, then the TOML file, then the environment, then `overrides` (flags)."""
    cfg = Config()
    path = path or os.environ.get("HOPQA_CONFIG") or ("hopqa.toml" if Path("hopqa.toml").exists() else None)
    if path:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("config file not found", file=str(p)) from None
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"invalid TOML: {e}", file=str(p)) from None
        for section, values in data.items():
            if not isinstance(values, dict):
                raise InputError(f"'{section}' must be a table", file=str(p))
            cfg = _apply(cfg, section, values, str(p))
    for var, (section, name) in _ENV.items():
        if os.environ.get(var):
            cfg = _apply(cfg, section, {name: os.environ[var]}, f"${var}")
    for section, values in (overrides or {}).items():
        cfg = _apply(cfg, section, values, "command line")
    return cfg
