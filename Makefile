# nasops.truenas developer entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTIONS := $(VENV)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/nasops/truenas
STAMP := $(VENV)/.installed
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
# Every tool keeps its state inside the checkout, never in ~/.ansible or ~/.cache (see
# scripts/tool-env.sh, which the scripts source).
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible
export XDG_CACHE_HOME := $(CURDIR)/.cache/xdg

.PHONY: help venv test unit integration playbooks sanity lint molecule demo sim bench docs build clean

help:
	@echo "make venv        create or refresh .venv with everything the project needs"
	@echo "make test        every test: pytest, playbooks, sanity, ansible-lint, molecule"
	@echo "make playbooks   run the shipped playbooks and every module's EXAMPLES on the simulator"
	@echo "make demo        build a Kubernetes VM cluster on the simulator, twice"
	@echo "make sim         run the simulator in the foreground; prints the TRUENAS_* export lines"
	@echo "                 (stops on Ctrl-C or when make exits; SIM_ARGS='--profile 26' for options)"
	@echo "make bench       benchmark against the simulator (prints ratios)"
	@echo "make docs        build the documentation site into docs/build"
	@echo "make build       build the collection tarball"

venv: $(STAMP) $(COLLECTION_LINK)

$(STAMP): test-requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r test-requirements.txt
	touch $(STAMP)

$(COLLECTION_LINK):
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn $(CURDIR) $(COLLECTION_LINK)

test: venv
	scripts/run-tests.sh

unit: venv
	$(BIN)/python -m pytest tests/unit

integration: venv
	$(BIN)/python -m pytest tests/integration

# The shipped playbooks with the example inventory, every module's EXAMPLES and the examples of the
# READMEs, on the simulator.
playbooks: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/integration/test_shipped_playbooks.py \
		tests/integration/test_examples.py tests/integration/test_doc_examples.py

sanity: venv
	scripts/sanity.sh

lint: venv
	$(BIN)/ansible-lint --profile production

molecule: venv
	cd roles/k8s_cluster_vms && $(CURDIR)/$(BIN)/molecule test --all

demo: venv
	scripts/demo.sh

# The parent of the simulator is make: it stops on Ctrl-C, and when make goes away.
sim: venv
	tests/simulator/truenas-sim --print-env --max-lifetime 0 $(SIM_ARGS)

bench: venv
	$(BIN)/python -m tests.bench

docs: venv
	scripts/docs.sh

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path .cache/build .

clean:
	rm -rf .cache tests/output .pytest_cache
