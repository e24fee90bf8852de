# Violence Response Workbench: the two commands are `make report` and `make test`.
# Needs only python3 (>= 3.11) and make; everything else goes into .venv.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PARAMS ?= parameters/demo.yaml
OUT    ?= reports/demo
JOBS   ?= 2

.PHONY: report test install bench synth-demo clean

## report: create .venv, install, generate the demo city, run the full report, print reports/demo/index.html
report: $(STAMP)
	$(PY) -m workbench report --params $(PARAMS) --out $(OUT)

## test: create .venv if needed and run the whole test suite
test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	$(PY) -m workbench kernel --install
	$(PY) -c "from workbench.spatial._knox_kernel import precompile; precompile()"  # numba's disk cache
	touch $(STAMP)

synth-demo: $(STAMP)
	$(PY) -m workbench synth --scale demo --seed 20261125 --out data/demo

## bench: speed and memory figures, written to benchmarks/results.json (benchmarks/run.py; one entry:
## `$(PY) benchmarks/run.py --only NAME`). Adds the peer packages (the `bench` extra) to .venv.
bench: $(VENV)/.bench-installed
	$(PY) benchmarks/run.py

$(VENV)/.bench-installed: $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

clean:
	rm -rf $(VENV) .venv-bench reports/demo reports/_failed data/demo data/tiny
