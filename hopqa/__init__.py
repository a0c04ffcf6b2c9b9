"""hopqa: multi-hop question answering and retrieval.

The facade, in five calls:

    from hopqa import build_index, open_index, ask, Asker, evaluate
    build_index([CorpusSource("corpus.jsonl")], "indexes/wiki")        # FAISS + BM25, atomic, resumable
    index = open_index("wiki")                                          # checks the manifest
    hits = index.search("who founded Corvane Motors?", k=5)             # hybrid single-shot search
    answer = ask("Where did the founder of Corvane Motors die?", index)  # the FSM of condensed hops
    print(answer.to_dict())                                             # the CLI's --json
    metrics = evaluate("musique_ans_dev.jsonl", setting="open", compare=True).metrics

The `hopqa` command (cli/, installed as `hopqa_cli`) uses only the names in `__all__`.
"""
from __future__ import annotations

from typing import Any

from .config import Config, HopConfig, IndexConfig, LLMConfig, ReaderConfig, RetrievalConfig, load_config
from .corpus import CorpusSource, read_corpus
from .engines import ENGINES, EngineError, encoding_engine, start_ray
from .demo import demo_corpus, demo_question, demo_questions
from .errors import HopQAError, IndexError_, IndexFormatError, InputError, LLMError, LLMParseError, ModelError
from .eval_datasets import load_eval_dataset
from .eval_index import prepare_index
# Imported before `def evaluate` below: loading the submodule `hopqa.evaluate` later would replace the function.
from .evaluate import EvalOptions, EvalResult, run_eval
from .fsm import describe as describe_fsm
from .index import (BuildSummary, HybridIndex, add_to_index, build_index, index_info, list_indexes, open_index,
                    resolve_index_path)
from .lm.serve import LocalServer
from .qa import Asker, ask
from .records import read_questions
from .report import hop_table, level_table, perturbation_table, pipeline_table
from .types import Answer, Fact, Hit, HopTrace, Passage

__version__ = "0.1.0"


def evaluate(data: str, *, setting: str = "open", compare: bool = False, index: str | None = None,
             config: Config | None = None, output_dir: str | None = None, limit: int | None = None, **options: Any):
    """Evaluate on a MuSiQue-style dataset (see `hopqa eval --help`); returns an `EvalResult`."""
    items = load_eval_dataset(data, limit=limit)
    ix = prepare_index(items, index=index)
    opts = EvalOptions(setting=setting, compare=compare, output_dir=output_dir, **options)  # type: ignore[arg-type]
    return run_eval(items, ix, config or load_config(), opts, dataset=data)


__all__ = [
    "ENGINES", "Answer", "Asker", "BuildSummary", "Config", "CorpusSource", "EngineError", "EvalOptions", "EvalResult", "Fact", "Hit",
    "HopConfig", "HopQAError", "HopTrace", "HybridIndex", "IndexConfig", "IndexError_", "IndexFormatError",
    "InputError", "LLMConfig", "LLMError", "LLMParseError", "LocalServer", "ModelError", "Passage", "ReaderConfig",
    "RetrievalConfig", "add_to_index", "ask", "build_index", "demo_corpus", "demo_question", "demo_questions",
    "describe_fsm", "encoding_engine", "evaluate", "hop_table", "index_info", "level_table", "list_indexes", "load_config",
    "load_eval_dataset", "open_index", "perturbation_table", "pipeline_table", "prepare_index", "read_corpus",
    "read_questions", "resolve_index_path", "run_eval", "start_ray",
]
