# The two commands of the README: `make demo` and `make test`. Both install what they need first.
PY := .venv/bin/python

.PHONY: install install-test demo test bench

install:
	@bash scripts/install.sh

install-test:
	@WITH_BROWSER=1 WITH_PIPER=1 WITH_RAY=1 WITH_ONNX=1 bash scripts/install.sh

demo: install
	$(PY) run_story.py data/stories/demo.md

test: install-test
	$(PY) -m pytest -n 2 -q

bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
