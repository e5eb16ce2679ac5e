# Two entry points: `make demo` and `make test`. Both create their own
# virtualenvs from the pinned requirements on first use.
# Python 3.11 and 3.13 are looked for on PATH, then under pyenv
# (tools/find_python.sh); name them with PY311=... or PY313=....
SHELL := /bin/bash
PY311 ?=
PY313 ?=
VENV := .venv
VENV313 := .venv313
# The OpenIO SDS release the demo's simulated namespace answers as.
RELEASE ?= 7.3.0

.PHONY: demo test test-311 test-313 unit venv venv313 bench clean runtime

venv: $(VENV)/.installed
venv313: $(VENV313)/.installed

$(VENV)/.installed: requirements/py311.txt
	bash tools/venv.sh $(VENV) 3.11 requirements/py311.txt $(PY311)

$(VENV313)/.installed: requirements/py313.txt
	bash tools/venv.sh $(VENV313) 3.13 requirements/py313.txt $(PY313)

## demo: start a simulated namespace, bootstrap it with the playbooks, audit it
## (make demo RELEASE=2026.14: the namespace answers as OpenIO SDS 2026.14)
demo: venv
	bash tools/demo.sh $(VENV) $(RELEASE)

## test: everything CI runs, on Python 3.11 + ansible-core 2.19 and Python 3.13
## + newest core, then the README's commands; every stage runs, a summary
## table ends the output, and the exit status is 1 if any stage failed.
test:
	bash tools/test.sh 3.11 3.13

## unit: the inner loop (under a minute): unit tests, the modules' own tests
## but their slow lifecycles, the simulator's own tests and the conformance
## replay of both releases (tests/library and
## tests/integration talk to simulators through the library and Ansible)
unit: venv
	$(VENV)/bin/python -m pytest -p no:cacheprovider -n auto -q -m "not slow" tests/unit tests/simulator tests/conformance

test-311:
	bash tools/test.sh 3.11

test-313:
	bash tools/test.sh 3.13

bench: venv
	bash tools/bench.sh $(VENV)

runtime: venv
	$(VENV)/bin/python tools/update_runtime.py

## clean: build outputs, including ansible-test's virtualenvs (build/ansible-test-home)
clean:
	rm -rf build tests/output .pytest_cache
