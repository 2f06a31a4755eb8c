"""Execution records of template runs: `heaviside run TEMPLATE` keeps them under .heaviside/ or --state-dir."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from heaviside.cli import main as heaviside
from heaviside.local.app import run_machine
from heaviside.local.records import ExecutionRecorder, RecordError
from heaviside.local.stores import DirectoryDefinitionStore, SQLiteStore

REPO = Path(__file__).resolve().parent.parent
ORDER = REPO / "examples" / "order-processing"
ORDER_INPUT = ORDER / "events" / "order.json"


@pytest.fixture(autouse=True)
def working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_order(capsys, *arguments):
    status = heaviside(["run", str(ORDER / "template.yaml"), "--time-scale", "0.001", *map(str, arguments)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def recorded_arn(stderr: str) -> str:
    line = next(line for line in stderr.splitlines() if line.startswith("Recorded execution "))
    return line.split()[2]


def test_success_recorded_in_dot_heaviside(working_directory, capsys):
    status, out, err = run_order(capsys, "--input", f"@{ORDER_INPUT}", "--execution-name", "order-1")

    assert status == 0
    state_dir = working_directory / ".heaviside"
    arn = recorded_arn(err)
    assert arn == "arn:aws:states:us-east-1:111111111111:execution:order-processing:order-1"
    assert err.splitlines()[-1] == f"Recorded execution {arn} in .heaviside"
    record = SQLiteStore(state_dir / "executions.sqlite3").get_execution(arn)
    assert record.name == "order-1"
    assert record.state_machine == "order-processing"
    assert record.status == "SUCCEEDED"
    assert record.input == json.loads(ORDER_INPUT.read_text())
    assert record.output == json.loads(out)["output"]
    assert record.error is None
    assert record.start_time <= record.stop_time


def test_definition_stored_by_digest(working_directory, capsys):
    status, _, err = run_order(capsys, "--input", f"@{ORDER_INPUT}")

    assert status == 0
    state_dir = working_directory / ".heaviside"
    record = SQLiteStore(state_dir / "executions.sqlite3").get_execution(recorded_arn(err))
    path = state_dir / "definitions" / f"{record.definition_digest}.json"
    text = path.read_text(encoding="utf-8")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == record.definition_digest
    assert json.loads(text)["StartAt"] == "ValidateOrder"
    assert DirectoryDefinitionStore(state_dir).get_definition(record.definition_digest) == text


def test_failure_recorded_with_error_and_cause(working_directory, capsys):
    status, out, err = run_order(capsys, "--input", f"@{ORDER / 'events' / 'order-invalid.json'}")

    assert status == 1
    outcome = json.loads(out)
    record = SQLiteStore(working_directory / ".heaviside" / "executions.sqlite3").get_execution(recorded_arn(err))
    assert record.status == "FAILED"
    assert record.error == outcome["error"]
    assert record.cause == outcome["cause"]
    assert record.output is None
    assert record.stop_time is not None


def test_runs_share_definition_file(working_directory, capsys):
    for _ in range(2):
        status, _, _ = run_order(capsys, "--input", f"@{ORDER_INPUT}")
        assert status == 0

    state_dir = working_directory / ".heaviside"
    definitions = list((state_dir / "definitions").glob("*.json"))
    with sqlite3.connect(state_dir / "executions.sqlite3") as connection:
        rows = connection.execute("SELECT digest FROM executions").fetchall()
    assert len(definitions) == 1
    assert len(rows) == 2
    assert {row[0] for row in rows} == {definitions[0].stem}


def test_mocked_definition_recorded_as_run(working_directory, capsys):
    charge = '{"Return": {"chargeId": "ch_mock", "amountCents": 1, "currency": "EUR", "attempts": 1}}'

    status, _, err = run_order(capsys, "--input", f"@{ORDER_INPUT}", "--mock", f"ChargePayment={charge}")

    assert status == 0
    state_dir = working_directory / ".heaviside"
    record = SQLiteStore(state_dir / "executions.sqlite3").get_execution(recorded_arn(err))
    definition = json.loads((state_dir / "definitions" / f"{record.definition_digest}.json").read_text())
    assert definition["States"]["ChargePayment"]["Resource"].endswith(":function:heaviside-mock-1")


def test_state_dir_option(working_directory, capsys):
    status, _, err = run_order(capsys, "--input", f"@{ORDER_INPUT}", "--state-dir", "runs/local")

    assert status == 0
    assert err.splitlines()[-1].endswith(" in runs/local")
    assert (working_directory / "runs" / "local" / "executions.sqlite3").is_file()
    assert not (working_directory / ".heaviside").exists()


def test_used_execution_name_exits_two(working_directory, capsys):
    first_status, _, _ = run_order(capsys, "--input", f"@{ORDER_INPUT}", "--execution-name", "order-1")

    status, out, err = run_order(capsys, "--input", f"@{ORDER_INPUT}", "--execution-name", "order-1")

    assert first_status == 0
    assert status == 2
    assert out == ""
    assert "execution name 'order-1' is already used" in err
    assert "choose another --execution-name" in err


def test_state_dir_that_is_file_exits_two(working_directory, capsys):
    (working_directory / "taken").write_text("not a directory")

    status, out, err = run_order(capsys, "--input", f"@{ORDER_INPUT}", "--state-dir", "taken")

    assert status == 2
    assert out == ""
    assert "heaviside run: state directory taken: it is a file, not a directory" in err
    assert "Traceback" not in err


def test_corrupt_database_exits_two(working_directory, capsys):
    state_dir = working_directory / ".heaviside"
    state_dir.mkdir()
    (state_dir / "executions.sqlite3").write_text("this is not a database" * 100)

    status, _, err = run_order(capsys, "--input", f"@{ORDER_INPUT}")

    assert status == 2
    assert "is not a usable SQLite database" in err


def test_run_machine_records_only_with_state_dir(working_directory):
    result = run_machine(ORDER / "template.yaml", json.loads(ORDER_INPUT.read_text()), time_scale=0.001)

    assert result.status == "SUCCEEDED"
    assert result.execution_arn.startswith("arn:aws:states:us-east-1:111111111111:execution:order-processing:")
    assert not (working_directory / ".heaviside").exists()


def test_recorder_keeps_first_record(tmp_path):
    recorder = ExecutionRecorder(tmp_path / "state")
    digest = recorder.put_definition({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    fields = dict(
        execution_arn="arn:aws:states:us-east-1:111111111111:execution:m:one",
        name="one",
        state_machine="m",
        digest=digest,
        execution_input={},
        error=None,
        cause=None,
        start_time=1,
        stop_time=2,
    )

    recorder.record(status="SUCCEEDED", output=1, **fields)
    recorder.record(status="FAILED", output=None, **fields)

    assert recorder.executions.get_execution(fields["execution_arn"]).status == "SUCCEEDED"
    with pytest.raises(RecordError, match="execution name 'one' is already used"):
        recorder.check_name_unused(fields["execution_arn"], "one")
