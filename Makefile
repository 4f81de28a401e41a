# flowc: two commands on a fresh Debian machine with Python 3.11 (as root):
#   make demo   # creates .venv, installs flowc, compiles/draws the seed flow and runs it offline
#   make test   # creates .venv, installs flowc with its test extras and OS packages, runs the suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: demo test venv deps docker lint bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dask,s3]'
	touch $(STAMP)

venv: $(STAMP)

# OS packages: Graphviz's `dot` draws the DAG pictures.
deps:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing graphviz (the 'dot' program)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }

# A Docker engine and an offline Python image for the Docker runner tests (never fails).
docker:
	@bash .ci/docker.sh

test: venv deps docker
	$(BIN)/ruff check compiler runtime tests bench
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check compiler runtime tests bench
	$(BIN)/ruff format --check compiler runtime tests bench

demo: venv deps
	$(BIN)/python -m runtime.demo --out $(OUT)

bench: venv deps
	$(BIN)/python bench/compile_bench.py
	$(BIN)/python bench/render_bench.py
	$(BIN)/python bench/graph_bench.py
	$(BIN)/python bench/runtime_bench.py
	$(BIN)/python bench/dask_bench.py

clean:
	rm -rf $(VENV) $(OUT) .flowc .pytest_cache
