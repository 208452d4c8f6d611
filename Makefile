# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/betaalhulp.tar.gz
# data/causes/ feeds the cause classifier (bot/causes/model.py), not Rasa: no retrain for it.
MODEL_INPUTS := config.yml $(shell find domain data -name '*.yml' -not -path 'data/causes/*' 2>/dev/null)
export RASA_TELEMETRY_ENABLED := false
export ACTIONS_PORT ?= 5055
export RASA_PORT ?= 5005

.PHONY: install run test train validate seed clean system-deps demo-followup a11y-deps

$(VENV)/.installed: requirements.txt constraints.txt
	@python310=$$(scripts/find_python310.sh) && \
	  { [ -x $(PY) ] || "$$python310" -m venv $(VENV); }
	# One resolver run with Rasa pinned: packages installed alone break Rasa's pins.
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip check
	touch $@

install: $(VENV)/.installed

# Rasa trains only when the config, domain or training data changed since the last model.
$(MODEL): $(VENV)/.installed $(MODEL_INPUTS)
	$(RASA) train --domain domain --data data --config config.yml --out models \
	  --fixed-model-name betaalhulp --quiet
	touch $@

train: $(MODEL)

seed: install
	$(PY) -m bot.store seed
	# Demo staff accounts for the console; passwords from the environment or printed once.
	$(PY) -m bot.console seed-demo-users

validate: install
	$(PY) -m pytest -q tests/test_training_data.py

# A year of follow-up for 300 simulated customers (numbers 9xxxxx) in the demo database, ending
# today, so the console's follow-up page and the outcomes dashboard have something to show.
demo-followup: seed
	$(PY) -m bot.followup simulate --customers 300 --months 12 --seed 7 --no-payment-links \
	  --start $$(date -d '12 months ago' +%F) \
	  --database "$$($(PY) -c 'from bot.config import settings; print(settings().database_url)')"

# scripts/run.sh migrates and seeds the demo data itself, so the tests that start it get the same.
run: install $(MODEL)
	scripts/run.sh

test: install system-deps $(MODEL) a11y-deps
	$(PY) -m pytest -q -p no:cacheprovider tests

# axe-core for the browser tests' accessibility scan, from the npm registry into a test-only folder.
a11y-deps: tests/a11y/node_modules/axe-core/axe.min.js
tests/a11y/node_modules/axe-core/axe.min.js: tests/a11y/package.json tests/a11y/package-lock.json
	npm ci --prefix tests/a11y --no-audit --no-fund
	touch $@

# Debian packages the tests use (zbar for QR decoding, chromium for browser tests); installs
# only what is missing.
system-deps:
	scripts/system_deps.sh

clean:
	rm -rf models results .rasa var
