# The two commands of README.md: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LOCK := requirements.lock
PG_VERSION = $(shell ls /etc/postgresql 2>/dev/null | head -n 1)

.PHONY: run test test-under-load install lock system-deps api-lint-deps pdf-deps postgres lint messages clean bench drills screenshots

run: install pdf-deps
	$(BIN)/weerbaar migrate
	$(BIN)/weerbaar demo
	$(BIN)/weerbaar serve

# The suite runs in one process per core (pytest-xdist; each process has its own throwaway database);
# TEST_WORKERS=0 runs it in this process, which is what a debugger wants.
TEST_WORKERS ?= auto
SUITE = $(BIN)/pytest -n $(TEST_WORKERS)

test: install system-deps api-lint-deps postgres lint
	$(SUITE) --db sqlite
	$(SUITE) --db postgres

install: $(INSTALLED)

# Everything is installed from requirements.lock (every package pinned, with its hashes); the project
# itself then without dependencies. `pip check` catches a lock that lags behind pyproject.toml.
$(INSTALLED): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@$(BIN)/pip check || { echo "pyproject.toml and $(LOCK) disagree: run make lock"; exit 1; }
	$(BIN)/pybabel compile --use-fuzzy -d locale -D messages
	touch $(INSTALLED)

# The one command to update requirements.lock, after changing a dependency in pyproject.toml. It keeps
# the pins that still fit; LOCK_ARGS="--upgrade-package NAME" (or "--upgrade") moves them on.
lock:
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@[ -x $(BIN)/pip-compile ] || $(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links --extra dev $(LOCK_ARGS) -o $(LOCK) pyproject.toml

# Debian packages, installed when missing (as root): the fonts WeasyPrint needs and HarfBuzz's subsetter
# (without it a PDF takes three times as long), and for the tests also Chromium.
PDF_PACKAGES_CHECK = \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0";
INSTALL_MISSING = \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "Missing Debian packages:$$missing (install them as root; browser tests skip without chromium)"; \
		fi; \
	fi

pdf-deps:
	@missing=""; $(PDF_PACKAGES_CHECK) $(INSTALL_MISSING)

system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	$(PDF_PACKAGES_CHECK) $(INSTALL_MISSING)

# Spectral, the linter of the NL GOV API Design Rules (tests/server/test_api_lint.py), from the npm
# registry into node_modules/ when missing; it runs offline with the ruleset in ../shared/api/.
SPECTRAL_VERSION = 6.16.3
api-lint-deps:
	@[ -x node_modules/.bin/spectral ] || npm install --no-save --no-audit --no-fund @stoplight/spectral-cli@$(SPECTRAL_VERSION)

# Start the local PostgreSQL cluster when it is installed but down (as on a fresh CI machine).
postgres:
	@if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1; then \
		if [ -n "$(PG_VERSION)" ] && [ "$$(id -u)" = 0 ]; then \
			pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start || true; \
		fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r server bookings feedback invoicing reporting -ll

# Extract the UI texts into locale/messages.pot and merge them into the catalogues.
messages: install
	$(BIN)/pybabel extract -k lazy_gettext --no-location --sort-output -F babel.cfg -o locale/messages.pot .
	$(BIN)/pybabel update -i locale/messages.pot -d locale -D messages --no-fuzzy-matching

# The load benchmark (README, Benchmarks), then the PDF benchmark when there is one. As root: installs
# Debian's wrk when missing and switches off the kernel's autogroup scheduling (README, Deploying).
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--db sqlite --seconds 10".
bench: install postgres
	@if ! command -v wrk >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing: wrk"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else \
			echo "Missing Debian package: wrk (install it as root)"; exit 2; \
		fi; \
	fi
	@if [ "$$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ] && [ "$$(id -u)" = 0 ]; then \
		echo "Switching off the kernel's autogroup scheduling (sysctl kernel.sched_autogroup_enabled=0; README, Deploying)"; \
		sysctl -qw kernel.sched_autogroup_enabled=0; \
	fi
	$(BIN)/python -m bench.load $(BENCH_ARGS)
	@if [ -f bench/pdf.py ]; then $(BIN)/python -m bench.pdf; fi

# Failure drills (README, Failure drills): PostgreSQL restarted under load and SIGKILL of the app, the
# worker and a batch issue, on a private PostgreSQL cluster (never the shared one). About 1.5 minutes;
# DRILLS="restart" or DRILLS="sigkill" runs one.
drills: install
	$(BIN)/python -m bench.drills $(DRILLS)

# The proof that the suite does not flake (docs/developer.md, Tests): the whole suite three times in a
# row on both databases while two busy loops keep both cores busy. In each round SQLite and PostgreSQL
# run side by side (more contention, and three rounds fit in a working session); each run's output is
# in var/under-load/; it stops after the first round with a failure.
test-under-load: install system-deps api-lint-deps postgres
	@mkdir -p var/under-load; \
	$(PYTHON) -c 'while True: pass' & first=$$!; $(PYTHON) -c 'while True: pass' & second=$$!; \
	trap 'kill $$first $$second' EXIT; \
	for run in 1 2 3; do \
		echo "== run $$run of 3 under load ($$(date -u +%H:%M:%S) UTC)"; \
		$(SUITE) --db sqlite > var/under-load/$$run-sqlite.log 2>&1 & sqlite=$$!; \
		$(SUITE) --db postgres > var/under-load/$$run-postgres.log 2>&1; postgres=$$?; \
		wait $$sqlite; sqlite=$$?; \
		tail -qn 1 var/under-load/$$run-sqlite.log var/under-load/$$run-postgres.log; \
		[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ] || exit 1; \
	done

# The user guides' pictures (docs/img), made by the browser tests from the demo data.
screenshots: install system-deps
	WEERBAAR_SCREENSHOTS=docs/img $(BIN)/pytest --db sqlite tests/e2e/test_screenshots.py

clean:
	rm -rf $(VENV) var
