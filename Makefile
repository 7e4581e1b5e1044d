# hetero — two commands: `make demo` and `make test`.
# Both create .venv (or reuse it while it matches the lock) and install hetero into it with exactly the
# versions in requirements.lock, the set CI tests. `make lock` refreshes the lock from pyproject's ranges.

SHELL  := bash
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
LOCK   := requirements.lock
STAMP  := $(VENV)/.hetero-installed
PIP    := $(PY) -m pip --disable-pip-version-check
# what the lock covers: hetero with these extras (the test extra is what `make test` needs)
EXTRAS := test

.PHONY: install demo test fuzz bench lock clean-venv

# The stamp holds the lock's hash: a venv made from another lock is rebuilt from scratch, so nothing a
# previous lock installed lingers. After installing, every locked version must be the installed one.
$(STAMP): pyproject.toml $(LOCK)
	@if [ -d $(VENV) ] && [ "$$(cat $(STAMP) 2>/dev/null)" != "$$(sha256sum < $(LOCK))" ]; then \
	    echo "$(VENV) was not made from the current $(LOCK): rebuilding it"; rm -rf $(VENV); fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c $(LOCK) pip setuptools
	$(PIP) install --quiet --no-build-isolation -c $(LOCK) -e ".[$(EXTRAS)]"
	$(PIP) check
	@$(PIP) freeze --all --exclude-editable | sort -f > $(VENV)/.freeze
	@missing=$$(grep -v '^#' $(LOCK) | sort -f | comm -23 - $(VENV)/.freeze); \
	 extra=$$(grep -v '^#' $(LOCK) | sort -f | comm -13 - $(VENV)/.freeze); \
	 if [ -n "$$extra" ]; then echo "note: $(VENV) also has packages the lock does not list:" $$extra; fi; \
	 if [ -n "$$missing" ]; then echo "$(VENV) lacks these locked versions:" $$missing; \
	   echo "run 'make clean-venv' and try again, or 'make lock' if pyproject.toml changed"; exit 1; fi
	@sha256sum < $(LOCK) > $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m hetero demo

test: install
	$(PY) -m pytest -q

# The differential kernel fuzzer at length (the test suite runs 25 derandomized examples).
fuzz: install
	HETERO_FUZZ_EXAMPLES=2000 $(PY) -m pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Resolve pyproject's ranges afresh in a scratch venv (the newest compatible versions the index has),
# check them with pip, and write them to the lock. Run `make test` afterwards: CI tests what the lock says.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check ".[$(EXTRAS)]"
	.lock-venv/bin/python -m pip check
	{ echo "# Exact versions that 'make demo', 'make test' and CI install (pip constraints)."; \
	  echo "# Made by 'make lock' from pyproject.toml's ranges with hetero[$(EXTRAS)] on $$(.lock-venv/bin/python -c \
	    'import platform, sys; print(f"Python {sys.version.split()[0]}, {platform.system()} {platform.machine()}")')."; \
	  echo "# Do not edit by hand: change pyproject.toml and run 'make lock'."; \
	  .lock-venv/bin/python -m pip freeze --all --disable-pip-version-check --exclude hetero; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv
	@echo "wrote $(LOCK): $$(grep -vc '^#' $(LOCK)) packages"

clean-venv:
	rm -rf $(VENV)
