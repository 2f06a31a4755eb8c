"""`heaviside run TEMPLATE --through lambda`, run as a user runs it: the installed console script.

Each example must give the same outcome through the Lambda path as in-process.
Every run is a subprocess started in a temporary directory, so its execution
records stay there. A run through the Lambda path starts its own moto server
and Lambda endpoint, which takes a few seconds, so the inputs are small.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from heaviside.local.stores import SQLiteStore

REPO = Path(__file__).resolve().parent.parent
HEAVISIDE = Path(sys.executable).parent / "heaviside"
ORDER = REPO / "examples" / "order-processing"
IMPORT = REPO / "examples" / "transaction-import"
# Through the Lambda path, the delay queue polling and worker start-up
# dominate, so a small scale keeps the runs short without reaching timeouts.
TIME_SCALE = "0.01"

pytestmark = pytest.mark.skipif(not HEAVISIDE.exists(), reason=f"the console script {HEAVISIDE} is not installed")


def run_heaviside(cwd: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(HEAVISIDE), "run", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def small_import_batch(tmp_path: Path) -> Path:
    batch = json.loads((IMPORT / "events" / "batch-300.json").read_text())
    batch["records"] = batch["records"][:4]
    path = tmp_path / "batch-4.json"
    path.write_text(json.dumps(batch))
    return path


@pytest.mark.parametrize(
    "template, input_name, expected_status",
    [
        (ORDER / "template.yaml", "order.json", "SUCCEEDED"),
        (ORDER / "template.yaml", "order-invalid.json", "FAILED"),
        (IMPORT / "template.yaml", None, "SUCCEEDED"),
    ],
    ids=["order", "order-invalid", "transaction-import"],
)
def test_lambda_path_matches_inprocess(tmp_path, template, input_name, expected_status):
    input_path = template.parent / "events" / input_name if input_name else small_import_batch(tmp_path)
    arguments = [str(template), "--input", f"@{input_path}", "--time-scale", TIME_SCALE]

    inprocess = run_heaviside(tmp_path, *arguments)
    through_lambda = run_heaviside(tmp_path, *arguments, "--through", "lambda")

    expected_exit = 0 if expected_status == "SUCCEEDED" else 1
    assert inprocess.returncode == expected_exit, inprocess.stderr
    assert through_lambda.returncode == expected_exit, through_lambda.stderr
    outcome = json.loads(through_lambda.stdout)
    assert outcome["status"] == expected_status
    assert outcome == json.loads(inprocess.stdout)
    assert "through the local Lambda endpoint" in through_lambda.stderr.splitlines()[0]
    assert "Traceback" not in through_lambda.stderr

    records = SQLiteStore(tmp_path / ".heaviside" / "executions.sqlite3")
    for result in (inprocess, through_lambda):
        execution_arn = result.stderr.splitlines()[-1].split()[2]
        # Both paths name executions alike, which the check for a used execution name relies on.
        assert execution_arn.startswith("arn:aws:states:us-east-1:111111111111:execution:")
        record = records.get_execution(execution_arn)
        assert record.status == expected_status
        assert record.output == outcome.get("output")
        assert record.error == outcome.get("error")


def test_through_rejects_unknown_path(tmp_path):
    result = run_heaviside(tmp_path, str(ORDER / "template.yaml"), "--through", "stepfunctions")

    assert result.returncode == 2
    assert "invalid choice: 'stepfunctions'" in result.stderr
    assert result.stdout == ""


def test_through_lambda_rejects_definition(tmp_path):
    definition = tmp_path / "machine.json"
    definition.write_text(json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))

    result = run_heaviside(tmp_path, str(definition), "--through", "lambda")

    assert result.returncode == 2
    assert "--through lambda applies to SAM templates only" in result.stderr
    assert result.stdout == ""
