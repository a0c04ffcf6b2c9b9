"""The eval report: a markdown table of every pipeline (overall and by hop type), and PNG plots."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COLUMNS = [("answer_em", "EM"), ("answer_f1", "F1"), ("support_f1", "Sup F1"), ("recall@2", "R@2"), ("recall@5", "R@5"),
           ("recall@10", "R@10"), ("all_recall@5", "All@5"), ("all_recall@10", "All@10")]


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def pipeline_table(metrics: dict[str, Any]) -> str:
    pipes = metrics.get("pipelines") or {"multihop": metrics}
    head = "| pipeline | n | " + " | ".join(c for _, c in COLUMNS) + " | p50 ms | p95 ms | q/s |"
    rows = [head, "|" + "---|" * (len(COLUMNS) + 5)]
    for name, m in pipes.items():
        rows.append(f"| {name} | {m['n']} | " + " | ".join(_pct(m.get(k)) for k, _ in COLUMNS)
                    + f" | {1000 * (m.get('latency_p50') or 0):.0f} | {1000 * (m.get('latency_p95') or 0):.0f}"
                    + f" | {m.get('questions_per_second') or 0:.1f} |")
    return "\n".join(rows)


def hop_table(metrics: dict[str, Any]) -> str:
    pipes = metrics.get("pipelines") or {"multihop": metrics}
    keys = [("answer_f1", "F1"), ("support_f1", "Sup F1"), ("recall@5", "R@5"), ("all_recall@5", "All@5")]
    rows = ["| pipeline | hop type | n | " + " | ".join(c for _, c in keys) + " |", "|" + "---|" * (len(keys) + 3)]
    for name, m in pipes.items():
        for t, hm in m.get("by_hop_type", {}).items():
            rows.append(f"| {name} | {t} | {hm['n']} | " + " | ".join(_pct(hm.get(k)) for k, _ in keys) + " |")
    return "\n".join(rows)


def write_report(metrics: dict[str, Any], path: Path) -> None:
    prov = metrics.get("provenance", {})
    lines = [
        "# hopqa evaluation report", "",
        f"- dataset: `{prov.get('dataset')}` (sha256 {str(prov.get('dataset_sha256'))[:12]}), {prov.get('n')} questions",
        f"- setting: **{prov.get('setting')}**, policy: **{prov.get('policy')}**",
        f"- index: `{prov.get('index', {}).get('path')}` ({prov.get('index', {}).get('passages')} passages, "
        f"model {prov.get('index', {}).get('model')})",
        f"- git commit: `{prov.get('git_commit')}`; machine: {prov.get('machine', {}).get('cpu')}, "
        f"{prov.get('machine', {}).get('cores')} cores, {prov.get('machine', {}).get('ram_gib')} GiB",
        f"- command: `{' '.join(prov.get('argv') or [])}`", "",
        "Scores in %. EM/F1/Sup F1 as the official MuSiQue evaluator (gold-answerable questions only); "
        "R@k: share of gold supporting paragraphs in the top k of the final evidence ranking; All@k: all of them.", "",
        pipeline_table(metrics), "",
    ]
    if "best_single_shot" in metrics:
        lines += [f"Multi-hop gain in R@5 over the best single-shot baseline ({metrics['best_single_shot']}): "
                  f"**{100 * metrics['gain_recall@5_over_best_single_shot']:+.1f} points**.", ""]
    if metrics.get("musique_full"):
        lines += ["MuSiQue-Full group metrics: `" + json.dumps(metrics["musique_full"]) + "`", ""]
    if metrics.get("usage"):
        lines += ["LLM usage: `" + json.dumps(metrics["usage"]) + "`", ""]
    lines += ["## By hop type", "", hop_table(metrics), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plots(metrics: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pipes = metrics.get("pipelines") or {"multihop": metrics}
    prov = metrics.get("provenance", {})
    subtitle = f"{Path(str(prov.get('dataset'))).name} · {prov.get('setting')} · {str(prov.get('git_commit'))[:10]}"
    # The provenance in the PNG's own text chunks too (the subtitle is only pixels): dataset, setting, commit, machine.
    meta = {"Title": "hopqa evaluation", "Software": "hopqa",
            "Description": json.dumps({k: prov.get(k) for k in ("dataset", "dataset_sha256", "setting", "policy", "n",
                                                                 "git_commit", "machine")}, ensure_ascii=False)}
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, m in pipes.items():
        curve = m.get("recall_curve") or []
        if curve:
            ax.plot(range(1, len(curve) + 1), [100 * v for v in curve], marker="o", label=name)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k of supporting paragraphs (%)")
    ax.set_title(f"Recall@k\n{subtitle}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "recall_at_k.png", dpi=110, metadata=meta)
    plt.close(fig)

    types = sorted({t for m in pipes.values() for t in m.get("by_hop_type", {})})
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / max(1, len(pipes))
    for ax, key, label in ((axes[0], "answer_f1", "answer F1 (%)"), (axes[1], "recall@5", "recall@5 (%)")):
        for i, (name, m) in enumerate(pipes.items()):
            vals = [100 * (m.get("by_hop_type", {}).get(t, {}).get(key) or 0) for t in types]
            ax.bar([x + i * width for x in range(len(types))], vals, width, label=name)
        ax.set_xticks([x + width * (len(pipes) - 1) / 2 for x in range(len(types))], types)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"By hop type · {subtitle}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "by_hop_type.png", dpi=110, metadata=meta)
    plt.close(fig)
