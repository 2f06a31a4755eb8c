"""`heaviside conformance`: report lines, summary, results file, options and exit status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from heaviside.cli import main
from tests.conftest import CONFORMANCE_CASES, REGRESSIONS

HEAVISIDE = Path(sys.executable).with_name("heaviside")

PASSING = "choice_operators.string_operators.string_equals.15"
CHANGED = "choice_operators.string_operators.string_less_than.1"
TEMPLATE = "bug-101"


@pytest.fixture
def cases_dir(tmp_path) -> Path:
    """Three cases: one that passes, one whose expected output was changed, one template case."""
    directory = tmp_path / "cases"
    directory.mkdir()
    shutil.copy(CONFORMANCE_CASES / f"{PASSING}.json", directory)
    changed = json.loads((CONFORMANCE_CASES / f"{CHANGED}.json").read_text())
    changed["expected"]["output"] = {"TestResult.$": "SomethingElse"}
    (directory / f"{CHANGED}.json").write_text(json.dumps(changed))
    shutil.copy(REGRESSIONS / f"{TEMPLATE}.json", directory)
    return directory


def run_command(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(HEAVISIDE), "conformance", *arguments], capture_output=True, text=True, timeout=120, check=False
    )


def test_report_and_exit_status(cases_dir):
    completed = run_command(str(cases_dir))
    lines = completed.stdout.splitlines()
    assert completed.returncode == 1
    assert f"FAIL {CHANGED}: output.TestResult.$: expected \"SomethingElse\", got \"ConditionTrue\"" in lines
    assert not any(line.startswith(f"FAIL {PASSING}") for line in lines)
    assert any(line.startswith(f"  {TEMPLATE}: template case") for line in lines)
    assert "Mode: strict comparison" in lines
    assert "1 skipped" in lines
    assert lines[-1] == "1 passed, 1 failed"
    assert completed.stderr == ""


def test_summary_by_language_and_feature(cases_dir, capsys):
    main(["conformance", str(cases_dir)])
    output = capsys.readouterr().out
    assert "Score by query language:\n  JSONPath" in output
    assert "1/2    passed (50.0%)" in output
    assert "Features with failures:\n" in output
    assert "  Choice:StringLessThan" in output


def test_results_file(cases_dir, tmp_path, capsys):
    results = tmp_path / "results.jsonl"
    exit_status = main(["conformance", str(cases_dir), "--results", str(results)])
    records = {record["id"]: record for record in map(json.loads, results.read_text().splitlines())}
    assert exit_status == 1
    assert set(records) == {PASSING, CHANGED, TEMPLATE}
    assert records[PASSING]["status"] == "SUCCEEDED"
    assert records[PASSING]["output"] == {"TestResult.$": "ConditionTrue"}
    assert set(records[PASSING]["names"]) == {"state_machine", "execution", "role_arn"}
    assert records[CHANGED]["passed"] is False
    assert records[TEMPLATE] == {"id": TEMPLATE, "skipped": records[TEMPLATE]["skipped"]}
    assert "template" in records[TEMPLATE]["skipped"]


def test_results_for_invalid_definition(tmp_path, capsys):
    results = tmp_path / "results.jsonl"
    exit_status = main(["conformance", str(REGRESSIONS / "bug-044.json"), "--results", str(results)])
    record = json.loads(results.read_text())
    assert exit_status == 0
    assert record["status"] == "INVALID_DEFINITION"
    assert record["error"] == "SCHEMA_VALIDATION_FAILED"


def test_feature_filter(cases_dir, capsys):
    exit_status = main(["conformance", str(cases_dir), "--feature", "Choice:StringEquals"])
    output = capsys.readouterr().out
    assert exit_status == 0
    assert output.splitlines()[-1] == "1 passed, 0 failed"


def test_feature_filter_without_match(cases_dir, capsys):
    exit_status = main(["conformance", str(cases_dir), "--feature", "NoSuchTag"])
    assert exit_status == 2
    assert "no case has the feature NoSuchTag" in capsys.readouterr().err


def test_lenient_says_so(cases_dir, capsys):
    main(["conformance", str(cases_dir), "--lenient"])
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Mode: lenient comparison: stackTrace in Lambda error payloads ignored") for line in lines)
    assert lines[-1] == "1 passed, 1 failed"


def test_jobs(cases_dir, capsys):
    assert main(["conformance", str(cases_dir), "--jobs", "2"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 1 failed"


def test_missing_directory(tmp_path):
    completed = run_command(str(tmp_path / "nowhere"))
    assert completed.returncode == 2
    assert "no such file or directory" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_through_lambda_unavailable(cases_dir, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "heaviside.runtime.testing", None)
    exit_status = main(["conformance", str(cases_dir), "--through", "lambda"])
    assert exit_status == 2
    assert "heaviside.runtime.testing.run_through_lambda" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--jobs", "0"], ["--time-scale", "0"], ["--time-scale", "fast"]])
def test_invalid_option_values(cases_dir, arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["conformance", str(cases_dir), *arguments])
    assert exit_info.value.code == 2
    assert "expected" in capsys.readouterr().err
