# `make run`: install into .venv and run the main experiment on its defaults.
# `make test`: install into .venv (with the test extra) and run the whole test suite (listing its 25 slowest tests).
# `make docs`: install the docs extra and build the site into docs/_build/html (warnings are errors; the gallery runs),
# then check its internal links (no network).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test docs bench figures clean

$(BIN)/hippo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

run: $(BIN)/hippo
	$(BIN)/hippo run path-integration

test: $(BIN)/hippo
	$(BIN)/python -m pytest -q --durations=25

$(BIN)/sphinx-build: pyproject.toml $(BIN)/hippo
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $@

docs: $(BIN)/sphinx-build
	rm -rf docs/api/generated docs/auto_gallery  # from the package as it is now (no page of a module that moved), every example run again
	$(BIN)/python -m sphinx -W --keep-going -b html -d docs/_build/doctrees docs docs/_build/html
	$(BIN)/python -m sphinx -W --keep-going -b linkcheck -d docs/_build/doctrees docs docs/_build/linkcheck

bench: $(BIN)/hippo
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

figures: $(BIN)/hippo
	$(BIN)/python figures/make_figures.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build docs/api/generated docs/auto_gallery docs/sg_execution_times.rst
