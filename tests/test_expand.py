"""`heaviside expand` as a user runs it: files written, paths, the generated entry point, errors."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
import types
from pathlib import Path

import pytest

from heaviside import cli
from heaviside.commands.expand import runtime_requirements
from heaviside.template import load_template
from tests.macro_support import REPO, TEMPLATES, resolve

EXAMPLE_TEMPLATES = sorted((REPO / "examples").glob("*/template.yaml"))


def run_expand(*arguments: str, capsys) -> tuple[int, str, str]:
    status = cli.main(["expand", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def basic(tmp_path) -> Path:
    shutil.copytree(TEMPLATES / "basic", tmp_path / "app")
    return tmp_path / "app" / "template.yaml"


def test_expand_writes_template_and_support_folder(basic, tmp_path, capsys):
    output = tmp_path / "out" / "expanded.yaml"

    status, _, err = run_expand(str(basic), "-o", str(output), capsys=capsys)

    assert status == 0, err
    assert f"Wrote {output}" in err
    expanded = load_template(output)
    assert expanded["Transform"] == "AWS::Serverless-2016-10-31"
    assert "Heaviside::StateMachine" not in {resource["Type"] for resource in expanded["Resources"].values()}

    support = tmp_path / "out" / "expanded.heaviside"
    assert (support / "OrderFlow" / "index.py").is_file()
    assert (support / "OrderFlow" / "definition.json").is_file()
    assert (support / "runtime-layer" / "heaviside" / "__init__.py").is_file()
    assert not list((support / "runtime-layer").rglob("__pycache__"))
    requirements = (support / "runtime-layer" / "requirements.txt").read_text().splitlines()
    assert requirements == runtime_requirements()
    assert requirements  # the layer needs the runtime's dependencies


def test_expand_paths_relative_to_output(basic, tmp_path, capsys):
    output = tmp_path / "out" / "expanded.yaml"
    run_expand(str(basic), "-o", str(output), capsys=capsys)
    resources = load_template(output)["Resources"]

    assert resources["ValidateOrder"]["Properties"]["CodeUri"] == "../app/src"
    assert (output.parent / resources["ValidateOrder"]["Properties"]["CodeUri"] / "handlers.py").is_file()
    assert resources["OrderFlow"]["Properties"]["CodeUri"] == "expanded.heaviside/OrderFlow"
    assert resources["HeavisideRuntimeLayer"]["Properties"]["ContentUri"] == "expanded.heaviside/runtime-layer"
    assert resources["HeavisideRuntimeLayer"]["Metadata"] == {"BuildMethod": "python3.12"}


def test_expand_for_python311(basic, tmp_path, capsys):
    output = tmp_path / "out" / "expanded.yaml"

    status, _, err = run_expand(str(basic), "-o", str(output), "--runtime", "python3.11", capsys=capsys)

    assert status == 0, err
    resources = load_template(output)["Resources"]
    assert resources["OrderFlow"]["Properties"]["Runtime"] == "python3.11"
    assert resources["HeavisideRuntimeLayer"]["Metadata"] == {"BuildMethod": "python3.11"}
    requirements = (tmp_path / "out" / "expanded.heaviside" / "runtime-layer" / "requirements.txt").read_text()
    # pip, run by sam build with Python 3.11, skips the JSONata engine because of the marker.
    assert 'jlens>=0.25; python_version >= "3.12"' in requirements.splitlines()


def test_expand_rejects_jsonata_for_python311(tmp_path, capsys):
    template = TEMPLATES / "plain-lambda" / "template.yaml"
    output = tmp_path / "expanded.yaml"

    status, out, err = run_expand(str(template), "-o", str(output), "--runtime", "python3.11", capsys=capsys)

    assert status == 1
    assert out == ""
    assert not output.exists()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{template}: resource Pipeline, property DefinitionUri: the state machine uses JSONata")
    assert "--runtime python3.12" in lines[0]


def test_expand_default_output(basic, capsys):
    status, _, err = run_expand(str(basic), capsys=capsys)
    assert status == 0, err
    default = basic.parent / ".heaviside" / "expand" / "template.yaml"
    assert default.is_file()
    assert load_template(default)["Resources"]["ValidateOrder"]["Properties"]["CodeUri"] == "../../src"


def test_expand_to_stdout_as_json(basic, capsys, monkeypatch):
    monkeypatch.chdir(basic.parent)
    status, out, err = run_expand("template.yaml", "-o", "-", "--format", "json", capsys=capsys)
    assert status == 0, err
    expanded = json.loads(out)
    assert expanded["Resources"]["OrderFlow"]["Properties"]["CodeUri"] == "template.heaviside/OrderFlow"
    assert (basic.parent / "template.heaviside" / "OrderFlow" / "index.py").is_file()


def test_expand_json_by_suffix(basic, tmp_path, capsys):
    output = tmp_path / "expanded.json"
    run_expand(str(basic), "-o", str(output), capsys=capsys)
    assert json.loads(output.read_text())["Transform"] == "AWS::Serverless-2016-10-31"


def test_expand_with_layer_arn_is_macro_output(basic, tmp_path, capsys):
    output = tmp_path / "macro.yaml"
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:heaviside-runtime:3"
    status, _, err = run_expand(str(basic), "-o", str(output), "--layer-arn", arn, capsys=capsys)

    assert status == 0, err
    resources = load_template(output)["Resources"]
    assert "HeavisideRuntimeLayer" not in resources
    assert resources["OrderFlow"]["Properties"]["Layers"] == [arn]
    assert "InlineCode" in resources["OrderFlow"]["Properties"]
    assert not (tmp_path / "macro.heaviside").exists()


def test_generated_entry_point_publishes_definition(basic, tmp_path, capsys, monkeypatch):
    output = tmp_path / "expanded.yaml"
    run_expand(str(basic), "-o", str(output), capsys=capsys)
    invoker = load_template(output)["Resources"]["InlineFlow"]
    substitutions = invoker["Properties"]["Environment"]["Variables"]["HEAVISIDE_DEFINITION_SUBSTITUTIONS"]

    # What Lambda would see after CloudFormation resolved the environment.
    monkeypatch.setenv("HEAVISIDE_DEFINITION_SUBSTITUTIONS", resolve(substitutions, {"TaskTimeout": "30"}))
    monkeypatch.setenv("HEAVISIDE_DEFINITION", "")  # recorded, so the value the entry point sets is undone
    invoker_module = types.ModuleType("heaviside.runtime.invoker")
    invoker_module.handler = lambda event, context: "handled"
    monkeypatch.setitem(sys.modules, "heaviside.runtime.invoker", invoker_module)

    entry_point = runpy.run_path(str(tmp_path / "expanded.heaviside" / "InlineFlow" / "index.py"))

    assert entry_point["handler"] is invoker_module.handler
    definition = json.loads(os.environ["HEAVISIDE_DEFINITION"])
    assert definition["States"]["Validate"]["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:app-ValidateOrder"
    assert definition["States"]["Validate"]["TimeoutSeconds"] == 30
    assert definition["Comment"] == "A ${Name} without a substitution stays as written"


def test_rerun_replaces_support_folder(basic, tmp_path, capsys):
    output = tmp_path / "expanded.yaml"
    run_expand(str(basic), "-o", str(output), capsys=capsys)
    stale = tmp_path / "expanded.heaviside" / "RemovedMachine"
    stale.mkdir()

    status, _, err = run_expand(str(basic), "-o", str(output), capsys=capsys)

    assert status == 0, err
    assert not stale.exists()


def test_expand_keeps_foreign_folder(basic, tmp_path, capsys):
    output = tmp_path / "expanded.yaml"
    (tmp_path / "expanded.heaviside").mkdir()
    (tmp_path / "expanded.heaviside" / "notes.txt").write_text("mine")

    with pytest.raises(SystemExit) as raised:
        cli.main(["expand", str(basic), "-o", str(output)])

    assert "was not written by heaviside expand" in str(raised.value)
    assert (tmp_path / "expanded.heaviside" / "notes.txt").read_text() == "mine"


def test_expand_missing_template(tmp_path, capsys):
    status, _, err = run_expand(str(tmp_path / "missing.yaml"), capsys=capsys)
    assert status == 2
    assert err == f"heaviside expand: template file not found: {tmp_path / 'missing.yaml'}\n"


def test_expand_requires_sam_transform(basic, capsys):
    text = basic.read_text().replace("Transform: [Heaviside, AWS::Serverless-2016-10-31]", "Transform: Heaviside")
    basic.write_text(text)
    status, _, err = run_expand(str(basic), capsys=capsys)
    assert status == 1
    assert "Transform must list AWS::Serverless-2016-10-31 after Heaviside" in err


def test_expand_rejects_sam_first(basic, capsys):
    text = basic.read_text().replace(
        "Transform: [Heaviside, AWS::Serverless-2016-10-31]", "Transform: [AWS::Serverless-2016-10-31, Heaviside]"
    )
    basic.write_text(text)
    status, _, err = run_expand(str(basic), capsys=capsys)
    assert status == 1
    assert "list Heaviside first" in err


def test_expand_reports_problems_with_template_path(basic, capsys):
    definition = basic.parent / "statemachine" / "order.asl.json"
    definition.write_text(definition.read_text().replace('"Next": "Charge"', '"Next": "Nowhere"'))

    status, out, err = run_expand(str(basic), capsys=capsys)

    assert status == 1
    assert out == ""
    assert err.startswith(f"{basic}: resource OrderFlow, property DefinitionUri: $.States.Validate")
    assert "Nowhere" in err


def test_expand_missing_definition_file(basic, capsys):
    (basic.parent / "statemachine" / "order.asl.json").unlink()
    status, _, err = run_expand(str(basic), capsys=capsys)
    assert status == 1
    assert "resource OrderFlow, property DefinitionUri: file not found:" in err


def test_expand_reads_include(basic, tmp_path, capsys):
    text = basic.read_text().replace(
        "      DefinitionUri: statemachine/order.asl.json\n",
        "      Definition:\n"
        "        Fn::Transform:\n"
        "          Name: AWS::Include\n"
        "          Parameters:\n"
        "            Location: statemachine/order.asl.json\n",
    )
    basic.write_text(text)
    output = tmp_path / "expanded.yaml"

    status, _, err = run_expand(str(basic), "-o", str(output), capsys=capsys)

    assert status == 0, err
    definition = (tmp_path / "expanded.heaviside" / "OrderFlow" / "definition.json").read_text()
    assert json.loads(definition)["States"]["Validate"]["Resource"] == "${ValidateArn}"


def test_expand_parameter_value(basic, capsys):
    status, _, err = run_expand(str(basic), "--parameter", "TaskTimeout=45", capsys=capsys)
    assert status == 0, err
    status, _, err = run_expand(str(basic), "--parameter", "TaskTimeout", capsys=capsys)
    assert status == 2
    assert "write NAME=VALUE" in err


@pytest.mark.parametrize("path", EXAMPLE_TEMPLATES, ids=lambda path: path.parent.name)
def test_expand_examples(path, tmp_path, capsys):
    status, _, err = run_expand(str(path), "-o", str(tmp_path / "expanded.yaml"), capsys=capsys)
    assert status == 0, err
