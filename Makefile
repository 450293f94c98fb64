# odnb: `make demo` renders the KPI report for the embedded demo practice; `make test` runs every test.
# Both set everything up first (a virtualenv in .venv with odnb and its test tools).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install git-filter kernel-charts demo test lint nbval bench lab shell clean

install: $(STAMP) git-filter kernel-charts

# Notebooks are stored in git without outputs (they can hold patient data): nbstripout as a clean filter in
# this clone's own .git/config; .gitattributes routes every *.ipynb through it.
git-filter: $(STAMP)
	@$(BIN)/python -m odnb.lab install-git-filter .

# Every kernel of this virtualenv draws Altair charts without the internet (odnb.reports.charts).
kernel-charts: $(STAMP)
	@mkdir -p $(VENV)/etc/ipython
	@printf '%s\n' "# written by make install: offline Altair charts in every kernel of this virtualenv" \
	  'c.InteractiveShellApp.extensions = ["odnb.reports.charts"]' > $(VENV)/etc/ipython/ipython_kernel_config.py

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "odnb needs Python 3.11 or newer: run make PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (odnb)" >/dev/null
	@touch $(STAMP)

demo: install
	$(BIN)/odnb report practice_kpis --profile demo
	@echo "Run odnb yourself as $(BIN)/odnb (e.g. $(BIN)/odnb --help), or run make shell (or source $(BIN)/activate) first and then just odnb."

# Two workers, each taking whole files (a file's module fixtures are set up once), longest files first
# (tests/conftest.py): the suite takes about half as long on two cores. TEST_WORKERS=0 runs it in one process.
# The 15 slowest tests are listed at the end, so a slow new test shows itself.
TEST_WORKERS ?= 2
test: install lint
	$(BIN)/python -m pytest --durations=15 \
	  $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/kpis.py

# JupyterLab with .jupyter/jupyter_server_config.py: notebooks saved in the repository lose their outputs.
# --allow-root only when run as root (containers, CI machines).
lab: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[lab]'
	@echo "In a terminal, run odnb as $(BIN)/odnb (or make shell, then odnb). Stop JupyterLab with Ctrl-C."
	$(BIN)/jupyter lab --config=.jupyter/jupyter_server_config.py $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/

# A shell with the virtualenv active, so `odnb ...` works as a plain command; exit to leave it.
shell: install
	@echo "odnb is on PATH in this shell (type exit to leave)."
	@VIRTUAL_ENV="$(CURDIR)/$(VENV)" PATH="$(CURDIR)/$(BIN):$$PATH" $${SHELL:-/bin/sh} -i

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
