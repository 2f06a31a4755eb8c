"""The sample envelopes in events/: one per task function of the order-processing example, all decodable."""

from __future__ import annotations

import json

import pytest

from heaviside.runtime import envelope as envelopes
from heaviside.runtime.stores.base import definition_digest
from heaviside.template import load_template
from tests.macro_support import REPO

EVENTS = REPO / "events"
EXAMPLE = REPO / "examples" / "order-processing"
SAMPLES = sorted(EVENTS.glob("*.json"))


def example_task_functions() -> set[str]:
    resources = load_template(EXAMPLE / "template.yaml")["Resources"]
    return {name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"}


def test_one_sample_per_task_function():
    # After a change to the example's functions, run python events/generate.py.
    assert {path.stem for path in SAMPLES} == example_task_functions()


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_sample_decodes(path):
    context, effective_input = envelopes.decode(json.loads(path.read_text()))
    assert context.state_machine_name == "order-processing"
    assert effective_input is not None
    stored = EVENTS / "definitions" / f"{context.definition_digest}.json"
    assert stored.is_file()
    assert definition_digest(stored.read_text()) == context.definition_digest


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.stem)
def test_sample_targets_its_function(path):
    context, _ = envelopes.decode(json.loads(path.read_text()))
    definition = (EVENTS / "definitions" / f"{context.definition_digest}.json").read_text()
    state = context.cursor["s"]
    assert f'"{state}"' in definition
    assert f"function:{path.stem}" in definition


def test_client_context_of_sample():
    from events.generate import client_context

    text = client_context(json.loads((EVENTS / "ChargePaymentFunction.json").read_text()))
    assert len(text) <= 3583


def test_generator_writes_same_files(tmp_path, monkeypatch):
    """The committed samples are what events/generate.py writes for the current example."""
    from events.generate import main

    monkeypatch.setenv("PAYMENT_FAILURE_RATE", "0")
    assert main(["--out", str(tmp_path)]) == 0
    for path in SAMPLES:
        stale = f"{path.name} is out of date with the example; run python events/generate.py"
        assert json.loads((tmp_path / path.name).read_text()) == json.loads(path.read_text()), stale
    assert sorted(p.name for p in (tmp_path / "definitions").iterdir()) == sorted(
        p.name for p in (EVENTS / "definitions").iterdir()
    )
