"""The sample orders give the same outcome through the Lambda path as in-process.

Through the Lambda path, the invoker starts each execution, every Task is an
asynchronous invoke of the decorated handler on the local Lambda endpoint,
and joins and execution records live on a moto server on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("heaviside.runtime.testing", reason="heaviside.runtime.testing is not available")

from heaviside.testing import run_state_machine  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent
TEMPLATE = EXAMPLE / "template.yaml"


@pytest.mark.parametrize("event", ["order.json", "order-card-declined.json", "order-out-of-stock.json"])
def test_same_outcome_through_lambda(event):
    execution_input = json.loads((EXAMPLE / "events" / event).read_text())

    in_process = run_state_machine(TEMPLATE, execution_input)
    through_lambda = run_state_machine(TEMPLATE, execution_input, through="lambda")

    assert through_lambda.status == in_process.status
    assert through_lambda.output == in_process.output
    assert through_lambda.error == in_process.error
    if in_process.cause is not None:
        # The cause is the Lambda error payload; request ids and stack traces differ.
        assert json.loads(through_lambda.cause)["errorMessage"] == json.loads(in_process.cause)["errorMessage"]


def test_mocked_retries_through_lambda():
    execution_input = json.loads((EXAMPLE / "events" / "order.json").read_text())
    timeout = {"Throw": {"Error": "PaymentProviderUnavailable", "Cause": "timed out"}}
    charge = {"Return": {"chargeId": "ch_mocked", "amountCents": 19340, "currency": "EUR", "attempts": 3}}

    result = run_state_machine(
        TEMPLATE, execution_input, mocks={"ChargePayment": {"0-1": timeout, "2": charge}}, through="lambda"
    )

    result.assert_succeeded()
    assert result.output["chargeId"] == "ch_mocked"
