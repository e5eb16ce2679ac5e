# Two entry points: `make demo` and `make test`. Both create their own
# virtualenvs from the pinned requirements on first use.
SHELL := /bin/bash
PYTHON ?= python3
PY313 ?= $(shell pyenv root 2>/dev/null || echo /root/.pyenv)/versions/3.13.0/bin/python3.13
VENV := .venv
VENV313 := .venv313

.PHONY: demo test test-311 test-313 venv venv313 sanity lint bench clean runtime

venv: $(VENV)/.installed
venv313: $(VENV313)/.installed

$(VENV)/.installed: requirements/py311.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/py311.txt
	touch $@

$(VENV313)/.installed: requirements/py313.txt
	$(PY313) -m venv $(VENV313)
	$(VENV313)/bin/pip install -q --disable-pip-version-check -r requirements/py313.txt
	touch $@

## demo: start a simulated namespace, bootstrap it with the playbooks, audit it
demo: venv
	bash tools/demo.sh $(VENV)

## test: everything CI runs, on Python 3.11 + ansible-core 2.19 and Python 3.13 + newest core
test: venv venv313
	bash tools/test.sh $(VENV) 3.11 full
	bash tools/test.sh $(VENV313) 3.13 core

test-311: venv
	bash tools/test.sh $(VENV) 3.11 full

test-313: venv313
	bash tools/test.sh $(VENV313) 3.13 core

bench: venv
	bash tools/bench.sh $(VENV)

runtime: venv
	$(VENV)/bin/python tools/update_runtime.py

clean:
	rm -rf build tests/output .pytest_cache
