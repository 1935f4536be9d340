# `make run`: install into .venv and run the main experiment on its defaults.
# `make test`: install into .venv (with the test extra) and run the whole test suite (listing its 25 slowest tests).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test bench figures clean

$(BIN)/hippo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

run: $(BIN)/hippo
	$(BIN)/hippo run path-integration

test: $(BIN)/hippo
	$(BIN)/python -m pytest -q --durations=25

bench: $(BIN)/hippo
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

figures: $(BIN)/hippo
	$(BIN)/python figures/make_figures.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
