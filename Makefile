# The README's commands. Each target sets itself up: a virtual environment on
# the machine's Python with the locked dependencies (uv, from uv.lock).
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.8
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run test lint bench serve clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/eea run

test: setup
	scripts/ensure_chromium.sh
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/python -m bench.run

# A local Prefect server (SQLite, in data/.prefect), a process worker, and the deployments of prefect.yaml.
serve: setup
	scripts/serve.sh

clean:
	rm -rf $(VENV) $(TOOLS) data
