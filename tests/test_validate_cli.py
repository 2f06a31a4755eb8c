"""`heaviside validate`, run as the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REGRESSIONS

SCRIPT = Path(sys.executable).parent / "heaviside"

VALID = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
INVALID = {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "ResultPath": None, "End": True}}}


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "validate", *arguments], capture_output=True, text=True, timeout=60)


def write(path: Path, definition: dict) -> str:
    path.write_text(json.dumps(definition), encoding="utf-8")
    return str(path)


@pytest.fixture
def valid_file(tmp_path):
    return write(tmp_path / "valid.asl.json", VALID)


@pytest.fixture
def invalid_file(tmp_path):
    return write(tmp_path / "invalid.asl.json", INVALID)


@pytest.fixture
def broken_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"StartAt": ', encoding="utf-8")
    return str(path)


def test_script_is_installed():
    assert SCRIPT.exists()


def test_valid_file_exits_zero(valid_file):
    result = run(valid_file)

    assert result.returncode == 0
    assert result.stdout == f"{valid_file}: valid\n"


def test_invalid_file_exits_one(invalid_file):
    result = run(invalid_file)

    assert result.returncode == 1
    assert result.stderr == "1 file checked: 1 invalid, 0 unreadable\n"
    assert result.stdout.splitlines() == [
        f"{invalid_file}: $.States.A.ResultPath: SCHEMA_VALIDATION_FAILED: "
        "Field 'ResultPath' is not supported in a Wait state; remove it (field names are case-sensitive)."
    ]


def test_unparsable_file_exits_two(broken_file):
    result = run(broken_file)

    assert result.returncode == 2
    assert result.stdout.startswith(f"{broken_file}: $: INVALID_JSON_DESCRIPTION: ")
    assert "line 1, column 13" in result.stdout


def test_missing_file_exits_two(tmp_path):
    result = run(str(tmp_path / "absent.json"))

    assert result.returncode == 2
    assert "not found" in result.stdout
    assert "Traceback" not in result.stderr


def test_unreadable_wins_over_invalid(valid_file, invalid_file, broken_file):
    result = run(valid_file, invalid_file, broken_file)

    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == "3 files checked: 1 invalid, 1 unreadable\n"


def test_invalid_wins_over_valid(valid_file, invalid_file):
    result = run(invalid_file, valid_file)

    assert result.returncode == 1


def test_yaml_file(tmp_path):
    path = tmp_path / "machine.yaml"
    path.write_text("StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Missing\n", encoding="utf-8")

    result = run(str(path))

    assert result.returncode == 1
    assert f"{path}: $.States.A.Next: MISSING_TRANSITION_TARGET: " in result.stdout


def test_json_format(valid_file, invalid_file, broken_file):
    result = run("--format", "json", valid_file, invalid_file, broken_file)

    document = json.loads(result.stdout)
    assert result.returncode == 2
    assert document["valid"] is False
    assert [entry["file"] for entry in document["files"]] == [valid_file, invalid_file, broken_file]
    assert [entry["valid"] for entry in document["files"]] == [True, False, False]
    assert [entry["readable"] for entry in document["files"]] == [True, True, False]
    assert document["files"][1]["problems"] == [
        {
            "path": "$.States.A.ResultPath",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "Field 'ResultPath' is not supported in a Wait state; remove it (field names are case-sensitive).",
        }
    ]
    assert document["files"][2]["problems"][0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_json_format_all_valid(valid_file):
    result = run("--format", "json", valid_file)

    assert result.returncode == 0
    assert json.loads(result.stdout)["valid"] is True


def test_regression_definition_rejected(tmp_path):
    case = json.loads((REGRESSIONS / "bug-044.json").read_text(encoding="utf-8"))
    path = write(tmp_path / "fan-out.json", case["definition"])

    result = run(path)

    assert result.returncode == 1
    assert f"{path}: $.States['Fan Out'].MaxConcurrency: SCHEMA_VALIDATION_FAILED: " in result.stdout


def test_no_file_is_usage_error():
    result = run()

    assert result.returncode == 2
    assert "FILE" in result.stderr
