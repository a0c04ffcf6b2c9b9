"""hopqa: multi-hop question answering and retrieval.

The facade, in five calls:

    from hopqa import build_index, open_index, ask, Asker, evaluate
    build_index([CorpusSource("corpus.jsonl")], "indexes/wiki")        # FAISS + BM25, atomic, resumable
    index = open_index("wiki")                                          # checks the manifest
    hits = index.search("who founded Corvane Motors?", k=5)             # hybrid single-shot search
    answer = ask("Where did the founder of Corvane Motors die?", index)  # the FSM of condensed hops
    print(answer.to_dict())                                             # the CLI's --json
    metrics = evaluate("musique_ans_dev.jsonl", setting="open", compare=True).metrics
"""
from __future__ import annotations

from typing import Any

from .config import Config, HopConfig, IndexConfig, LLMConfig, ReaderConfig, RetrievalConfig, load_config
from .corpus import CorpusSource, read_corpus
from .errors import HopQAError, IndexError_, IndexFormatError, InputError, LLMError, LLMParseError, ModelError
from .index import BuildSummary, HybridIndex, add_to_index, build_index, list_indexes, open_index
from .qa import Asker, ask
from .types import Answer, Fact, Hit, HopTrace, Passage

__version__ = "0.1.0"


def evaluate(data: str, *, setting: str = "open", compare: bool = False, index: str | None = None,
             config: Config | None = None, output_dir: str | None = None, limit: int | None = None, **options: Any):
    """Evaluate on a MuSiQue-style dataset (see `hopqa eval --help`); returns an `EvalResult`."""
    from .eval_datasets import load_eval_dataset
    from .evaluate import EvalOptions, prepare_index, run_eval

    items = load_eval_dataset(data, limit=limit)
    ix = prepare_index(items, index=index)
    opts = EvalOptions(setting=setting, compare=compare, output_dir=output_dir, **options)  # type: ignore[arg-type]
    return run_eval(items, ix, config or load_config(), opts, dataset=data)


__all__ = [
    "Answer", "Asker", "BuildSummary", "Config", "CorpusSource", "Fact", "Hit", "HopConfig", "HopQAError", "HopTrace",
    "HybridIndex", "IndexConfig", "IndexError_", "IndexFormatError", "InputError", "LLMConfig", "LLMError",
    "LLMParseError", "ModelError", "Passage", "ReaderConfig", "RetrievalConfig", "add_to_index", "ask", "build_index",
    "evaluate", "list_indexes", "load_config", "open_index", "read_corpus",
]
