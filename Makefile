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

# Installable console (Linux x86-64 here): PyInstaller onedir bundle in dist/tocsin/, the
# tarball/AppDir layout next to it, then the frozen-build smoke test.  See docs/deployment.md.
.PHONY: package
PACKAGE_WORK := build/pyinstaller

package: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,package]'
	QT_QPA_PLATFORM=offscreen $(PY) packaging/make_icons.py build/icons
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath $(PACKAGE_WORK) packaging/tocsin.spec
	bash packaging/build_layout.sh
	QT_QPA_PLATFORM=offscreen $(PY) packaging/smoke_test.py
