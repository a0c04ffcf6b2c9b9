"""Official predictions files. HotpotQA / 2Wiki (one JSON object of id maps) are at the end; first MuSiQue's.

The official MuSiQue predictions file: JSONL, one object per dataset instance, in dataset order.

Each line is exactly ``{"id": str, "predicted_answer": str, "predicted_support_idxs": [int, ...],
"predicted_answerable": bool}``. The official ``evaluate_v1.0.py`` (StonyBrookNLP/musique) reads the
file line by line (blank lines skipped), requires as many predictions as dataset instances and the
same ``id`` at every position (so for MuSiQue-Full, where the answerable question and its contrast
share an id, each id appears twice, in the dataset's order), and reads those four fields.

The official script does not check types or extra fields; hopqa is stricter so a bad file fails here
with a one-line message instead of producing silently wrong scores: the four field names exactly,
``predicted_answer`` a str, ``predicted_support_idxs`` a list of ints (not bools),
``predicted_answerable`` a bool (not 0/1).

This module only writes and checks files for scoring; nothing here is used to answer questions.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Iterable, Mapping, Sequence

from hopqa.errors import InputError

__all__ = ["PREDICTION_FIELDS", "write_predictions", "read_predictions", "validate_predictions",
           "validate_hotpot_predictions", "write_hotpot_predictions", "read_hotpot_predictions"]

PREDICTION_FIELDS = ("id", "predicted_answer", "predicted_support_idxs", "predicted_answerable")

_MAX_SHOWN = 60


def _show(value: Any) -> str:
    """A short one-line repr of a value for error messages."""
    r = repr(value)
    return r if len(r) <= _MAX_SHOWN else r[: _MAX_SHOWN - 3] + "..."


def _type_name(value: Any) -> str:
    return type(value).__name__


def _fail(message: str, *, file: str | None, line: int, field: str | None = None) -> InputError:
    """Build a one-line InputError. With a file, InputError itself prefixes ``file:line: field 'f': ``;
    without one, the record number (1-based) and field go into the message."""
    message = " ".join(message.split())
    if file is None:
        where = f"prediction {line}"
        if field is not None:
            where += f": field '{field}'"
        message = f"{where}: {message}"
    return InputError(message, file=file, line=line, field=field)


def _check_record(rec: Any, *, file: str | None, line: int) -> None:
    if not isinstance(rec, Mapping):
        raise _fail(f"must be a JSON object, got {_type_name(rec)}", file=file, line=line)
    keys = list(rec.keys())
    missing = [f for f in PREDICTION_FIELDS if f not in rec]
    extra = [k for k in keys if k not in PREDICTION_FIELDS]
    if missing:
        found = f" (found unexpected {', '.join(repr(k) for k in extra)})" if extra else ""
        raise _fail(
            f"missing field{found}; the official format has exactly {', '.join(PREDICTION_FIELDS)}",
            file=file, line=line, field=missing[0],
        )
    if extra:
        raise _fail(
            f"unexpected field; the official format has exactly {', '.join(PREDICTION_FIELDS)}",
            file=file, line=line, field=str(extra[0]),
        )
    qid = rec["id"]
    if not isinstance(qid, str):
        raise _fail(f"must be a str, got {_type_name(qid)} {_show(qid)}", file=file, line=line, field="id")
    ans = rec["predicted_answer"]
    if not isinstance(ans, str):
        raise _fail(f"must be a str, got {_type_name(ans)} {_show(ans)} (id {qid!r})", file=file, line=line, field="predicted_answer")
    idxs = rec["predicted_support_idxs"]
    if not isinstance(idxs, list):
        raise _fail(
            f"must be a list of int, got {_type_name(idxs)} {_show(idxs)} (id {qid!r})",
            file=file, line=line, field="predicted_support_idxs",
        )
    for i, v in enumerate(idxs):
        if not isinstance(v, int) or isinstance(v, bool):
            raise _fail(
                f"must be a list of int, item {i} is {_type_name(v)} {_show(v)} (id {qid!r})",
                file=file, line=line, field="predicted_support_idxs",
            )
    flag = rec["predicted_answerable"]
    if not isinstance(flag, bool):
        raise _fail(
            f"must be a bool (true/false), got {_type_name(flag)} {_show(flag)} (id {qid!r})",
            file=file, line=line, field="predicted_answerable",
        )


def _validate(
    predictions: Sequence[Any], dataset_ids: Sequence[str], *, file: str | None, lines: Sequence[int] | None
) -> None:
    dataset_ids = list(dataset_ids)
    for pos, rec in enumerate(predictions):
        line = lines[pos] if lines is not None else pos + 1
        _check_record(rec, file=file, line=line)
        qid = rec["id"]
        if pos >= len(dataset_ids):
            raise _fail(
                f"extra prediction (id {qid!r}): {len(predictions)} predictions for {len(dataset_ids)} dataset questions",
                file=file, line=line, field="id",
            )
        expected = dataset_ids[pos]
        if qid != expected:
            if qid in dataset_ids:
                why = "out of order: predictions must be in the dataset's order"
            else:
                why = "not a dataset id"
            raise _fail(f"id {qid!r} at position {pos + 1}, expected {expected!r} ({why})", file=file, line=line, field="id")
    if len(predictions) < len(dataset_ids):
        missing = dataset_ids[len(predictions)]
        raise _fail(
            f"{len(predictions)} predictions for {len(dataset_ids)} dataset questions; first missing id {missing!r}",
            file=file, line=(lines[-1] + 1 if lines else len(predictions) + 1),
        )


def validate_predictions(
    predictions: Sequence[Mapping[str, Any]], dataset_ids: Sequence[str], *, file: str | None = None
) -> None:
    """Check predictions against the official format and the dataset's ids, raising
    :class:`hopqa.errors.InputError` with a one-line message on the first problem.

    Checks, per record in order: a JSON object with exactly the fields ``id``, ``predicted_answer``,
    ``predicted_support_idxs``, ``predicted_answerable`` (missing or unexpected field names are
    reported); their types (str, str, list of int, bool); and that the id at position *i* equals
    ``dataset_ids[i]`` (official rule: same instances, same order, so MuSiQue-Full ids appear twice).
    Then that there are as many predictions as dataset ids. The error's ``line`` is the 1-based
    record number; ``file`` (optional) is only used for the message.
    """
    _validate(list(predictions), dataset_ids, file=file, lines=None)


def _ordered(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {f: rec[f] for f in PREDICTION_FIELDS}


def write_predictions(
    path: str | os.PathLike[str],
    predictions: Iterable[Mapping[str, Any]],
    dataset_ids: Sequence[str] | None = None,
) -> None:
    """Write predictions as the official JSONL, in the given order (which must be the dataset's).

    Each record is validated first (field names and types, see :func:`validate_predictions`); if
    ``dataset_ids`` is given the ids must also match it position by position. Lines hold the four
    fields in the official order, UTF-8, non-ASCII kept. The write is atomic: a temporary file in
    the same folder is written, flushed, fsynced and then ``os.replace``-d onto ``path``, so a
    crash never leaves a half-written predictions file.
    """
    preds = list(predictions)
    path = os.fspath(path)
    ids = list(dataset_ids) if dataset_ids is not None else [p.get("id") if isinstance(p, Mapping) else None for p in preds]
    _validate(preds, ids, file=None, lines=None)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for rec in preds:
                fh.write(json.dumps(_ordered(rec), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a results file is as readable as its siblings
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_predictions(
    path: str | os.PathLike[str], dataset_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Read an official predictions JSONL file (as ``evaluate_v1.0.py`` does: one JSON object per
    line, surrounding whitespace stripped, blank lines skipped).

    Raises :class:`hopqa.errors.InputError` (with file and line) if the file cannot be read or a
    line is not JSON. If ``dataset_ids`` is given, the records are also checked with
    :func:`validate_predictions`, errors pointing at the real file line.
    """
    path = os.fspath(path)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, raw in enumerate(fh, start=1):
                text = raw.strip()
                if not text:
                    continue
                try:
                    records.append(json.loads(text))
                except json.JSONDecodeError as exc:
                    raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=lineno) from None
                lines.append(lineno)
    except OSError as exc:
        raise InputError(f"cannot read predictions file: {exc.strerror or exc}", file=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", file=path) from None
    if dataset_ids is not None:
        _validate(records, dataset_ids, file=path, lines=lines)
    return records


# ---------------------------------------------------------------------------------------------
# HotpotQA / 2WikiMultihopQA: one JSON object {"answer": {id: str}, "sp": {id: [[title, sent_id], ...]}}
# (2Wiki adds "evidence": {id: [[subject, relation, object], ...]})
# ---------------------------------------------------------------------------------------------

HOTPOT_PREDICTION_KEYS = ("answer", "sp")


def validate_hotpot_predictions(obj: Any, dataset_ids: Sequence[str] | None = None, *, file: str | None = None,
                                evidence: bool = False) -> None:
    """Check an official HotpotQA (or, with ``evidence``, 2Wiki) predictions object, raising a one-line
    :class:`InputError` naming the key, the question id and the bad value.

    The official ``hotpot_evaluate_v1.py`` reads ``prediction['answer'][id]`` (a str) and ``prediction['sp'][id]``
    (a list of ``[title, sent_id]``) for every gold id, printing "missing answer" and scoring 0 where one is absent;
    hopqa is stricter: with ``dataset_ids`` every id must be present in every map and no other id may appear.
    Titles are str, sentence ids int (not bool); 2Wiki evidence triples are lists of three str.
    """
    def fail(msg: str, key: str | None = None) -> InputError:
        msg = " ".join(msg.split())
        if file is None and key is not None:
            msg = f"predictions field '{key}': {msg}"
        return InputError(msg, file=file, field=key)

    if not isinstance(obj, Mapping):
        raise fail(f"must be a JSON object with {', '.join(HOTPOT_PREDICTION_KEYS)}, got {_type_name(obj)}")
    keys = (*HOTPOT_PREDICTION_KEYS, "evidence") if evidence else HOTPOT_PREDICTION_KEYS
    for k in keys:
        if k not in obj:
            raise fail(f"missing; the official format has {', '.join(keys)}", k)
        if not isinstance(obj[k], Mapping):
            raise fail(f"must be an object {{id: ...}}, got {_type_name(obj[k])}", k)
    extra = [k for k in obj if k not in keys and k != "evidence"]
    if extra:
        raise fail(f"unexpected key; the official format has {', '.join(keys)}", str(extra[0]))
    for qid, ans in obj["answer"].items():
        if not isinstance(ans, str):
            raise fail(f"id {qid!r}: must be a str, got {_type_name(ans)} {_show(ans)}", "answer")
    for qid, sps in obj["sp"].items():
        if not isinstance(sps, list):
            raise fail(f"id {qid!r}: must be a list of [title, sent_id], got {_type_name(sps)} {_show(sps)}", "sp")
        for j, pair in enumerate(sps):
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str)
                    and isinstance(pair[1], int) and not isinstance(pair[1], bool)):
                raise fail(f"id {qid!r}: item {j} must be [title (str), sent_id (int)], got {_show(pair)}", "sp")
    for qid, triples in (obj.get("evidence") or {}).items():
        if not isinstance(triples, list) or not all(
                isinstance(t, (list, tuple)) and len(t) == 3 and all(isinstance(x, str) for x in t) for t in triples):
            raise fail(f"id {qid!r}: must be a list of [subject, relation, object] strings, got {_show(triples)}",
                       "evidence")
    if dataset_ids is not None:
        want = list(dataset_ids)
        want_set = set(want)
        for k in keys:
            have = obj[k]
            missing = [q for q in want if q not in have]
            if missing:
                raise fail(f"{len(missing)} of {len(want)} dataset ids have no prediction; first missing id {missing[0]!r}", k)
            unknown = [q for q in have if q not in want_set]
            if unknown:
                raise fail(f"id {unknown[0]!r} is not a dataset id", k)


