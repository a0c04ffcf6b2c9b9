"""The eval report: a markdown table of every pipeline (overall, by the dataset's question type and level, and under
each perturbation), and PNG plots. Columns follow the dataset's official metric family."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COLUMNS = [("answer_em", "EM"), ("answer_f1", "F1"), ("support_f1", "Sup F1"), ("recall@2", "R@2"), ("recall@5", "R@5"),
           ("recall@10", "R@10"), ("all_recall@5", "All@5"), ("all_recall@10", "All@10")]
# HotpotQA / 2Wiki: the official script's answer, supporting-fact (sentence) and joint metrics.
HOTPOT_COLUMNS = [("answer_em", "EM"), ("answer_f1", "F1"), ("sp_em", "Sup EM"), ("sp_f1", "Sup F1"),
                  ("joint_em", "Joint EM"), ("joint_f1", "Joint F1"), ("recall@2", "R@2"), ("recall@5", "R@5"),
                  ("all_recall@5", "All@5")]
SHORT_KEYS = {"musique": [("answer_f1", "F1"), ("support_f1", "Sup F1"), ("recall@5", "R@5"), ("all_recall@5", "All@5")],
              "hotpot": [("answer_f1", "F1"), ("sp_f1", "Sup F1"), ("joint_f1", "Joint F1"), ("recall@5", "R@5")]}
FAMILY_NOTE = {
    "musique": "EM/F1/Sup F1 as the official MuSiQue evaluator (gold-answerable questions only; Sup F1 over "
               "supporting paragraph idxs)",
    "hotpot": "EM/F1, Sup EM/F1 (supporting facts: (title, sentence id) pairs) and Joint EM/F1 (products of answer "
              "and supporting-fact precision and recall) as the official HotpotQA evaluator, hotpot_evaluate_v1.py",
    "2wiki": "EM/F1, Sup EM/F1 (supporting facts: (title, sentence id) pairs, titles lower-cased) and Joint EM/F1 as "
             "the official 2WikiMultihopQA evaluator, 2wikimultihop_evaluate_v1.1.py; hopqa predicts no evidence "
             "triples, so Joint is answer x supporting facts (the official script, which also multiplies evidence "
             "scores, gives 0 joint and evidence scores on hopqa's files)",
}


def family(metrics: dict[str, Any]) -> str:
    return metrics.get("metric_family") or "musique"


def columns(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    return COLUMNS if family(metrics) == "musique" else HOTPOT_COLUMNS


def short_keys(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    return SHORT_KEYS["musique" if family(metrics) == "musique" else "hotpot"]


def _pct(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def pipeline_table(metrics: dict[str, Any]) -> str:
    pipes = metrics.get("pipelines") or {"multihop": metrics}
    cols = columns(metrics)
    head = "| pipeline | n | " + " | ".join(c for _, c in cols) + " | p50 ms | p95 ms | q/s |"
    rows = [head, "|" + "---|" * (len(cols) + 5)]
    for name, m in pipes.items():
        rows.append(f"| {name} | {m['n']} | " + " | ".join(_pct(m.get(k)) for k, _ in cols)
                    + f" | {1000 * (m.get('latency_p50') or 0):.0f} | {1000 * (m.get('latency_p95') or 0):.0f}"
                    + f" | {m.get('questions_per_second') or 0:.1f} |")
    return "\n".join(rows)


def _groups(m: dict[str, Any], by: str) -> dict[str, Any]:
    if by == "type":
        return m.get("by_type") or m.get("by_hop_type") or {}
    return m.get("by_level") or {}


def hop_table(metrics: dict[str, Any], by: str = "type") -> str:
    """Every pipeline broken down by the dataset's own question type (MuSiQue hop types, HotpotQA bridge/comparison,
    2Wiki's four types) or, with `by="level"`, by HotpotQA level."""
    pipes = metrics.get("pipelines") or {"multihop": metrics}
    keys = short_keys(metrics)
    label = "level" if by == "level" else ("hop type" if family(metrics) == "musique" else "type")
    rows = [f"| pipeline | {label} | n | " + " | ".join(c for _, c in keys) + " |", "|" + "---|" * (len(keys) + 3)]
    for name, m in pipes.items():
        for t, hm in _groups(m, by).items():
            rows.append(f"| {name} | {t} | {hm['n']} | " + " | ".join(_pct(hm.get(k)) for k, _ in keys) + " |")
    return "\n".join(rows)


