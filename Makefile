# Two commands set everything up on a fresh machine:
#   make demo   creates .venv, installs, validates, scores and builds the bundled examples into outputs/,
#               then the county bundle of inputs/ with inputs/county/章贡区-evaluation.yaml
#   make test   creates .venv if needed, installs dev dependencies and runs the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean bytecode serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Bytecode for our own modules: an editable install does not compile them, and where PYTHONDONTWRITEBYTECODE
# is set every run would compile them again (~20 ms of each command). Quick when nothing changed.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q wufei_docs

demo: $(STAMP) bytecode
	$(BIN)/wufei validate inputs/*.yaml
	$(BIN)/wufei score inputs/赣州稀土新材料.yaml
	$(BIN)/wufei score inputs/南康家具制造.yaml
	$(BIN)/wufei build inputs/赣州稀土新材料.yaml -o outputs/赣州稀土新材料 $$(command -v soffice >/dev/null 2>&1 && echo --pdf)
	$(BIN)/wufei build inputs/南康家具制造.yaml -o outputs/南康家具制造 $$(command -v soffice >/dev/null 2>&1 && echo --pdf)
	$(BIN)/wufei bundle inputs --evaluation inputs/county/章贡区-evaluation.yaml -o outputs/章贡区推荐材料
	@echo "演示完成：申报材料在 outputs/ 下，县级推荐材料在 outputs/章贡区推荐材料/（及 .zip）。"

# the web app on this machine (opens the browser; workspace ./wufei-workspace)
serve: $(STAMP) bytecode
	$(BIN)/wufei serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check wufei_docs tests
	$(BIN)/ruff format --check wufei_docs tests
	$(BIN)/mypy wufei_docs

bench: $(STAMP) bytecode
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/bundle_vs_naive.py
	$(BIN)/python bench/rebundle.py
	$(BIN)/python bench/pdf_batch.py
	$(BIN)/python bench/serve_rescore.py
	$(BIN)/python bench/serve_pdf.py
	$(BIN)/python bench/serve_rebundle.py
	$(BIN)/python bench/evidence_pdf.py

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache
