# gcnal: the two commands of the README, and the CI's wheel check.
#   make demo   set up .venv and run the active-learning demo (digits, no download)
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch; install it first so nothing pulls the CUDA wheels.
TORCH ?= torch==2.13.0
WHEEL_VENV ?= /tmp/gcnal-wheel-venv

.PHONY: setup demo test wheel-test clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[test,bench]"
	touch $@

demo: setup
	$(BIN)/gcnal demo --out demo_results

test: setup
	$(BIN)/python -m pytest -q

# Build the wheel with `python -m build`, install it into a fresh venv and run
# the library's tests against the installed copy (not the source tree).
wheel-test: setup
	rm -rf dist $(WHEEL_VENV)
	$(BIN)/pip install -q build
	$(BIN)/python -m build --wheel --outdir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q "$(TORCH)"
	$(WHEEL_VENV)/bin/pip install -q "$$(ls dist/gcnal-*.whl)[test]"
	cd /tmp && $(WHEEL_VENV)/bin/python -c "import gcnal, sys; assert 'site-packages' in gcnal.__file__, gcnal.__file__"
	cd /tmp && $(WHEEL_VENV)/bin/python -m pytest -q -p no:cacheprovider $(CURDIR)/tests --ignore=$(CURDIR)/tests/benchmarks

clean:
	rm -rf $(VENV) dist build *.egg-info demo_results
