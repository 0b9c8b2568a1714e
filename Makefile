# Two entry points, both self-contained on a fresh machine:
#   make demo  — set everything up, then run the live demo (reference comment
#                service + traffic + the daemon) on localhost
#   make test  — set everything up, then run the whole test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := redis-server

.PHONY: demo test system-deps scan-sample bench eval clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

demo: $(STAMP)
	$(VENV)/bin/commentwatch demo

test: system-deps $(STAMP)
	$(PY) -m pytest -q

scan-sample: $(STAMP)
	$(VENV)/bin/commentwatch scan commentwatch/data/labelled/test.jsonl

bench: $(STAMP)
	$(VENV)/bin/commentwatch bench

eval: $(STAMP)
	$(VENV)/bin/commentwatch eval commentwatch/data/labelled/test.jsonl

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
