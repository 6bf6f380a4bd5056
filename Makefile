# Digital-Human Studio. Quick start: `make demo`, then `make test`.
SHELL := /bin/bash
PY ?= python3
# uv from PyPI, run as a module so a fresh install is usable at once
UV := $(PY) -m uv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := ffmpeg espeak-ng fonts-wqy-microhei
# the browser tests drive Debian's Chromium with Playwright (never `playwright install`); the
# cluster tests run PostgreSQL and hosts in network namespaces (iproute2, util-linux's unshare)
TEST_APT_PACKAGES := chromium postgresql iproute2 util-linux
CLUSTER_APT_PACKAGES := postgresql
FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: demo test test-fast test-deps up cluster cluster-deps down deps venv lock clean bench-trust bench-voice bench-video bench-script bench-retrieval bench-landmarks

## System packages (ffmpeg, espeak-ng, a CJK font) and uv, only where missing.
deps:
	@if ! command -v ffmpeg >/dev/null || ! command -v espeak-ng >/dev/null || [ ! -f $(FONT) ]; then \
		echo "installing $(APT_PACKAGES) ..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi
	@if ! $(UV) --version >/dev/null 2>&1; then echo "installing uv ..."; $(PY) -m pip install -q uv || $(PY) -m pip install -q --user uv; fi

## The Python environment from the lock file (torch + torchaudio as a matching pair), compiled to
## bytecode once: where PYTHONDONTWRITEBYTECODE is set (CI), every process would compile torch,
## Prefect and the rest again (6 s and more each: every flow run is a process)
venv: deps
	@$(UV) sync --frozen --quiet --compile-bytecode

lock:
	$(UV) lock

## One whole production on the embedded defaults; prints the delivered MP4, verify and audit.
DEMO_LANGUAGE ?= zh
demo: venv
	$(UV) run --frozen studio demo --language $(DEMO_LANGUAGE)

test-deps: deps
	@if ! command -v chromium >/dev/null || [ ! -d /usr/lib/postgresql ] || ! command -v ip >/dev/null; then \
		echo "installing $(TEST_APT_PACKAGES) ..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_APT_PACKAGES) >/dev/null; \
	fi

## Every test, slow ones included (real Prefect server, real S3 server, real ffmpeg, Chromium).
test: venv test-deps
	$(UV) run --frozen pytest -q --durations=25

test-fast: venv
	$(UV) run --frozen pytest -q -m "not slow"

## Watermark robustness, false positives, quality and speed (prints a table).
bench-trust: venv
	$(UV) run --frozen python bench/trust.py

## The offline voice: real-time factor, speaker similarity, CER/WER (prints a table).
bench-voice: venv
	$(UV) run --frozen python bench/voice.py

## The offline video: real-time factor, lip sync, identity, smoothness, memory (prints a table).
bench-video: venv
	$(UV) run --frozen python -m bench.video

## Retrieval of the persona's own passages by words and by meaning, English and Chinese (prints a table).
bench-landmarks: venv
	$(UV) run --frozen python -m bench.landmarks

bench-retrieval: venv
	$(UV) run --frozen python bench/retrieval.py

## The script step: time per draft and revision, violations caught on adversarial cases (prints tables).
bench-script: venv
	$(UV) run --frozen python -m bench.script

## The studio for people: Prefect UI :4200, portal :8501, a sample production. Stop: make down
up: venv
	$(UV) run --frozen studio up

## The studio as a cluster on this machine: PostgreSQL, SeaweedFS (S3), Prefect on PostgreSQL, a
## Dask scheduler and WORKERS worker hosts (a Prefect worker and a Dask worker each). Stop: make down
WORKERS ?= 2
cluster: venv cluster-deps
	$(UV) run --frozen studio up --cluster --workers $(WORKERS)

cluster-deps: deps
	@if [ ! -d /usr/lib/postgresql ]; then \
		echo "installing $(CLUSTER_APT_PACKAGES) ..."; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(CLUSTER_APT_PACKAGES) >/dev/null; \
	fi

down:
	-$(UV) run --frozen studio down

clean: down
	rm -rf .studio
