"""Problems a new user met when trying heaviside from the README, run through the console script."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from heaviside.local.app import TemplateError
from heaviside.testing import run_state_machine

HEAVISIDE = Path(sys.executable).with_name("heaviside")
REPO = Path(__file__).resolve().parent.parent
ORDER = REPO / "examples" / "order-processing"

HANDLERS = """
def split(event, context):
    return {"parts": [1, 2]}


def flaky(event, context):
    return "flaky ran"
"""

# Flaky's Catch would turn Lambda.ResourceNotFoundException into a success.
DEFINITION = {
    "StartAt": "Split",
    "States": {
        "Split": {"Type": "Task", "Resource": "${SplitFunctionArn}", "Next": "Flaky"},
        "Flaky": {
            "Type": "Task",
            "Resource": "${FlakyArn}",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: [Heaviside, AWS::Serverless-2016-10-31]
Globals:
  Function:
    Runtime: python3.12
{code_uri}
Resources:
  SplitFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handlers.split
  FlakyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: handlers.flaky
  SplitStateMachine:
    Type: Heaviside::StateMachine
    Properties:
      DefinitionUri: machine.asl.json
      DefinitionSubstitutions:
        SplitFunctionArn: !GetAtt SplitFunction.Arn
{extra_substitutions}
"""


def write_project(
    folder: Path, *, definition: dict = DEFINITION, code_uri: bool = True, flaky_substitution: bool = False
) -> Path:
    (folder / "src").mkdir()
    (folder / "src" / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    (folder / "machine.asl.json").write_text(json.dumps(definition), encoding="utf-8")
    template = TEMPLATE.format(
        code_uri="    CodeUri: src/" if code_uri else "",
        extra_substitutions="        FlakyArn: !GetAtt FlakyFunction.Arn" if flaky_substitution else "",
    )
    path = folder / "template.yaml"
    path.write_text(textwrap.dedent(template), encoding="utf-8")
    return path


def heaviside(*arguments, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(HEAVISIDE), *map(str, arguments)], capture_output=True, text=True, timeout=120, cwd=cwd
    )


# ---------------------------------------------------------------------------
# Unresolved ${...} placeholders


def test_template_placeholder_stops_run(tmp_path):
    template = write_project(tmp_path)

    completed = heaviside("run", template, "--time-scale", "0.01", cwd=tmp_path)

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "resource SplitStateMachine" in completed.stderr
    assert "state 'Flaky'" in completed.stderr
    assert "${FlakyArn}" in completed.stderr
    assert "Add FlakyArn to the DefinitionSubstitutions of SplitStateMachine" in completed.stderr
    assert "Running" not in completed.stderr
    assert "Recorded execution" not in completed.stderr
    assert "Traceback" not in completed.stderr


def test_template_placeholder_in_lambda_invoke(tmp_path):
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "${FlakyArn}", "Payload.$": "$"},
                "End": True,
            }
        },
    }
    template = write_project(tmp_path, definition=definition)

    completed = heaviside("run", template, cwd=tmp_path)

    assert completed.returncode == 2
    assert "$.States.Flaky.Parameters.FunctionName" in completed.stderr
    assert "${FlakyArn}" in completed.stderr


def test_template_placeholder_in_map_state(tmp_path):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Flaky",
                    "States": {"Flaky": {"Type": "Task", "Resource": "${FlakyArn}", "End": True}},
                },
                "End": True,
            }
        },
    }
    template = write_project(tmp_path, definition=definition)

    completed = heaviside("run", template, "--input", "[1]", cwd=tmp_path)

    assert completed.returncode == 2
    assert "$.States.Each.ItemProcessor.States.Flaky.Resource" in completed.stderr


def test_mocked_placeholder_state_runs(tmp_path):
    template = write_project(tmp_path)

    completed = heaviside("run", template, "--mock", 'Flaky={"Return": "mocked"}', cwd=tmp_path)

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"status": "SUCCEEDED", "output": "mocked"}


def test_resolved_placeholders_run(tmp_path):
    template = write_project(tmp_path, flaky_substitution=True)

    completed = heaviside("run", template, cwd=tmp_path)

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"status": "SUCCEEDED", "output": "flaky ran"}


def test_helper_raises_on_placeholder(tmp_path):
    template = write_project(tmp_path)

    with pytest.raises(TemplateError, match=r"state 'Flaky' calls \$\{FlakyArn\}"):
        run_state_machine(template, {})


def test_definition_placeholder_stops_run(tmp_path):
    write_project(tmp_path)

    completed = heaviside(
        "run", tmp_path / "machine.asl.json", "--functions", tmp_path / "src" / "handlers.py", cwd=tmp_path
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "unresolved substitution" in completed.stderr
    assert "${SplitFunctionArn}" in completed.stderr
    assert "run the template" in completed.stderr


# ---------------------------------------------------------------------------
# A function without CodeUri


def test_missing_code_uri_stops_run(tmp_path):
    template = write_project(tmp_path, code_uri=False, flaky_substitution=True)

    completed = heaviside("run", template, cwd=tmp_path)

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "resource SplitFunction: the function has no CodeUri" in completed.stderr
    assert "Globals.Function" in completed.stderr
    assert "None" not in completed.stderr
    assert "Running" not in completed.stderr


# ---------------------------------------------------------------------------
# validate and graph on a SAM template


def test_validate_example_template():
    completed = heaviside("validate", ORDER / "template.yaml", cwd=REPO)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout == f"{ORDER / 'template.yaml'}: valid\n"


def test_validate_template_reports_resource(tmp_path):
    definition = {"StartAt": "Split", "States": {"Split": {"Type": "Tsk", "Resource": "${SplitFunctionArn}", "End": True}}}
    template = write_project(tmp_path, definition=definition)

    completed = heaviside("validate", template, cwd=tmp_path)

    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        f"{template}: SplitStateMachine: $.States.Split.Type: SCHEMA_VALIDATION_FAILED: "
        "The string 'Tsk' is not a state type; use one of Task, Parallel, Map, Pass, Wait, Choice, Succeed, Fail "
        "(case-sensitive)."
    ]
    assert "constructor" not in completed.stdout + completed.stderr


