"""Helpers for the macro and expand tests: the SAM translator, cfn-lint, and a stand-in for deployment.

`resolve` evaluates the few intrinsic functions the macro emits (Ref, GetAtt,
Sub, Join) the way CloudFormation would at deploy time, with names and ARNs
made up from logical ids, so a test can read the definition an invoker would
publish.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

from heaviside.template import load_template
from sam_macro import LocalCode, MacroCode, expand_template
from sam_macro.sources import LocalDefinitionSource

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "tests" / "templates"
GOLDEN = REPO / "tests" / "golden"
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:heaviside-runtime:7"
MACRO_CODE = MacroCode(layer_arn=LAYER_ARN, runtime="python3.12", architecture="arm64")
LOCAL_CODE = LocalCode(support_dir="template.heaviside", runtime="python3.12", architecture="x86_64")
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _NoManagedPolicies:
    """Policy loader for the translator; consulted only for managed policy names it does not bundle."""

    def load(self) -> dict[str, str]:
        return {}


def expand_file(path: Path, code: MacroCode | LocalCode = MACRO_CODE, **kwargs: Any) -> dict[str, Any]:
    """Expand a template file the way the macro would and return the template (without Transform)."""
    template = load_template(path)
    template.pop("Transform", None)
    source = LocalDefinitionSource(path.parent)
    return expand_template(template, code=code, source=source, **kwargs).template


def translate(template: dict[str, Any], parameter_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the SAM translator offline; local CodeUri/ContentUri become s3:// URIs as `sam package` would make them."""
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(template)
    template["Transform"] = "AWS::Serverless-2016-10-31"
    for resource in template["Resources"].values():
        properties = resource.get("Properties") or {}
        for name in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(name), str) and not properties[name].startswith("s3://"):
                properties[name] = f"s3://example-artifacts/{resource['Type'].rsplit('::', 1)[-1]}.zip"
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    if isinstance(globals_function.get("CodeUri"), str):
        globals_function["CodeUri"] = "s3://example-artifacts/code.zip"
    return transform(template, parameter_values or {}, _NoManagedPolicies())


def lint(template: dict[str, Any]) -> list[str]:
    """Return cfn-lint's errors (not warnings) as 'RULE: message' lines."""
    import cfnlint.api

    matches = cfnlint.api.lint(json.dumps(template), config=cfnlint.api.ManualArgs(regions=[REGION]))
    return [f"{match.rule.id}: {match.message}" for match in matches if match.rule.id.startswith("E")]


def resolve(value: Any, names: dict[str, str] | None = None) -> Any:
    """Evaluate Ref, Fn::GetAtt (Arn), Fn::Sub and Fn::Join as CloudFormation would; `names` overrides Ref values."""
    names = names or {}

    def ref(name: str) -> str:
        if name in names:
            return names[name]
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::StackName": "app"}
        return pseudo.get(name, f"app-{name}")

    def getatt(name: str, attribute: str) -> str:
        if attribute != "Arn":
            raise AssertionError(f"unexpected attribute {name}.{attribute}")
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ref(name)}"

    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        return {key: resolve(item, names) for key, item in value.items()}

    (key, argument), = value.items()
    if key == "Ref":
        return ref(argument)
    if key == "Fn::GetAtt":
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        return getatt(*parts)
    if key == "Fn::Join":
        separator, items = argument
        return separator.join(str(resolve(item, names)) for item in items)
    if key == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: str(resolve(item, names)) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return variables[name]
            if "." in name:
                return getatt(*name.split(".", 1))
            return ref(name)

        return re.sub(r"\$\{([^}]*)\}", replace, text)
    return {key: resolve(argument, names)}


def published_definition(invoker: dict[str, Any], names: dict[str, str] | None = None) -> Any:
    """Return the definition that a macro-emitted invoker publishes once CloudFormation has resolved it."""
    code = resolve(invoker["Properties"]["InlineCode"], names)
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            if ast.literal_eval(target.slice) == "HEAVISIDE_DEFINITION":
                return json.loads(ast.literal_eval(node.value))
    raise AssertionError("the invoker's InlineCode does not set HEAVISIDE_DEFINITION")
