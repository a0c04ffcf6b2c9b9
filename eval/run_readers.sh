#!/usr/bin/env bash
# The reader comparison of eval/RESULTS.md (issue 8): the three shared dev files, open setting, default settings,
# read by the default embedded language model (--reader lm: Qwen2.5-Coder-1.5B), by the small one (--lm-model small:
# 0.5B) and by the rules (--reader rules). About 45 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOPQA_HOME="${HOPQA_HOME:-/tmp/hopqa-reader-bench}"
for ds in musique/musique_ans_dev_100.jsonl hotpotqa/hotpotqa_dev_100.jsonl 2wikimultihopqa/2wikimultihopqa_dev_83.jsonl; do
  name=$(basename $ds .jsonl)
  rm -rf eval/results/reader_lm_open_$name eval/results/reader_lm-small_open_$name eval/results/reader_rules_open_$name
  .venv/bin/hopqa eval ../shared/data/$ds --setting open --reader lm -o eval/results/reader_lm_open_$name --json > /dev/null
  .venv/bin/hopqa eval ../shared/data/$ds --setting open --reader lm --lm-model small -o eval/results/reader_lm-small_open_$name --json > /dev/null
  .venv/bin/hopqa eval ../shared/data/$ds --setting open --reader rules -o eval/results/reader_rules_open_$name --json > /dev/null
done
.venv/bin/python eval/reader_table.py > eval/results/readers.md
