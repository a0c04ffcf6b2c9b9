# Two commands do all set-up on a fresh machine:
#   make demo  -- venv, install, index the bundled demo corpus, answer a demo question, evaluate the demo questions
#   make test  -- venv if needed, then the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hopqa-installed

.PHONY: install demo test bench bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,lm]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/hopqa index build --demo --name demo --overwrite
	$(BIN)/hopqa ask --index demo "$$($(BIN)/python -c 'import hopqa.demo as d; print(d.demo_question())')"
	$(BIN)/hopqa eval --demo --index demo --compare
	$(BIN)/hopqa eval hopqa/data/demo/questions_comparison.jsonl --index demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python eval/benchmark.py

# Synthetic 10k / 100k / 1M-passage corpora through `hopqa index build` (hashing encoder), serving and ANN recall
bench-scale: $(STAMP)
	$(BIN)/python eval/bench_scale.py

clean:
	rm -rf $(VENV) build *.egg-info
