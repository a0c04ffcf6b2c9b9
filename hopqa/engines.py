"""Where the work runs: `local` (this process, today's path) or `ray` (a Ray cluster; a local instance when
RAY_ADDRESS is unset).

Ray never replaces the index code path: `build_index` still owns the resumable chunks, the FAISS/BM25 files and the
atomic swap; `RayEncoding` only encodes each chunk with Ray Data (an actor pool, each actor holding one encoder), so a
build whose Ray worker died resumes from the chunks already saved. `ray_answer` answers an eval's questions on Ray
actors that each open the index and the reader once, and hands every record back as it finishes, so the eval's
traces (its resume checkpoint) are written as questions complete.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

import numpy as np

from .errors import HopQAError

ENGINES = ("local", "ray")
LOCAL_CPUS = 2  # a local Ray instance's size: this project's machines have 2 cores
RAY_MISSING = "the ray engine needs Ray: pip install 'hopqa[ray]'"


class EngineError(HopQAError):
    """The chosen engine cannot run (Ray not installed, cluster not reachable)."""


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise EngineError(f"--engine must be one of {', '.join(ENGINES)}, not '{engine}'")
    return engine


def _ray():
    try:
        import ray
    except ImportError:
        raise EngineError(RAY_MISSING) from None
    return ray


def start_ray(num_cpus: int | None = None):
    """Join the cluster RAY_ADDRESS names, else start a small quiet local instance; a second call reuses it."""
    ray = _ray()
    if ray.is_initialized():
        return ray
    quiet = dict(logging_level=logging.ERROR, log_to_driver=False)
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    try:
        if os.environ.get("RAY_ADDRESS"):
            ray.init(address=os.environ["RAY_ADDRESS"], **quiet)
        else:
            ray.init(num_cpus=num_cpus or min(LOCAL_CPUS, os.cpu_count() or 1), include_dashboard=False, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = os.environ.get("RAY_ADDRESS") or "a local instance"
        raise EngineError(f"cannot start Ray ({where}): {' '.join(str(e).split())[:200]}") from None
    try:
        from ray.data import DataContext

        for name in ("ray", "ray.data"):  # Ray Data sets its own levels when imported
            logging.getLogger(name).setLevel(logging.ERROR)
        ctx = DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.execution_options.preserve_order = True
    except ImportError:
        raise EngineError(RAY_MISSING) from None
    return ray


def cluster_gpus() -> float:
    return float(_ray().cluster_resources().get("GPU", 0))


# --------------------------------------------------------------------------------------------------------------------
# Index build: encode with Ray Data


class EncoderActor:
    """A Ray Data callable class: one encoder per actor, loaded once, reused for every batch it is given."""

    def __init__(self, model: str):
        from .encoders import load_encoder

        self.encoder = load_encoder(model)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        vectors = self.encoder.encode(texts, batch_size=max(1, len(texts))).astype(np.float32, copy=False)
        return {"pos": np.asarray(batch["pos"], dtype=np.int64), "vector": vectors}


class RayEncoding:
    """An encoding strategy for `build_index(engine=...)`: each chunk goes through Ray Data's `map_batches` over an
    actor pool of `actors` encoders (one GPU each when the cluster has GPUs); rows come back in the chunk's order."""

    def __init__(self, model: str, actors: int | None = None, num_cpus: int | None = None):
        self.ray = start_ray(num_cpus)
        self.model = model
        total = int(self.ray.cluster_resources().get("CPU", 1))
        self.actors = max(1, actors or total)
        self.gpus = 1.0 if cluster_gpus() >= 1 else 0.0

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        import ray.data

        ds = ray.data.from_items([{"pos": i, "text": t} for i, t in enumerate(texts)])
        pool = ray.data.ActorPoolStrategy(size=self.actors)
        out = ds.map_batches(EncoderActor, fn_constructor_args=(self.model,), compute=pool,
                             batch_size=max(1, batch_size), num_gpus=self.gpus, batch_format="numpy")
        pos, vecs = [], []
        for b in out.iter_batches(batch_size=None, batch_format="numpy"):
            pos.append(np.asarray(b["pos"], dtype=np.int64))
            vecs.append(np.stack(list(b["vector"])) if b["vector"].dtype == object else np.asarray(b["vector"]))
        if not pos:
            return np.zeros((0, 0), dtype=np.float32)
        p, v = np.concatenate(pos), np.concatenate(vecs).astype(np.float32, copy=False)
        arr = np.empty_like(v)
        arr[p] = v  # by position: whatever order the actors finished in
        return arr