def test_validate_template_reports_placeholder(tmp_path):
    template = write_project(tmp_path)

    completed = heaviside("validate", "--format", "json", template, cwd=tmp_path)

    document = json.loads(completed.stdout)
    assert completed.returncode == 1
    assert document["valid"] is False
    assert document["files"][0]["problems"] == [
        {
            "path": "$.States.Flaky.Resource",
            "code": "UNRESOLVED_SUBSTITUTION",
            "message": "State 'Flaky' calls ${FlakyArn}, which no DefinitionSubstitutions entry sets; "
            "add FlakyArn to the DefinitionSubstitutions of SplitStateMachine.",
            "resource": "SplitStateMachine",
        }
    ]


def test_validate_json_template(tmp_path):
    template = {
        "Resources": {
            "Flow": {
                "Type": "Heaviside::StateMachine",
                "Properties": {"Definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Bb"}, "B": {"Type": "Succeed"}}}},
            }
        }
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template), encoding="utf-8")

    completed = heaviside("validate", path, cwd=tmp_path)

    assert completed.returncode == 1
    assert f"{path}: Flow: $.States.A.Next: MISSING_TRANSITION_TARGET: " in completed.stdout


def test_graph_example_template():
    completed = heaviside("graph", ORDER / "template.yaml", cwd=REPO)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("digraph StateMachine {")
    assert '"ReserveLineItems item processor"' in completed.stdout
    assert "iteration 0" not in completed.stdout
    assert '"ChargePayment" -> "ChargePayment" [style=dotted, label="retry PaymentProviderUnavailable' in completed.stdout


def test_graph_template_with_two_machines(tmp_path):
    machine = {"Type": "Heaviside::StateMachine", "Properties": {"Definition": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}}
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"Resources": {"First": machine, "Second": machine}}), encoding="utf-8")

    unnamed = heaviside("graph", path, cwd=tmp_path)
    named = heaviside("graph", path, "Second", cwd=tmp_path)

    assert unnamed.returncode == 2
    assert "contains 2 state machines (First, Second)" in unnamed.stderr
    assert named.returncode == 0, named.stderr
    assert '"__start" -> "A";' in named.stdout


# ---------------------------------------------------------------------------
# Progress times under --time-scale


def test_time_scale_note_printed(tmp_path):
    template = write_project(tmp_path, flaky_substitution=True)

    scaled = heaviside("run", template, "--time-scale", "0.01", cwd=tmp_path)
    unscaled = heaviside("run", template, cwd=tmp_path)

    scaled_lines = scaled.stderr.splitlines()
    assert scaled.returncode == 0, scaled.stderr
    assert scaled_lines[1] == (
        "Times are execution time: at --time-scale 0.01, 1 s of execution time passes in 0.01 s of real time, "
        "so a handler that takes 0.01 s shows as 1 s."
    )
    assert unscaled.returncode == 0, unscaled.stderr
    assert "Times are execution time" not in unscaled.stderr


# ---------------------------------------------------------------------------
# Smaller messages


def test_missing_files_reported_as_missing(tmp_path):
    run = heaviside("run", tmp_path / "absent.yaml", cwd=tmp_path)
    validate = heaviside("validate", tmp_path / "absent.asl.json", cwd=tmp_path)

    assert run.returncode == 2
    assert run.stderr == f"heaviside run: {tmp_path / 'absent.yaml'}: file not found; check the path\n"
    assert validate.returncode == 2
    assert validate.stdout == f"{tmp_path / 'absent.asl.json'}: file not found; check the path\n"


def test_one_problem_not_pluralised(tmp_path):
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Tsk", "End": True}}}), encoding="utf-8")

    completed = heaviside("run", path, cwd=tmp_path)

    assert completed.returncode == 2
    assert "1 problems" not in completed.stderr
    assert "invalid state machine definition: $.States.A.Type" in completed.stderr
    assert "The string 'Tsk' is not a state type" in completed.stderr


def test_misspelled_next_suggests_state(tmp_path):
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Donee"}, "Done": {"Type": "Succeed"}}}
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(definition), encoding="utf-8")

    completed = heaviside("validate", path, cwd=tmp_path)

    assert completed.returncode == 1
    assert "The transition target 'Donee' is not a state of this state machine (did you mean 'Done'?);" in completed.stdout


def test_unrelated_next_has_no_suggestion(tmp_path):
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Zzzzzz"}, "Done": {"Type": "Succeed"}}}
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(definition), encoding="utf-8")

    completed = heaviside("validate", path, cwd=tmp_path)

    assert completed.returncode == 1
    assert "did you mean" not in completed.stdout


def test_through_option_help_names_fixture(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "heaviside.testing", "--help"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )

    help_text = " ".join(completed.stdout.split())
    assert completed.returncode == 0, completed.stderr
    assert "how the heaviside_runner fixture runs executions" in help_text
    assert "run_state_machine called directly ignores this option" in help_text
