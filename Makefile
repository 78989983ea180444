# drane-analysis — the two commands of the quick start are `make observatory` and `make test`.
# `make help` lists every target.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := data/demo
OUT    := outputs
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := help
.PHONY: help env env-core bytecode observatory demo-data build test test-fast lint lab kernel docs clean lock lowest

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Two environments from two lock files (requirements/, made by `make lock`), both installed with
# pip --require-hashes, then the project itself in editable mode without dependencies:
# - the core (requirements/runtime.txt): builds, `drane`, papermill; what `make observatory`,
#   `make demo-data` and `make lab` need (make lab adds JupyterLab, the [lab] extra);
# - development (requirements/dev.txt): the core, every extra ([lab], [cluster]) and the test
#   and documentation tools; what `make test`, `lint` and `docs` need. It includes the core.
env: $(VENV)/.installed ## create the development environment (core, extras, test tools; once)

env-core: $(VENV)/.core ## create the core environment only (builds, drane, papermill; no tests, no JupyterLab, no Dask)

$(VENV)/.venv-created:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ introuvable : installez-le ou lancez make PYTHON=python3.x"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.core: pyproject.toml requirements/runtime.txt | $(VENV)/.venv-created
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed: pyproject.toml requirements/dev.txt | $(VENV)/.venv-created
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.core

# The library's compiled bytecode, written beside its sources: an editable install has none,
# and where Python is told not to write it (PYTHONDONTWRITEBYTECODE) every `drane` command,
# kernel and test would compile the whole package again (0.4 s of each start). Only what
# changed is compiled again.
bytecode: $(VENV)/.core ## compile the library's bytecode (faster starts)
	@$(BIN)/python -m compileall -q src/drane_analysis

$(DEMO)/.drane-demo.json: | $(VENV)/.core
	$(BIN)/drane demo-data --out $(DEMO)

demo-data: $(VENV)/.core $(DEMO)/.drane-demo.json ## generate the demo data (if missing) into data/demo

observatory: $(VENV)/.core bytecode $(DEMO)/.drane-demo.json ## build every report of the latest school year into outputs/
	$(BIN)/drane build --data $(DEMO) --out $(OUT) --jobs $(JOBS)

build: observatory

test: $(VENV)/.installed bytecode ## run the whole test suite
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

test-fast: $(VENV)/.installed bytecode ## unit tests only (seconds)
	$(BIN)/python -m pytest tests/unit -q

lint: $(VENV)/.installed ## ruff
	$(BIN)/ruff check src tests benchmarks

# The project's kernel: "python3" (the name every notebook and papermill use) registered inside
# the environment, pointing at its Python; JUPYTER_PATH puts it before any python3 kernel of the
# user's own (~/.local/share/jupyter), so the notebooks always run with the project's libraries.
JUPYTER_ENV := JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter
LAB_ARGS ?=
ROOT_ARGS := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

kernel: $(VENV)/.core ## register the project's Jupyter kernel (python3) in the environment
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (drane-analysis)" >/dev/null
	@$(JUPYTER_ENV) $(BIN)/jupyter kernelspec list

# JupyterLab is the [lab] extra: in a core environment it is installed at the dev lock's versions.
$(VENV)/.lab: requirements/dev.txt | $(VENV)/.core
	test -x $(BIN)/jupyter-lab || { sed -n 's/^\([A-Za-z0-9_.-]*==[^ ]*\).*/\1/p' requirements/dev.txt > $(VENV)/dev-pins.txt \
		&& $(BIN)/python -m pip install --quiet -c $(VENV)/dev-pins.txt -e ".[lab]"; }
	@touch $@

lab: $(VENV)/.lab kernel $(DEMO)/.drane-demo.json ## open JupyterLab on the notebooks with the project's kernel (installs the [lab] extra)
	$(JUPYTER_ENV) $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_ARGS) $(LAB_ARGS)

docs: $(VENV)/.installed ## API reference from the docstrings → docs/reference/index.html
	rm -rf docs/reference
	$(BIN)/pdoc --docformat google --no-show-source --footer-text "drane-analysis" -o docs/reference drane_analysis
	@echo "Référence : docs/reference/index.html"

# The two lock files, resolved by uv from pyproject.toml for Python 3.11 (any 3.11.x) on Linux x86_64
# (manylinux_2_28 wheels: glibc 2.28 or later), every file's hash included. The dev lock is
# resolved under the runtime lock's pins: the core has the same versions in both. Versions
# already pinned are kept where pyproject.toml allows; `make lock UPGRADE=1` takes the newest.
LOCK_ARGS = --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--no-header $(if $(UPGRADE),--upgrade)
# $(call lock_header,FILE,WHAT): put the file's header above what uv wrote (no comma in WHAT).
lock_header = { printf '%s\n' "\# $(1): $(2)" \
	"\# Every package pinned with the SHA-256 of each of its files; resolved by uv from pyproject.toml" \
	"\# for Python 3.11 (any 3.11.x) on Linux x86_64 (glibc 2.28 or later). Made by make lock: do not" \
	"\# edit. Install: pip install --require-hashes -r $(1) then pip install --no-deps -e ." ; \
	cat $(1); } > $(1).tmp && mv $(1).tmp $(1)

lock: $(VENV)/.installed ## regenerate requirements/runtime.txt and requirements/dev.txt (uv, with hashes)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_ARGS) -o requirements/runtime.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements/runtime.txt $(LOCK_ARGS) -o requirements/dev.txt
	@$(call lock_header,requirements/runtime.txt,the core install (no extra) - builds and drane and papermill)
	@$(call lock_header,requirements/dev.txt,development - the core and the [lab] and [cluster] extras and the test and doc tools)

# The lower bounds of pyproject.toml, checked by hand and not in CI (the locks are what CI tests):
# the lowest versions they allow of every direct dependency (uv, --resolution lowest-direct)
# installed in .venv-lowest/, then the unit tests.
LOWEST := .venv-lowest
lowest: $(VENV)/.installed ## install the lowest versions pyproject.toml allows into .venv-lowest/ and run the unit tests
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(PYTHON) $(LOWEST)
	$(BIN)/uv pip compile pyproject.toml --extra dev --resolution lowest-direct --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --quiet --no-header -o $(LOWEST)/requirements.txt
	VIRTUAL_ENV=$(LOWEST) $(BIN)/uv pip install --quiet -r $(LOWEST)/requirements.txt
	VIRTUAL_ENV=$(LOWEST) $(BIN)/uv pip install --quiet --no-deps -e .
	$(LOWEST)/bin/python -m pytest tests/unit -q -p no:cacheprovider

clean: ## remove generated outputs and caches (not the environment)
	rm -rf $(OUT)/* $(OUT)/.generations $(OUT)/.staging data/cache