def encoding_engine(engine: str, model: str) -> RayEncoding | None:
    """The `engine=` argument of `build_index` for an --engine value: None (encode here) or a RayEncoding."""
    return RayEncoding(model) if check_engine(engine) == "ray" else None


# --------------------------------------------------------------------------------------------------------------------
# Eval: answer questions on Ray actors


class AnswerActor:
    """Holds an opened index, one reader and one Asker per pipeline: loaded once per actor, not per question."""

    def __init__(self, index_path: str, config, options, items):
        from .evaluate import perturber_for
        from .index import open_index
        from .readers import make_reader

        self.index = open_index(index_path)
        self.config, self.options = config, options
        self.items = {it.position: it for it in items}
        self.perturber = perturber_for(items, options)
        self.reader = make_reader(config)
        self.askers: dict[str, Any] = {}

    def answer(self, name: str, position: int) -> dict:
        from .evaluate import answer_item, pipeline_asker

        if name not in self.askers:
            self.askers[name] = pipeline_asker(self.index, name, self.config, self.options, self.reader)
        return answer_item(self.items[position], self.askers[name], self.index, name, self.options, self.perturber)


_ACTORS: dict[str, Any] = {"key": None, "actors": []}


def _actors(ray, items: Sequence, todo: int, index, config, options, actors: int | None) -> list:
    """The eval's actors, kept across the pipelines of one run (each opens the index and the reader once)."""
    n = max(1, actors or int(ray.cluster_resources().get("CPU", 1)))
    key = repr((ray.get_runtime_context().get_job_id(), str(index.path), index.manifest.get("updated"), index.manifest.get("corpus_fingerprint"), config,
                options, [(it.position, it.id) for it in items], n))
    if _ACTORS["key"] != key:
        for a in _ACTORS["actors"]:
            ray.kill(a)
        cls = ray.remote(num_cpus=1)(AnswerActor)
        shared = ray.put(list(items))
        _ACTORS["key"], _ACTORS["actors"] = key, [cls.remote(str(index.path), config, options, shared)
                                                  for _ in range(n)]
    return _ACTORS["actors"][:max(1, min(n, todo))]


def ray_answer(items: Sequence, todo: Sequence, name: str, index, config, options,
               record: Callable[[dict], dict], actors: int | None = None) -> list[dict]:
    """Answer `todo` (items of one pipeline) on Ray actors; `record` is called on each record as it finishes (the
    eval writes its trace line there); returns the records in `todo`'s order."""
    ray = start_ray()
    from ray.util import ActorPool

    if not todo:
        return []
    pool = ActorPool(_actors(ray, items, len(todo), index, config, options, actors))
    for it in todo:
        pool.submit(lambda a, pos: a.answer.remote(name, pos), it.position)
    by_pos: dict[int, dict] = {}
    try:
        while pool.has_next():
            rec = pool.get_next_unordered()
            by_pos[rec["position"]] = record(rec)
    except ray.exceptions.RayError as e:
        _ACTORS["key"] = None  # a dead actor is not reused
        raise EngineError(f"a Ray worker failed: {' '.join(str(e).split())[:300]}; rerun with --resume") from None
    return [by_pos[it.position] for it in todo]
