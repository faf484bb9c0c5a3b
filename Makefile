# The two set-up commands of the README:
#   make up    install (first time) and run one serving node on the embedded default
#   make test  install everything the tests need (first time) and run them
# Both are idempotent; later runs skip what is already installed.

VENV ?= .venv
PY := $(VENV)/bin/python
HOME_DIR ?= $(CURDIR)/.state

.PHONY: up test install system-deps lint benchmark readme-table

up: install
	APPLIANCE_HOME=$(HOME_DIR) $(VENV)/bin/appliance up

test: install system-deps
	$(VENV)/bin/pytest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(VENV); }
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

system-deps:
	bash .ci/system-deps

lint: install
	$(VENV)/bin/ruff check appliance serving modelrepo logviewer tests benchmarks

benchmark: install
	$(PY) benchmarks/serving_bench.py

readme-table: install
	$(PY) -m appliance.readme_table --write README.md

# The VM image: make image, make image-test, make packer-check (packer/README.md).
include packer/Makefile
