"""The best-guess ablation from one eval run's traces (issue 8): answer EM/F1 as scored (an unanswerable question's
prediction is its best guess) and with every guess blanked (the prediction of a question judged unanswerable is "",
as before `Answer.guess`), on the fit questions and on the held-out ones.

    python eval/guess_ablation.py eval/results/reader_lm_open_musique_ans_dev_100 --fit 30

Reads only the run's own traces.jsonl: the per-question scores there were computed by the official-rules scorer at
eval time; a blanked prediction scores 0 EM / 0 F1 against any non-empty gold answer, as in the official evaluators.
A record says whether its prediction is a guess (`guessed`, its source in `diagnostics.guess_source`); traces written
before that field are read as before: a non-empty prediction of a question judged unanswerable.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def guessed(r: dict) -> bool:
    """Whether the record's prediction is a best guess (answered although judged unanswerable)."""
    if "guessed" in r:
        return bool(r["guessed"])
    return bool(not r["predicted_answerable"] and r["predicted_answer"])  # traces from before the field


def table(run: Path, fit: int) -> dict:
    recs = [json.loads(x) for x in (run / "traces.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    recs = [r for r in recs if r.get("pipeline", "multihop") == "multihop"]
    out: dict = {"run": str(run), "n": len(recs), "fit": fit, "guessed": sum(1 for r in recs if guessed(r))}
    slices = {"all": recs, f"1-{fit}": [r for r in recs if r["position"] < fit],
              f"{fit + 1}-": [r for r in recs if r["position"] >= fit]}
    for name, rs in slices.items():
        if not rs:
            continue
        n = len(rs)
        kept = [r for r in rs if not guessed(r)]
        out[name] = {
            "n": n,
            "with_guess": {"em": sum(r["answer_em"] for r in rs) / n, "f1": sum(r["answer_f1"] for r in rs) / n},
            "without_guess": {"em": sum(r["answer_em"] for r in kept) / n, "f1": sum(r["answer_f1"] for r in kept) / n},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="eval output directories (hopqa eval -o DIR)")
    ap.add_argument("--fit", type=int, default=0, help="the first N questions were looked at while fitting")
    args = ap.parse_args()
    print("| run | slice | n | EM / F1 with guesses | EM / F1 without |")
    print("|---|---|---|---|---|")
    rows = []
    for run in args.runs:
        t = table(run, args.fit)
        rows.append(t)
        for name, v in t.items():
            if isinstance(v, dict):
                w, wo = v["with_guess"], v["without_guess"]
                print(f"| {run.name} | {name} | {v['n']} | {100 * w['em']:.1f} / {100 * w['f1']:.1f} | "
                      f"{100 * wo['em']:.1f} / {100 * wo['f1']:.1f} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
