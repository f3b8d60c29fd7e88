# gcnal: the two commands of the README, and the CI's wheel check.
#   make demo   set up .venv and run the active-learning demo (digits, no download)
#   make test   set up .venv and run the test suite (with a real Label Studio
#               server for tests/integrations, from make labelstudio-server)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch; install it first so nothing pulls the CUDA wheels.
TORCH ?= torch==2.13.0
WHEEL_VENV ?= /tmp/gcnal-wheel-venv
# The Label Studio server that tests/integrations starts, in its own venv so
# that its pinned dependencies never meet gcnal's.
LABEL_STUDIO ?= label-studio==1.23.2
LS_VENV ?= .venv-ls

.PHONY: setup demo test wheel-test labelstudio-server labelstudio-server-or-skip clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[test,bench,labelstudio]"
	touch $@

labelstudio-server: $(LS_VENV)/.installed

# --no-compile: its 11,000 modules' bytecode at install costs about two
# minutes; the server compiles the ones it imports when it first starts.
$(LS_VENV)/.installed:
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q --no-compile "$(LABEL_STUDIO)"
	touch $@

demo: setup
	$(BIN)/gcnal demo --out demo_results

# The two environments install side by side; where the server cannot be
# installed, its tests skip and say so.
test:
	$(MAKE) -j2 setup labelstudio-server-or-skip
	$(BIN)/python -m pytest -q

labelstudio-server-or-skip:
	$(MAKE) labelstudio-server || echo "make labelstudio-server failed: the Label Studio tests will skip"

# Build the wheel with `python -m build`, install it into a fresh venv and run
# the library's tests against the installed copy (not the source tree); the
# Label Studio tests ran against the source tree in make test.
wheel-test: setup
	rm -rf dist $(WHEEL_VENV)
	$(BIN)/pip install -q build
	$(BIN)/python -m build --wheel --outdir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q "$(TORCH)"
	$(WHEEL_VENV)/bin/pip install -q "$$(ls dist/gcnal-*.whl)[test]"
	cd /tmp && $(WHEEL_VENV)/bin/python -c "import gcnal, sys; assert 'site-packages' in gcnal.__file__, gcnal.__file__"
	cd /tmp && $(WHEEL_VENV)/bin/python -m pytest -q -p no:cacheprovider $(CURDIR)/tests --ignore=$(CURDIR)/tests/benchmarks \
		--ignore=$(CURDIR)/tests/integrations

clean:
	rm -rf $(VENV) $(LS_VENV) dist build *.egg-info demo_results
