# One entry point for users, CI and the book. Every target creates or reuses .venv.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch wheels: pinned to the versions this project is tested with; override for your CUDA/CPU build.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PYTEST_ARGS ?=

# The release tools live in a venv of their own: cffconvert pins jsonschema < 4, which Jupyter's packages refuse.
TOOLS := $(VENV)/release-tools/bin

.PHONY: venv test test-fast test-notebooks demo bench reference book book-test release-check clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e ".[test,book]"
	touch $@

$(TOOLS)/.installed:
	test -x $(TOOLS)/python || $(PY) -m venv $(VENV)/release-tools
	$(TOOLS)/python -m pip install -q --upgrade pip
	$(TOOLS)/python -m pip install -q "build>=1.2" "twine>=5" "cffconvert>=2"
	touch $@

venv: $(BIN)/.installed $(TOOLS)/.installed

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q --ignore=tests/browser -m "not notebook" --durations=12 $(PYTEST_ARGS)

# Every book page executed with small parameters (~12 min on 2 cores; CI runs it after make test). make book
# executes them again with the book's parameters.
test-notebooks: venv
	$(BIN)/python -m pytest -q tests/book -m notebook --durations=5 $(PYTEST_ARGS)

# The loop while you work (under a minute): the unit tier, everything but the tests marked integration
# (benchmark runs, the model zoo, hubs, dask) or slow (notebooks, reference re-runs, top-1).
test-fast: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q --ignore=tests/browser -m "not slow and not integration" $(PYTEST_ARGS)

demo: venv
	$(BIN)/python -m var.demo

bench: venv
	$(BIN)/python -m var.bench speed --model resnet50 --classes 4 16 --memory
	$(BIN)/python -m var.bench speed --model efficientnet_lite0 --classes 4 16

# The committed reference runs (hours on 2 cores; resumable: run it again after an interruption).
reference: venv
	$(BIN)/python -m var.bench reference

book: venv
	$(BIN)/python book/build.py

book-test: venv
	VAR_REQUIRE_BOOK=1 $(BIN)/python -m pytest -q tests/browser

# Only what a command rebuilds: the book's outputs and scratch runs under results/, never the committed
# reference runs (results/reference/, hours of compute; tests/report/test_reference.py reads them) nor their work files.
# What a release publishes, checked: the sdist and wheel build, twine accepts them, CITATION.cff validates.
# CI goes on to install the wheel in a fresh venv and run the quick start and a method page (.ci/wheel-install).
release-check: venv
	rm -rf dist
	$(TOOLS)/python -m build --outdir dist .
	$(TOOLS)/twine check --strict dist/*
	$(TOOLS)/cffconvert --validate -i CITATION.cff

clean:
	rm -rf book/_build book/chapters book/_vendor book/_toc.yml book/api/cli.md dist
	! test -d results || find results -mindepth 1 -maxdepth 1 ! -name reference -exec rm -rf {} +
