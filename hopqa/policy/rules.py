"""Rules both policies share, written once: whether a decomposition is a valid chain, and when a decomposed
question has read enough (JUDGE). Each policy keeps only what differs (the local policy's rule reading of a
decomposition-free question, the LLM policy's repair, revision and judging calls).
"""
from __future__ import annotations

from ..decompose import references
from ..fsm import Context


def check_decomposition(sub_questions: list[str], max_hops: int) -> list[str]:
    """Problems of a draft decomposition (empty when it is valid): every `#k` points to an earlier sub-question; the
    chain is connected (each sub-question after the first uses an earlier answer, or is an independent fact that a
    later sub-question uses, as in MuSiQue's 3hop2/4hop2/4hop3 shapes: ["Who founded X?", "In which city is Y?",
    "When did #1 move to #2?"]); every answer but the last is used later; at most `max_hops` sub-questions."""
    problems: list[str] = []
    if not sub_questions:
        return ["there are no sub-questions"]
    n = len(sub_questions)
    used = {r for j, q in enumerate(sub_questions, 1) for r in references(q) if 1 <= r < j}
    for i, q in enumerate(sub_questions, 1):
        refs = references(q)
        for r in (r for r in refs if r < 1 or r >= i):
            if r == i:
                problems.append(f"sub-question {i} refers to its own answer (#{r})")
            elif r > n or r < 1:
                problems.append(f"sub-question {i} refers to #{r}, which does not exist")
            else:
                problems.append(f"sub-question {i} refers to #{r}, a later sub-question (forward reference)")
        if i > 1 and not [r for r in refs if 1 <= r < i] and i not in used:
            problems.append(f"sub-question {i} does not use any earlier answer (#1..#{i - 1}) and no later "
                            f"sub-question uses its answer")
        elif i < n and i not in used:
            problems.append(f"no later sub-question uses the answer of sub-question {i} (#{i})")
    if len(sub_questions) > max_hops:
        problems.append(f"there are {len(sub_questions)} sub-questions; at most {max_hops} are allowed")
    return problems


def chain_judge(ctx: Context) -> str | None:
    """JUDGE for a decomposed question: "sufficient" once every sub-question has been through REVISE_SEARCH, else
    "next" while hops are left ("max_hops" when none is). None for a decomposition-free question (policy-specific)."""
    if not ctx.decomposed:
        return None
    if ctx.step >= len(ctx.sub_questions):
        return "sufficient"
    return "next" if ctx.hops_left > 0 else "max_hops"


__all__ = ["chain_judge", "check_decomposition"]
