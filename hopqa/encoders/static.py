"""Static (model2vec) embeddings: one vector per vocabulary token, a passage is the mean of its tokens' vectors.

`static:minilm` is distilled once from the default all-MiniLM-L6-v2 with model2vec (every wordpiece through the model,
PCA to 256 dimensions, SIF weighting by token rank) and kept in the models dir; later loads read a 15 MB table and
need neither torch nor the distillation extras. `static:DIR` loads any model2vec model folder.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ModelError

PCA_DIMS = 256
STATIC_MINILM_DIR = f"static-{DEFAULT_MODEL}-m2v{PCA_DIMS}"


def _need_model2vec(name: str):
    try:
        from model2vec import StaticModel
    except ImportError:
        raise ModelError(f"encoder '{name}' needs model2vec: pip install 'hopqa[static]'") from None
    return StaticModel


def distill_static_minilm(target_dir: Path | None = None) -> Path:
    """The model2vec folder distilled from the default MiniLM, built on first use (about 2 minutes on one core)."""
    from .st import default_model_path, models_dir, quiet_transformers, work_dir

    root = target_dir or models_dir()
    final = root / STATIC_MINILM_DIR
    if (final / "model.safetensors").is_file():
        return final
    try:
        from model2vec.distill import distill
    except ImportError as e:
        raise ModelError(f"building encoder 'static:minilm' needs model2vec's distillation (model2vec, skeletoken, "
                         f"torch): pip install 'hopqa[static]' ({e})") from None
    work = work_dir(root, ".static-", "the static encoder")
    print(f"hopqa: distilling static:minilm from {DEFAULT_MODEL} once into {final} (about 2 minutes on one core)",
          file=sys.stderr, flush=True)
    try:  # model2vec draws its own token progress bar on stderr: the one place a library bar is kept (a one-off step)
        quiet_transformers()
        model = distill(model_name=str(default_model_path()), pca_dims=PCA_DIMS, device="cpu")
        model.save_pretrained(str(work / "model"))
        if not final.exists():
            os.replace(work / "model", final)
    except OSError as e:
        raise ModelError(f"cannot write the static encoder to {root}: {e.strerror or e}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


class StaticEncoder:
    """A model2vec StaticModel: L2-normalised float32 vectors, thousands of passages per second on one core."""

    normalize = True

    def __init__(self, model_dir: Path, name: str):
        StaticModel = _need_model2vec(name)
        self.name = name
        try:
            self.model = StaticModel.from_pretrained(str(model_dir))
        except Exception as e:  # model2vec / safetensors / tokenizers raise their own types
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ModelError(f"cannot load static model {model_dir}: {first[:200]}") from None
        self.dim = int(self.model.dim)

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        # model2vec's own default batch (1024) and no worker processes: it is already fast on one thread
        out = self.model.encode(list(texts), batch_size=max(1024, int(batch_size)), show_progress_bar=False,
                                use_multiprocessing=False)
        out = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.clip(norms, 1e-12, None), dtype=np.float32)


def static_minilm_encoder(name: str) -> StaticEncoder:
    _need_model2vec(name)
    return StaticEncoder(distill_static_minilm(), name)


def static_dir_encoder(directory: str, name: str) -> StaticEncoder:
    d = Path(directory).expanduser()
    if not (d / "model.safetensors").is_file():
        raise ModelError(f"encoder '{name}': {d} is not a model2vec folder (no model.safetensors)")
    return StaticEncoder(d, name)
