# The two commands of the README: `make demo` and `make test`. Both create the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint audit clean chromium

$(BIN)/fluorowatch: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/fluorowatch
	$(BIN)/fluorowatch demo

# The dashboard's end-to-end tests (tests/e2e) drive Debian's chromium; playwright downloads no browser.
chromium:
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; }

test: $(BIN)/fluorowatch chromium
	$(BIN)/pytest

lint: $(BIN)/fluorowatch
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tests
	@$(MAKE) --no-print-directory audit

# Dependency audit: pip-audit (PyPA) looks every installed package (the project itself aside) up in PyPI's
# vulnerability data (OSV's, served by PyPI's JSON API); a known vulnerability fails the lint. Fix one by raising
# the package's floor in pyproject.toml to a fixed release; where no fixed release exists, add `--ignore-vuln ID`
# to the command with the reason here. Ignored now: none. The audit needs PyPI's per-release JSON API
# (https://pypi.org/pypi/NAME/VERSION/json): where that cannot be reached (offline, or egress that filters it)
# it says so and is skipped instead of failing the lint.
AUDIT_PROBE := import importlib.metadata as m, urllib.request as u; \
	u.urlopen("https://pypi.org/pypi/pip/" + m.version("pip") + "/json", timeout=15)

audit: $(BIN)/fluorowatch
	@if $(BIN)/python -c '$(AUDIT_PROBE)' 2>/dev/null; then \
		$(BIN)/pip-audit --strict --progress-spinner off --skip-editable; \
	else \
		echo "pip-audit: SKIPPED, PyPI's JSON API (pypi.org/pypi/NAME/VERSION/json) cannot be reached from here"; \
	fi

clean:
	rm -rf $(VENV) .fluorowatch .pytest_cache .mypy_cache .ruff_cache
