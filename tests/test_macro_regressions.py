"""The template regression cases: what the SAM translator and Step Functions do, and what heaviside does.

Each "kind": "template" case is run through the SAM translator (or read as
Step Functions would deploy it) and again as a Heaviside::StateMachine, whose
published definition is read back from the invoker after a stand-in
deployment.
"""

from __future__ import annotations

import copy
import json

import heaviside
import pytest

from tests.macro_support import MACRO_CODE, published_definition, resolve, translate
from sam_macro import expand_template
from sam_macro.sources import S3DefinitionSource
from tests.conftest import REGRESSIONS

TEMPLATE_CASES = sorted(
    path.stem for path in REGRESSIONS.glob("*.json") if json.loads(path.read_text()).get("kind") == "template"
)


def load_case(case_id: str) -> dict:
    return json.loads((REGRESSIONS / f"{case_id}.json").read_text())


def as_heaviside(template: dict) -> dict:
    """Turn each AWS::Serverless::StateMachine into a Heaviside::StateMachine with the same definition."""
    template = copy.deepcopy(template)
    template.pop("Transform", None)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::StateMachine":
            resource["Type"] = "Heaviside::StateMachine"
            resource["Properties"].pop("Role", None)
    return template


def expand(template: dict, parameter_values: dict | None = None) -> dict:
    return expand_template(
        template, code=MACRO_CODE, source=S3DefinitionSource(), parameter_values=parameter_values
    ).template


@pytest.fixture(autouse=True)
def region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_every_template_case_has_a_test():
    assert TEMPLATE_CASES == ["bug-101", "bug-102", "bug-103"]


def test_sam_translator_substitutes_getatt_bug_101():
    case = load_case("bug-101")
    translated = translate(case["template"])
    assert translated["Resources"]["Flow"] == case["expected"]["output"]["Flow"]


def test_macro_numbers_placeholders_like_sam_bug_101():
    case = load_case("bug-101")
    sam_flow = translate(case["template"])["Resources"]["Flow"]["Properties"]
    sam_definition = json.loads("\n".join(sam_flow["DefinitionString"]["Fn::Join"][1]))

    expanded = expand(as_heaviside(case["template"]))
    code = expanded["Resources"]["Flow"]["Properties"]["InlineCode"]["Fn::Sub"]
    definition_text = code[0].split("r'''", 1)[1].split("'''", 1)[0]

    assert json.loads(definition_text) == sam_definition
    assert code[1] == sam_flow["DefinitionSubstitutions"]


def test_macro_publishes_resolved_getatt_bug_101():
    case = load_case("bug-101")
    expanded = expand(as_heaviside(case["template"]))
    definition = published_definition(expanded["Resources"]["Flow"])
    assert definition["States"]["Work"]["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:app-WorkerFunction"
    assert definition["States"]["Greet"] == {"Type": "Pass", "Result": "hi", "Next": "Work"}


def test_sam_translator_quotes_number_ref_bug_102():
    case = load_case("bug-102")
    translated = translate(case["template"], {"TaskTimeout": 300})
    properties = translated["Resources"]["Flow"]["Properties"]
    assert '"TimeoutSeconds": "${definition_substitution_1}",' in [
        line.strip() for line in properties["DefinitionString"]["Fn::Join"][1]
    ]
    assert properties["DefinitionSubstitutions"] == {"definition_substitution_1": {"Ref": "TaskTimeout"}}


def test_macro_keeps_number_ref_a_number_bug_102():
    case = load_case("bug-102")
    expanded = expand(as_heaviside(case["template"]), {"TaskTimeout": "300"})
    definition = published_definition(expanded["Resources"]["Flow"], {"TaskTimeout": "300"})

    assert definition["States"]["Work"]["TimeoutSeconds"] == 300
    heaviside.load_definition(definition)  # valid, where AWS reports SCHEMA_VALIDATION_FAILED


def test_macro_number_field_from_any_intrinsic_bug_102():
    # A numeric field keeps its number even when the value comes from a mapping.
    template = as_heaviside(load_case("bug-102")["template"])
    state = template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]
    state["TimeoutSeconds"] = {"Fn::FindInMap": ["Timeouts", "Work", "Seconds"]}
    template["Mappings"] = {"Timeouts": {"Work": {"Seconds": 45}}}

    expanded = expand(template)
    code, variables = expanded["Resources"]["Flow"]["Properties"]["InlineCode"]["Fn::Sub"]
    assert '"TimeoutSeconds":${definition_substitution_1}' in code
    assert variables == {"definition_substitution_1": {"Fn::FindInMap": ["Timeouts", "Work", "Seconds"]}}


def test_step_functions_substitutes_in_comment_bug_103():
    case = load_case("bug-103")
    properties = case["template"]["Resources"]["NoOp"]["Properties"]
    deployed = resolve({"Fn::Sub": [properties["DefinitionString"], properties["DefinitionSubstitutions"]]})
    assert json.loads(deployed) == case["expected"]["output"]["deployedDefinition"]


def test_macro_substitutes_in_comment_bug_103():
    case = load_case("bug-103")
    original = case["template"]["Resources"]["NoOp"]["Properties"]
    template = {
        "Resources": {
            "NoOp": {
                "Type": "Heaviside::StateMachine",
                "Properties": {
                    "Definition": json.loads(original["DefinitionString"]),
                    "DefinitionSubstitutions": original["DefinitionSubstitutions"],
                },
            }
        }
    }
    expanded = expand(template)
    assert published_definition(expanded["Resources"]["NoOp"]) == case["expected"]["output"]["deployedDefinition"]


def test_macro_substitutes_in_definition_file_bug_103():
    case = load_case("bug-103")
    original = case["template"]["Resources"]["NoOp"]["Properties"]
    stored = {("definitions", "noop.json"): original["DefinitionString"].encode()}
    source = S3DefinitionSource(get_object=lambda bucket, key, version: stored[(bucket, key)])
    template = {
        "Resources": {
            "NoOp": {
                "Type": "Heaviside::StateMachine",
                "Properties": {
                    "DefinitionUri": "s3://definitions/noop.json",
                    "DefinitionSubstitutions": original["DefinitionSubstitutions"],
                },
            }
        }
    }
    expanded = expand_template(template, code=MACRO_CODE, source=source).template
    assert published_definition(expanded["Resources"]["NoOp"]) == case["expected"]["output"]["deployedDefinition"]
