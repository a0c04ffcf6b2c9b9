"""Print the reader comparison table (markdown) from the runs of eval/run_readers.sh (eval/results/reader_*):
`lm` is the default embedded model (Qwen2.5-Coder-1.5B), `lm-small` the 0.5B one, `rules` the rule reader."""
from __future__ import annotations

import json
from pathlib import Path

RES = Path(__file__).resolve().parent / "results"
DATASETS = [("musique_ans_dev_100", "MuSiQue-Ans dev sample (101)"), ("hotpotqa_dev_100", "HotpotQA dev sample (100)"),
            ("2wikimultihopqa_dev_83", "2WikiMultihopQA dev sample (83)")]


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def main() -> None:
    print("| data | reader | EM | F1 | support F1 (official family) | R@5 | All@5 | p50 s | p95 s | reader calls/q |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    types = []
    for key, label in DATASETS:
        for reader in ("lm", "lm-small", "rules"):
            f = RES / f"reader_{reader}_open_{key}" / "metrics.json"
            if not f.exists():
                continue
            m = json.loads(f.read_text())["pipelines"]["multihop"]
            sup = m.get("sp_f1", m.get("support_f1"))
            recs = [json.loads(x) for x in (f.parent / "traces.jsonl").read_text().splitlines() if x.strip()]
            rc = [((r.get("usage") or {}).get("reader") or {}).get("calls", 0) for r in recs]
            print(f"| {label} | {reader} | {pct(m['answer_em'])} | {pct(m['answer_f1'])} | {pct(sup)} | "
                  f"{pct(m['recall@5'])} | {pct(m['all_recall@5'])} | {m['latency_p50']:.2f} | {m['latency_p95']:.2f} | "
                  f"{sum(rc) / max(1, len(rc)):.2f} |")
            for t, v in (m.get("by_type") or {}).items():
                types.append(f"| {label} | {reader} | {t} | {v['n']} | {pct(v.get('answer_em'))} | {pct(v.get('answer_f1'))} | {pct(v.get('recall@5'))} |")
    print("\n| data | reader | type | n | EM | F1 | R@5 |\n|---|---|---|---|---|---|---|")
    print("\n".join(types))


if __name__ == "__main__":
    main()