def write_hotpot_predictions(path: str | os.PathLike[str], prediction: Mapping[str, Any],
                             dataset_ids: Sequence[str] | None = None) -> None:
    """Write the official HotpotQA / 2Wiki predictions object (validated first, see
    :func:`validate_hotpot_predictions`) as one JSON object, atomically (temporary file, fsync, ``os.replace``).
    Maps keep the dataset's order."""
    _validate_then_write(path, prediction, dataset_ids)


def _validate_then_write(path: str | os.PathLike[str], prediction: Mapping[str, Any],
                         dataset_ids: Sequence[str] | None) -> None:
    validate_hotpot_predictions(prediction, dataset_ids, evidence="evidence" in prediction)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            json.dump({k: dict(v) for k, v in prediction.items()}, fh, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_hotpot_predictions(path: str | os.PathLike[str], dataset_ids: Sequence[str] | None = None, *,
                            evidence: bool = False) -> dict[str, Any]:
    """Read an official HotpotQA / 2Wiki predictions file (one JSON object) and check it with
    :func:`validate_hotpot_predictions`; errors are one line naming the file."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except OSError as exc:
        raise InputError(f"cannot read predictions file: {exc.strerror or exc}", file=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", file=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=path, line=exc.lineno) from None
    validate_hotpot_predictions(obj, dataset_ids, file=path, evidence=evidence)
    return obj
