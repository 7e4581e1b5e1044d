# hetero — two commands: `make demo` and `make test`.
# Both create .venv (or reuse it while it is newer than pyproject.toml) and install hetero into it.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hetero-installed

.PHONY: install demo test bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	$(PY) -m pip check
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) -m hetero demo

test: install
	$(PY) -m pytest -q

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
