# Two commands on a fresh machine:
#   make run    install (once) and run the workflow on the embedded digits dataset
#   make test   install (once) and run the test suite (what CI runs)
PYTHON ?= python3
CORES ?= 2
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run report test test-fast docs lint clean bench bench-dec bench-variants bench-som bench-contrastive bench-isa browser

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || \
	  { echo "python3-venv missing: installing it with apt-get"; \
	    apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# the library deepclust/ as an installed (editable) package: rule scripts, the Snakefile,
	# tests and bench import it from any folder (its dependencies are the pins above)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(STAMP)

run: install
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report results/report.html

report: install
	$(BIN)/snakemake --report results/report.html

# three processes (pytest-xdist) on two cores, each taking whole test files, the workflow's
# files first (tests/conftest.py orders them): a third keeps both cores busy while one
# process waits (SLURM polling, a shared run being made, subprocess start-ups)
test: install browser
	$(BIN)/python -m pytest -q -rs --durations=25 -n 3 --dist loadfile --no-loadscope-reorder

# the unit tier: every test not marked `workflow`, no Snakemake run (conftest refuses one)
test-fast: install browser
	DEEPCLUST_FAST_TESTS=1 $(BIN)/python -m pytest -q -rs -m "not workflow" -n 2

# Debian's chromium for the report test (tests/test_report_browser.py drives it with
# Playwright, pinned in requirements.txt; Playwright cannot download its own browser here).
# Without apt-get the test skips and says why.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium with apt-get (for the report test)"; \
	    SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	  else echo "no apt-get: tests/test_report_browser.py will skip"; fi; \
	fi

# the documentation site (docs/, mkdocs.yml) into site/; --strict: a broken link, a missing
# page or a failing generated table fails the build
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# snakemake --lint (workflow best practices), snakefmt (the Snakefile and rules/*.smk are
# formatted), ruff (pycodestyle, pyflakes, bugbear; settings in pyproject.toml)
lint: install
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules/
	$(BIN)/ruff check deepclust scripts tests bench

clean:
	rm -rf results .snakemake site

# The benchmark (docs/benchmark.md): N2D on MNIST-test (5 seeds, and variants) and the IMDB
# recipe, from ../shared/data through the download rule; writes bench/results.json and
# bench/RESULTS.md. bench-dec (after bench) adds DEC and IDEC on bench's autoencoders.
bench: install
	$(BIN)/python bench/run_benchmark.py --cores $(CORES) --command bench

bench-dec: install
	$(BIN)/python bench/run_benchmark.py --cores $(CORES) --command bench-dec --keep-workdir --merge

# Self-organising maps and the contrastive encoder: MNIST-test, USPS, Amazon items
bench-variants: install
	$(BIN)/python bench/run_benchmark.py --cores $(CORES) --command bench-variants --keep-workdir --merge

bench-som: install
	$(BIN)/python bench/run_benchmark.py --cores $(CORES) --command bench-som --keep-workdir --merge

bench-contrastive: install
	$(BIN)/python bench/run_benchmark.py --cores $(CORES) --command bench-contrastive \
	  --keep-workdir --merge

# How much N2D on digits moves with TensorFlow's CPU kernels (oneDNN instruction-set caps,
# seeds 0-4): bench/isa_spread.json, ISA_SPREAD.md
bench-isa: install
	$(BIN)/python bench/isa_spread.py --cores $(CORES)