def level_table(metrics: dict[str, Any]) -> str | None:
    pipes = metrics.get("pipelines") or {"multihop": metrics}
    return hop_table(metrics, "level") if any(m.get("by_level") for m in pipes.values()) else None


def perturbation_table(metrics: dict[str, Any]) -> str | None:
    """Each pipeline unperturbed and under each perturbation, with the drop (unperturbed minus perturbed, points)."""
    pert = metrics.get("perturbations")
    if not pert:
        return None
    keys = short_keys(metrics)
    pipes = metrics["pipelines"]
    rows = ["| pipeline | perturbation | " + " | ".join(c for _, c in keys) + " | " + " | ".join(f"drop {c}" for _, c in keys) + " |",
            "|" + "---|" * (2 + 2 * len(keys))]
    for base in pert["base_pipelines"]:
        b = pipes[base]
        rows.append(f"| {base} | none | " + " | ".join(_pct(b.get(k)) for k, _ in keys) + " |" + " |" * len(keys))
        for name in pert["names"]:
            pm = pipes[f"{base}+{name}"]
            drops = pert["drop"][base][name]
            rows.append(f"| {base} | {name} | " + " | ".join(_pct(pm.get(k)) for k, _ in keys) + " | "
                        + " | ".join("-" if drops.get(k) is None else f"{100 * drops[k]:+.1f}" for k, _ in keys) + " |")
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
        f"- command: `{' '.join(prov.get('argv') or [])}`",
        f"- metrics: **{metrics.get('official_evaluator') or 'MuSiQue evaluate_v1.0.py (StonyBrookNLP/musique)'}**",
    ]
    if metrics.get("skipped_invalid"):
        lines.append(f"- skipped: **{metrics['skipped_invalid']} invalid records** (`--skip-invalid`; not scored, "
                     f"the official script would count them as 0), first: `{(metrics.get('skipped_records') or [''])[0]}`")
    lines += [
        "", f"Scores in %. {FAMILY_NOTE[family(metrics)]}; "
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
    pt = perturbation_table(metrics)
    if pt:
        lines += ["## Robustness (perturbed inputs)", "", metrics["perturbations"]["description"], "", pt, ""]
    lines += ["## By hop type" if family(metrics) == "musique" else "## By question type", "", hop_table(metrics), ""]
    lt = level_table(metrics)
    if lt:
        lines += ["## By level", "", lt, ""]
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

    fam = family(metrics)
    second = ("recall@5", "recall@5 (%)") if fam == "musique" else ("sp_f1", "supporting-fact F1 (%)")
    types = list(dict.fromkeys(t for m in pipes.values() for t in _groups(m, "type")))
    levels = list(dict.fromkeys(t for m in pipes.values() for t in _groups(m, "level")))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / max(1, len(pipes))
    groups = [(t, "type") for t in types] + [(lv, "level") for lv in levels]
    labels = [t if by == "type" else f"level {t}" for t, by in groups]
    for ax, key, label in ((axes[0], "answer_f1", "answer F1 (%)"), (axes[1], *second)):
        for i, (name, m) in enumerate(pipes.items()):
            vals = [100 * (_groups(m, by).get(t, {}).get(key) or 0) for t, by in groups]
            ax.bar([x + i * width for x in range(len(groups))], vals, width, label=name)
        ax.set_xticks([x + width * (len(pipes) - 1) / 2 for x in range(len(groups))], labels, fontsize=7,
                      rotation=20 if len(groups) > 4 else 0)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{'By hop type' if fam == 'musique' else 'By question type and level'} · {subtitle}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "by_hop_type.png", dpi=110, metadata=meta)
    plt.close(fig)
