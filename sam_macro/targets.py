"""The Lambda function each Task state invokes, found from its Resource or its lambda:invoke FunctionName."""

from __future__ import annotations

import json
from typing import Any, Callable

from sam_macro.definition import PublishedDefinition, is_intrinsic, placeholder_name
from sam_macro.errors import TemplateProblem
from sam_macro.model import FUNCTION_TYPES, LAMBDA_FUNCTION, SERVERLESS_FUNCTION, TaskTarget

SUPPORTED_INTEGRATIONS = ("lambda:invoke",)


def task_target(
    machine_id: str,
    definition_property: str,
    state_path: str,
    state: dict[str, Any],
    published: PublishedDefinition,
    resources: dict[str, Any],
    problems: list[TemplateProblem],
) -> TaskTarget | None:
    """Find the function a Task state invokes, from its Resource or its lambda:invoke FunctionName."""
    resource = state.get("Resource")
    if not isinstance(resource, str):
        return None  # The validator reports a missing or non-string Resource.

    def problem(message: str) -> None:
        problems.append(TemplateProblem(machine_id, f"{definition_property} {state_path}", message))

    name = placeholder_name(resource)
    if name is not None and name in published.substitutions:
        return target_from_value(published.substitutions[name], state_path, published, resources, problem)

    if ":states:::" in resource:
        integration = resource.split(":::", 1)[1]
        if integration not in SUPPORTED_INTEGRATIONS:
            problem(
                f"the service integration {resource} is not supported; heaviside runs Task states that invoke "
                "Lambda functions, with Resource set to a function or to arn:aws:states:::lambda:invoke"
            )
            return None
        arguments = state.get("Parameters") if "Parameters" in state else state.get("Arguments")
        if not isinstance(arguments, dict) or not ("FunctionName" in arguments or "FunctionName.$" in arguments):
            problem("a lambda:invoke Task needs FunctionName in Parameters (JSONPath) or Arguments (JSONata)")
            return None
        function_name = arguments.get("FunctionName")
        if "FunctionName.$" in arguments or (isinstance(function_name, str) and function_name.startswith("{%")):
            problem(
                "FunctionName is chosen at run time, so heaviside cannot grant the permission to invoke it "
                "nor wire its failures to the invoker; name the function in the definition and branch with "
                "a Choice state instead"
            )
            return None
        return target_from_value(function_name, state_path, published, resources, problem, name_allowed=True)

    return target_from_value(resource, state_path, published, resources, problem)


def target_from_value(
    value: Any,
    state_path: str,
    published: PublishedDefinition,
    resources: dict[str, Any],
    problem: Callable[[str], None],
    *,
    name_allowed: bool = False,
) -> TaskTarget | None:
    if isinstance(value, str):
        name = placeholder_name(value)
        if name is not None and name in published.substitutions:
            return target_from_value(
                published.substitutions[name], state_path, published, resources, problem, name_allowed=name_allowed
            )
        if "${" in value:
            used = published.used_substitutions(json.dumps(value))
            return TaskTarget(state_path, arn={"Fn::Sub": [value, used]} if used else {"Fn::Sub": value})
        if value.startswith("arn:"):
            if ":lambda:" in value and ":function:" in value:
                return TaskTarget(state_path, arn=value)
            problem(f"{value} is not the ARN of a Lambda function; heaviside Task states invoke Lambda functions")
            return None
        if name_allowed and value:
            return TaskTarget(
                state_path,
                arn={"Fn::Sub": f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{value}"},
            )
        problem(f"{value!r} is not a Lambda function; use !GetAtt Function.Arn, !Ref Function or a function ARN")
        return None

    if is_intrinsic(value):
        referenced = referenced_resource(value)
        if referenced is None:
            return TaskTarget(state_path, arn=value)
        target = resources.get(referenced)
        if target is None:
            if "Ref" in value:
                return TaskTarget(state_path, arn=value)  # a template parameter holding an ARN
            problem(f"there is no resource {referenced} in the template")
            return None
        target_type = target.get("Type") if isinstance(target, dict) else None
        if target_type not in FUNCTION_TYPES:
            problem(
                f"{referenced} is a {target_type}, not a Lambda function; a Task state must invoke an "
                f"{SERVERLESS_FUNCTION} or {LAMBDA_FUNCTION}"
            )
            return None
        return TaskTarget(state_path, logical_id=referenced)

    problem(f"{value!r} is not a Lambda function; use !GetAtt Function.Arn, !Ref Function or a function ARN")
    return None


def referenced_resource(value: dict[str, Any]) -> str | None:
    """Return X for ``Ref: X`` and ``Fn::GetAtt: [X, Arn]``, else None."""
    if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
        return value["Ref"]
    getatt = value.get("Fn::GetAtt")
    if isinstance(getatt, str):
        getatt = getatt.split(".", 1)
    if isinstance(getatt, list) and len(getatt) == 2 and getatt[1] == "Arn" and isinstance(getatt[0], str):
        return getatt[0]
    return None
