# drane-analysis — the two commands of the quick start are `make observatory` and `make test`.
# `make help` lists every target.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := data/demo
OUT    := outputs
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := help
.PHONY: help env bytecode observatory demo-data build test test-fast lint lab kernel docs clean lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

env: $(VENV)/.installed ## create the virtual environment (once)

$(VENV)/.installed: pyproject.toml requirements/lock.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ introuvable : installez-le ou lancez make PYTHON=python3.x"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e ".[dev]"
	@touch $@

# The library's compiled bytecode, written beside its sources: an editable install has none,
# and where Python is told not to write it (PYTHONDONTWRITEBYTECODE) every `drane` command,
# kernel and test would compile the whole package again (0.4 s of each start). Only what
# changed is compiled again.
bytecode: $(VENV)/.installed ## compile the library's bytecode (faster starts)
	@$(BIN)/python -m compileall -q src/drane_analysis

$(DEMO)/.drane-demo.json: | $(VENV)/.installed
	$(BIN)/drane demo-data --out $(DEMO)

demo-data: $(VENV)/.installed $(DEMO)/.drane-demo.json ## generate the demo data (if missing) into data/demo

observatory: $(VENV)/.installed bytecode $(DEMO)/.drane-demo.json ## build every report of the latest school year into outputs/
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

kernel: $(VENV)/.installed ## register the project's Jupyter kernel (python3) in the environment
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (drane-analysis)" >/dev/null
	@$(JUPYTER_ENV) $(BIN)/jupyter kernelspec list

lab: kernel $(DEMO)/.drane-demo.json ## open JupyterLab on the notebooks with the project's kernel
	$(JUPYTER_ENV) $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_ARGS) $(LAB_ARGS)

docs: $(VENV)/.installed ## API reference from the docstrings → docs/reference/index.html
	rm -rf docs/reference
	$(BIN)/pdoc --docformat google --no-show-source --footer-text "drane-analysis" -o docs/reference drane_analysis
	@echo "Référence : docs/reference/index.html"

lock: $(VENV)/.installed ## refresh requirements/lock.txt from the current environment
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements/lock.txt

clean: ## remove generated outputs and caches (not the environment)
	rm -rf $(OUT)/* $(OUT)/.generations $(OUT)/.staging data/cache
