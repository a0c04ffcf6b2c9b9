"""Scoring exactly like the official evaluators: MuSiQue (StonyBrookNLP/musique, ``evaluate_v1.0.py``), HotpotQA
(hotpotqa/hotpot, ``hotpot_evaluate_v1.py``) and 2WikiMultihopQA (Alab-NII/2wikimultihop,
``2wikimultihop_evaluate_v1.1.py``), one module per rule set:

* :mod:`.answer`    -- SQuAD-style answer normalisation, EM and token F1 (official MuSiQue ``metrics/answer.py``),
  shared by every family.
* :mod:`.musique`   -- supporting-paragraph P/R/F1/EM (``metrics/support.py``), the MuSiQue-Full group metrics and
  the whole-file ``evaluate_v1.0.py``.
* :mod:`.hotpot`    -- HotpotQA's answer, supporting-fact and joint scores and its whole-file evaluation.
* :mod:`.twowiki`   -- 2WikiMultihopQA's evidence triples and its whole-file evaluation (HotpotQA's rules otherwise).
* :mod:`.retrieval` -- recall@k and all-recall@k (hopqa's own; the official evaluators have no retrieval metric).
* :mod:`.summary`   -- the per-question keys of each family, which official evaluator a family is scored like, and
  the means over questions, by hop type, question type and level (hopqa's own).

Nothing in this package is used to *answer* questions; it only scores predictions. Every function names, in its
docstring, the official rule it reproduces. All scores are fractions in [0, 1]. The official scripts print rounded
figures; the functions here return unrounded values (:func:`.musique.evaluate_official` takes ``round_digits=3`` to
get the printed ones).
"""
