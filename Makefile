# Quick start: `make run` serves the app, `make test` runs the suite. Both create .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-fast install install-test index bench evals clean help

help:
	@echo "make run    - install, build the knowledge index, serve http://127.0.0.1:7860"
	@echo "make test   - install test extras and run the test suite"
	@echo "make test-fast - the fast tier: no model loaded, no browser or servers (about a minute)"
	@echo "make bench  - run the benchmarks under bench/"
	@echo "make evals  - grade the dev split against evals/baseline.json, then the interviewer eval (gated)"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

index: install
	$(VENV)/bin/interviewer ingest

run: index
	$(PY) app.py

test: install-test
	INTERVIEWER_TORCH_THREADS=1 $(PY) -m pytest $(PYTEST_ARGS)

test-fast: install-test
	INTERVIEWER_TORCH_THREADS=1 $(PY) -m pytest -m "not slow and not model" $(PYTEST_ARGS)

bench: install-test
	mkdir -p bench/results
	$(PY) bench/bench_retrieval.py --out bench/results/retrieval.json
	$(PY) bench/bench_grading.py --json > bench/results/grading.json
	$(PY) bench/bench_engine.py --json > bench/results/engine.json
	$(PY) bench/bench_executor.py --json > bench/results/executor.json
	$(PY) bench/bench_ui.py --users 20 --questions 2 --out bench/results/ui.json
	$(PY) bench/bench_session_state.py > bench/results/session_state.json

evals: install-test
	$(PY) -m evals run --dataset evals/data/dev.jsonl --grader offline --out /tmp/interviewer-eval-dev.json --baseline evals/baseline.json
	$(PY) -m evals.interviewer --runs-per-type 9 --questions 12 --out /tmp/interviewer-eval-interviewer.json --gate

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
