"""Batches give the same outcome through the Lambda path as in-process.

The batches are cut to 20 records, because each record is a Lambda hop and
a join arrival on the moto server, which takes milliseconds each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("heaviside.runtime.testing", reason="heaviside.runtime.testing is not available")

from heaviside.testing import run_state_machine  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent
TEMPLATE = EXAMPLE / "template.yaml"


@pytest.mark.parametrize("event", ["batch-300.json", "batch-mostly-invalid.json"])
def test_same_outcome_through_lambda(event):
    batch = json.loads((EXAMPLE / "events" / event).read_text())
    batch["records"] = batch["records"][:20]

    in_process = run_state_machine(TEMPLATE, batch)
    through_lambda = run_state_machine(TEMPLATE, batch, through="lambda")

    assert through_lambda.status == in_process.status
    assert through_lambda.output == in_process.output
    assert through_lambda.error == in_process.error
    assert through_lambda.cause == in_process.cause
