# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/traceapi demo

# Installs Neo4j's Cypher linter (tools/cypher-lint) where npm is and node_modules is missing or
# older than the lockfile; without it (offline, no Node) the lint tests skip and the rest runs.
test: $(STAMP)
	@cd tools/cypher-lint && if command -v npm >/dev/null 2>&1 \
	  && ! [ node_modules/.package-lock.json -nt package-lock.json ]; then \
	  npm ci --prefer-offline --fetch-retries=0 --fetch-timeout=60000 --no-audit --no-fund \
	  --loglevel=error \
	  || echo "cypher lint: npm ci failed in tools/cypher-lint; its tests will skip"; fi
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check traceapi loaders tests bench
	$(BIN)/ruff format --check traceapi loaders tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/trace_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
