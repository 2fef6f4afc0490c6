# Two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/article-annotator $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_article.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_corpus.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_export.py --quick
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_corpus_edit.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_window_edit.py

clean:
	rm -rf $(VENV) build *.egg-info
