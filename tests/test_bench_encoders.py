"""eval/bench_encoders.py runs end to end (the hashing encoder, MuSiQue only), so a moved library function breaks a
test and not the next benchmark run."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUSIQUE = ROOT.parent / "shared/data/musique/musique_ans_dev_100.jsonl"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_encoders", ROOT / "eval" / "bench_encoders.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_encoders"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not MUSIQUE.is_file(), reason="shared MuSiQue dev file not present")
def test_bench_encoders_hash_row_has_speed_and_recall(tmp_path, capsys):
    out = tmp_path / "encoders.json"
    rc = _bench().main(["--encoders", "hash:256", "--limit", "64", "--datasets", "musique", "--out", str(out)])
    report = json.loads(out.read_text())
    (row,) = report["results"]
    assert "error" not in row, row.get("error")
    assert rc == 0
    assert row["dim"] == 256 and row["torch_imported"] is False
    assert row["throughput"]["passages"] == 64 and row["throughput"]["passages_per_s"] > 0
    musique = row["recall"]["musique"]
    assert musique["questions"] == 101 and musique["passages"] > 1000
    assert 0.0 < musique["R@5"] <= musique["R@10"] <= 100.0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last)["bench"] == "encoders"
