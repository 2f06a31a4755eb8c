"""Tests of `heaviside run DEFINITION`: output, exit status, input forms, functions and errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from heaviside.cli import main

GREETING = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Task", "Resource": "greet", "ResultPath": "$.greeting", "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 1, "End": True},
    },
}

FUNCTIONS_MODULE = textwrap.dedent(
    """
    def greet(event, context):
        return "hello " + event["name"]


    def _helper(event, context):
        raise AssertionError("private functions are not handlers")
    """
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "machine.json").write_text(json.dumps(GREETING))
    (tmp_path / "handlers.py").write_text(FUNCTIONS_MODULE)
    (tmp_path / "input.json").write_text(json.dumps({"name": "Ada"}))
    return tmp_path


def run_cli(capsys, *arguments):
    status = main(["run", *map(str, arguments)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_run_prints_output_and_exits_zero(project, capsys):
    status, out, err = run_cli(
        capsys,
        project / "machine.json",
        "--input",
        '{"name": "Ada"}',
        "--functions",
        project / "handlers.py",
        "--time-scale",
        "0.01",
    )
    assert status == 0
    assert json.loads(out) == {"status": "SUCCEEDED", "output": {"name": "Ada", "greeting": "hello Ada"}}
    assert err == ""


def test_run_reads_input_file_and_traces(project, capsys):
    status, out, err = run_cli(
        capsys,
        project / "machine.json",
        "--input",
        f"@{project / 'input.json'}",
        "--functions",
        project / "handlers.py",
        "--time-scale",
        "0.01",
        "--trace",
    )
    assert status == 0
    assert json.loads(out)["output"]["greeting"] == "hello Ada"
    lines = err.splitlines()
    assert [line.split()[1:] for line in lines] == [["Task", "Greet"], ["Wait", "Wait"]]


def test_run_failure_exits_one(project, capsys):
    status, out, _ = run_cli(capsys, project / "machine.json", "--input", "{}", "--time-scale", "0.01")
    assert status == 1
    result = json.loads(out)
    assert result["status"] == "FAILED"
    assert result["error"] == "Lambda.ResourceNotFoundException"
    assert "function:greet:$LATEST" in result["cause"]


def test_run_yaml_definition(tmp_path, capsys):
    (tmp_path / "machine.yaml").write_text("StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: 3\n    End: true\n")
    status, out, _ = run_cli(capsys, tmp_path / "machine.yaml")
    assert status == 0
    assert json.loads(out) == {"status": "SUCCEEDED", "output": 3}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--input", "{not json"], "--input: not valid JSON"),
        (["--input", "@/no/such/file.json"], "cannot read the file"),
        (["--functions", "no_such_module_for_heaviside"], "cannot import it"),
        (["--time-scale", "0"], "--time-scale must be greater than 0"),
    ],
)
def test_run_bad_options_exit_two(project, capsys, arguments, message):
    status, out, err = run_cli(capsys, project / "machine.json", *arguments)
    assert status == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_run_invalid_definition_exits_two(tmp_path, capsys):
    (tmp_path / "bad.json").write_text(json.dumps({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": True}}}))
    status, out, err = run_cli(capsys, tmp_path / "bad.json")
    assert status == 2
    assert out == ""
    assert "Missing" in err


def test_run_missing_file_exits_two(tmp_path, capsys):
    status, _, err = run_cli(capsys, tmp_path / "absent.json")
    assert status == 2
    assert "absent.json" in err


def test_functions_dict_wins_over_module_functions(tmp_path, capsys):
    (tmp_path / "machine.json").write_text(
        json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:x", "End": True}}})
    )
    (tmp_path / "fns.py").write_text("def x(e, c):\n    return 'module'\n\nFUNCTIONS = {'x': lambda e, c: 'dict'}\n")
    status, out, _ = run_cli(capsys, tmp_path / "machine.json", "--functions", tmp_path / "fns.py")
    assert status == 0
    assert json.loads(out)["output"] == "dict"


def test_console_script_runs(project):
    completed = subprocess.run(
        [sys.executable, "-m", "heaviside.cli", "run", str(project / "machine.json"), "--functions",
         str(project / "handlers.py"), "--input", '{"name": "Lin"}', "--time-scale", "0.01"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["output"]["greeting"] == "hello Lin"


def test_template_goes_to_template_runner(tmp_path, capsys, monkeypatch):
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """
            Transform: [Heaviside, AWS::Serverless-2016-10-31]
            Resources:
              Machine:
                Type: Heaviside::StateMachine
                Properties:
                  Definition:
                    StartAt: A
                    States:
                      A:
                        Type: Pass
                        Result: !Ref AWS::Region
                        End: true
            """
        )
    )
    monkeypatch.chdir(tmp_path)

    status, out, err = run_cli(capsys, tmp_path / "template.yaml")

    assert status == 0
    assert json.loads(out) == {"status": "SUCCEEDED", "output": "us-east-1"}
    assert "Recorded execution arn:aws:states:" in err
    assert (tmp_path / ".heaviside" / "executions.sqlite3").is_file()


RETRYING = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": "charge",
            "Retry": [{"ErrorEquals": ["ProviderDown"], "IntervalSeconds": 2, "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
            "End": True,
        },
        "Refund": {"Type": "Pass", "End": True},
    },
}

FAILING_MODULE = textwrap.dedent(
    """
    class ProviderDown(Exception):
        pass


    def charge(event, context):
        raise ProviderDown("the provider is down")
    """
)


def test_trace_prints_retries_and_catches(tmp_path, capsys):
    (tmp_path / "machine.json").write_text(json.dumps(RETRYING))
    (tmp_path / "charges.py").write_text(FAILING_MODULE)

    status, out, err = run_cli(
        capsys, tmp_path / "machine.json", "--functions", tmp_path / "charges.py", "--time-scale", "0.001", "--trace"
    )

    assert status == 0
    assert json.loads(out)["status"] == "SUCCEEDED"
    assert [line.split(None, 1)[1].strip() for line in err.splitlines()] == [
        "Task      Charge",
        "Charge: ProviderDown, retry 1 in 2.0s",
        "Charge: ProviderDown, caught, next Refund",
        "Pass      Refund",
    ]


@pytest.mark.parametrize(
    "arguments, option",
    [
        (["--mock", 'Greet={"Return": 1}'], "--mock"),
        (["--mock-file", "mocks.json"], "--mock-file"),
        (["--through", "lambda"], "--through lambda"),
        (["--state-dir", "records"], "--state-dir"),
    ],
)
def test_template_options_rejected_for_definitions(project, capsys, arguments, option):
    status, out, err = run_cli(capsys, project / "machine.json", *arguments)

    assert status == 2
    assert out == ""
    assert f"heaviside run: {option} applies to SAM templates only" in err
