"""The root template.yaml read as data: what it deploys and how it is wired to the macro's contract.

`sam build` and `sam validate --lint` of it run in test_expand_sam.py.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement

from heaviside.template import load_template
from sam_macro import contract, runtimes
from tests.macro_support import REPO

ROOT = load_template(REPO / "template.yaml")
RESOURCES = ROOT["Resources"]


def test_macro_named_heaviside():
    macro = RESOURCES["Macro"]
    assert macro["Type"] == "AWS::CloudFormation::Macro"
    assert macro["Properties"]["Name"] == "Heaviside"
    assert macro["Properties"]["FunctionName"] == {"Fn::GetAtt": ["MacroFunction", "Arn"]}


def test_macro_function_wiring():
    properties = RESOURCES["MacroFunction"]["Properties"]
    assert properties["Handler"] == "sam_macro.handler.handler"
    assert properties["Layers"] == [{"Ref": "RuntimeLayer"}]
    variables = properties["Environment"]["Variables"]
    assert variables[contract.MACRO_RUNTIME_LAYER_ARN] == {"Ref": "RuntimeLayer"}
    assert variables[contract.MACRO_INVOKER_RUNTIME] == {"Ref": "PythonRuntime"}
    assert variables[contract.MACRO_INVOKER_ARCHITECTURE] == {"Ref": "Architecture"}


def test_runtime_layer_built_from_layer_folder():
    layer = RESOURCES["RuntimeLayer"]
    assert layer["Properties"]["ContentUri"] == "layer/"
    assert layer["Metadata"]["BuildMethod"] == {"Ref": "PythonRuntime"}
    assert layer["Properties"]["CompatibleRuntimes"] == list(contract.LAYER_RUNTIMES)
    assert (REPO / "layer" / "heaviside").resolve() == (REPO / "heaviside").resolve()


def test_runtime_parameters():
    parameters = ROOT["Parameters"]
    assert parameters["PythonRuntime"]["Default"] == contract.DEFAULT_RUNTIME
    assert parameters["PythonRuntime"]["AllowedValues"] == list(contract.LAYER_RUNTIMES)
    assert parameters["Architecture"]["AllowedValues"] == ["x86_64", "arm64"]


def test_runtime_choices():
    assert contract.LAYER_RUNTIMES == ("python3.11", "python3.12", "python3.13")
    assert contract.DEFAULT_RUNTIME == runtimes.JSONATA_MIN_RUNTIME


def test_layer_arn_exported():
    output = ROOT["Outputs"]["RuntimeLayerArn"]
    assert output["Value"] == {"Ref": "RuntimeLayer"}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-RuntimeLayerArn"}


def test_layer_requirements_match_pyproject():
    """layer/requirements.txt must list the runtime dependencies of pyproject.toml; update it when they change."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    requirements = [
        line.strip()
        for line in (REPO / "layer" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert requirements == runtimes.layer_requirements(pyproject["project"]["dependencies"])


def test_layer_requirements_leave_out_jsonata_engine_for_python311():
    """pip evaluates the markers with the Python of the layer's runtime; only python3.11 leaves jlens out."""
    lines = (REPO / "layer" / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    for python_version, expect_engine in [("3.11", False), ("3.12", True), ("3.13", True)]:
        installed = {
            requirement.name
            for requirement in requirements
            if requirement.marker is None or requirement.marker.evaluate({"python_version": python_version})
        }
        assert "python-jsonpath" in installed, python_version
        assert ("jlens" in installed) == expect_engine, python_version


def test_no_unused_runtime_dependency():
    """Every runtime dependency is imported by the heaviside package."""
    import_names = {"python-jsonpath": "jsonpath", "jlens": "jlens"}
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    sources = "\n".join(path.read_text() for path in (REPO / "heaviside").rglob("*.py"))
    for dependency in pyproject["project"]["dependencies"]:
        name = Requirement(dependency).name
        assert name in import_names, f"add the import name of {name} to this test"
        module = import_names[name]
        assert re.search(rf"^\s*(import|from) {module}\b", sources, re.MULTILINE), f"{name} is not imported"
