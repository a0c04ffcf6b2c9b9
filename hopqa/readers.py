"""Choosing the reader: the language model (embedded by default) or the rule-based extractive reader.

Both have one contract, `read(question, facts, *, exclude=(), context="") -> ReaderResult`, so the policies never
ask which one they hold. `make_reader(config)` follows `[reader] kind`:

- "lm": a language model. `[reader] model` is "embedded" (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, shipped on PyPI,
  run in-process on llama.cpp), a path to any GGUF file, or "endpoint" (the `[llm]` url and model: Ollama,
  llama.cpp server, vLLM, OpenAI, ...). A missing runtime or model file is a one-line `ModelError`.
- "rules": `hopqa.reader.read`, about a millisecond a question, no model.
- "auto" (default): "lm" with the embedded model when its runtime and weights are installed; otherwise "rules",
  and `notice` says so in one line (the CLI prints it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from .config import Config, ReaderConfig
from .errors import InputError
from .reader import ReaderResult, read as rules_read
from .types import Fact


class Reader(Protocol):
    name: str

    def read(self, question: str, facts: Sequence[Fact], *, exclude: Sequence[str] = (),
             context: str = "") -> ReaderResult: ...


@dataclass
class RulesReader:
    config: ReaderConfig
    name: str = "rules"

    def read(self, question: str, facts: Sequence[Fact], *, exclude: Sequence[str] = (),
             context: str = "") -> ReaderResult:
        return rules_read(question, facts, config=self.config, exclude=exclude)


@dataclass
class ReaderChoice:
    reader: Any
    notice: str | None = None


def choose_reader(config: Config) -> ReaderChoice:
    """The reader `config` asks for, and a one-line notice when "auto" had to fall back to the rules."""
    rc = config.reader
    if rc.kind not in ("auto", "lm", "rules"):
        raise InputError(f"reader kind must be auto, lm or rules, not '{rc.kind}'", field="reader.kind")
    if rc.kind == "rules":
        return ReaderChoice(RulesReader(rc))
    from .lm.model import embedded_available, embedded_model, runtime_available

    em = embedded_model(rc.model)  # None for a .gguf path or "endpoint"
    if rc.kind == "auto" and em is not None and not embedded_available(em):
        what = "xllamacpp" if not runtime_available() else f"the model packages {em.pip_names}"
        return ReaderChoice(RulesReader(rc), f"hopqa: reading with the rules: the embedded language model is not "
                                             f"installed ({what} missing; pip install 'hopqa[lm]')")
    from .lm.reader import LMReader
    from .lm.runtime import EndpointLM, LocalLM

    if rc.model == "endpoint":
        if not config.llm.url:
            raise InputError("[reader] model = \"endpoint\" needs an LLM url (--llm-url or HOPQA_LLM_URL)")
        lm: Any = EndpointLM(config.llm)
    else:
        lm = LocalLM(rc.model, n_ctx=rc.n_ctx, threads=rc.threads or None)
    return ReaderChoice(LMReader(lm))


def make_reader(config: Config) -> Any:
    return choose_reader(config).reader  # looked up at call time (tests replace choose_reader)


__all__ = ["Reader", "ReaderChoice", "RulesReader", "choose_reader", "make_reader"]
