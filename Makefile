# The two commands of the README: `make run` and `make test`. Each does its
# own setup, so a fresh machine with Python 3.11 and PyPI is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test clean

setup: $(STAMP)

# Reinstall only when the project metadata changed.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[cli,test]'
	touch $(STAMP)

# The main job: run the order-processing example from its template.yaml
# with the local runner, printing each transition and the result.
run: setup
	$(BIN)/heaviside run examples/order-processing/template.yaml \
		--input @examples/order-processing/events/order.json

test: setup
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) .heaviside build *.egg-info
