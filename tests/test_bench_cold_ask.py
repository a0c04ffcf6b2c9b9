"""eval/bench_cold_ask.py end to end on the hashing encoder and the rules reader (no model load): one row, a wall
time, the answer and the timing split taken from `hopqa ask --json`."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_cold_ask_rules_reader_on_hash_index(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_cold_ask", ROOT / "eval" / "bench_cold_ask.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_cold_ask"] = mod
    spec.loader.exec_module(mod)
    out = tmp_path / "cold.json"
    rc = mod.main(["--encoders", "hash:256", "--readers", "rules", "--repeats", "1", "--work", str(tmp_path / "w"),
                   "--out", str(out)])
    assert rc == 0
    (row,) = json.loads(out.read_text())["rows"]
    assert row["encoder"] == "hash:256" and row["reader"] == "rules"
    assert len(row["walls_s"]) == 1 and row["median_s"] > 0
    assert row["timings"][0]["total_seconds"] > 0  # the answer's own split, from `hopqa ask --json`
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["bench"] == "cold_ask"
