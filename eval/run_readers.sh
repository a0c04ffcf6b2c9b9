#!/usr/bin/env bash
# The reader comparison of eval/RESULTS.md (issue 8): the three shared dev files, open setting, default settings,
# read by the embedded language model (--reader lm, the default when installed) and by the rules (--reader rules).
set -euo pipefail
cd "$(dirname "$0")/.."
export HOPQA_HOME="${HOPQA_HOME:-/tmp/hopqa-reader-bench}"
for ds in musique/musique_ans_dev_100.jsonl hotpotqa/hotpotqa_dev_100.jsonl 2wikimultihopqa/2wikimultihopqa_dev_83.jsonl; do
  name=$(basename $ds .jsonl)
  rm -rf eval/results/reader_lm_open_$name eval/results/reader_rules_open_$name
  .venv/bin/hopqa eval ../shared/data/$ds --setting open --reader lm -o eval/results/reader_lm_open_$name --json > /dev/null
  .venv/bin/hopqa eval ../shared/data/$ds --setting open --reader rules -o eval/results/reader_rules_open_$name --json > /dev/null
done
.venv/bin/python eval/reader_table.py > eval/results/readers.md
