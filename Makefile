# Tocsin — two commands matter: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test deps venv bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	bash packaging/system-deps.sh
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv deps: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tocsin demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(VENV)/bin/tocsin bench engine

clean:
	rm -rf $(VENV) build *.egg-info
