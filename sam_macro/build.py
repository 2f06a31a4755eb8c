"""Read a template into the resource model, collecting every problem at once."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Protocol

from sam_macro import contract, runtimes
from sam_macro.definition import (
    SUBSTITUTION_KEY_PATTERN,
    PublishedDefinition,
    is_intrinsic,
    iter_states,
    replace_intrinsics,
    substitute,
)
from sam_macro.errors import MacroError, TemplateProblem
from sam_macro.model import (
    MACHINE_TYPE,
    SERVERLESS_FUNCTION,
    Machine,
    TaskFunction,
    TaskTarget,
    TemplateModel,
)
from sam_macro.settings import is_number, machine_settings
from sam_macro.targets import referenced_resource, task_target

logger = logging.getLogger(__name__)

# Properties that mean the same as on AWS::Serverless::StateMachine.
DEFINITION_PROPERTIES = ("Definition", "DefinitionUri", "DefinitionSubstitutions")
# Properties passed to the invoker function unchanged (Tags, Policies and Role
# keep their AWS::Serverless::Function meaning there).
INVOKER_PROPERTIES = ("Policies", "Tags", "Role", "RolePath", "PermissionsBoundary")

KNOWN_PROPERTIES = (
    *DEFINITION_PROPERTIES,
    *INVOKER_PROPERTIES,
    "Name",
    "Events",
    "Tracing",
    "Type",
    "ExecutionRecords",
    "ExecutionTtlDays",
    "SleepThresholdSeconds",
    "EnvelopeBudgetBytes",
    "LogLevel",
)
RESOURCE_ATTRIBUTES = ("DependsOn", "Metadata", "DeletionPolicy", "UpdateReplacePolicy")

# Stand-ins used only to validate a definition whose values CloudFormation fills in later.
_VALIDATION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class DefinitionSource(Protocol):
    """Reader of DefinitionUri files and AWS::Include locations."""

    def read_uri(self, uri: Any) -> Any:
        """Return the parsed definition that `uri` (a DefinitionUri value) names; raise ValueError with the reason."""

    def read_include(self, location: Any) -> Any:
        """Return the parsed content of an AWS::Include `location`; raise ValueError with the reason."""


def build_model(
    template: dict[str, Any],
    *,
    source: DefinitionSource,
    parameter_values: dict[str, Any] | None = None,
    validate_definition: Callable[[dict[str, Any]], list[str]] | None = None,
    invoker_runtime: str = contract.DEFAULT_RUNTIME,
) -> TemplateModel:
    """Find the Heaviside::StateMachine resources and the functions their Task states invoke.

    `parameter_values` gives template parameter values where known (the
    macro event's templateParameterValues); parameter defaults fill the rest.
    `invoker_runtime` is the Lambda runtime of the invokers and of the runtime
    layer build; JSONata machines need python3.12 or newer.
    Raises `MacroError` listing every problem.
    """
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise MacroError([TemplateProblem("(template)", "Resources", "the template has no Resources mapping")])

    parameters = template.get("Parameters") or {}
    values = _parameter_values(parameters, parameter_values or {})
    validate_definition = validate_definition or _validate_with_heaviside
    problems: list[TemplateProblem] = []

    machines: dict[str, Machine] = {}
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == MACHINE_TYPE:
            machine = _build_machine(
                logical_id, resource, resources, parameters, values, source, validate_definition, problems,
                invoker_runtime,
            )
            if machine is not None:
                machines[logical_id] = machine

    functions = _collect_functions(machines, resources, problems)
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    for function in functions.values():
        if any(machines[machine_id].uses_jsonata for machine_id in function.machines):
            _check_jsonata_runtime(function.logical_id, resources[function.logical_id], globals_function, problems)
    if functions and isinstance(globals_function, dict) and "EventInvokeConfig" in globals_function:
        problems.append(
            TemplateProblem(
                "Globals",
                "Function.EventInvokeConfig",
                "it would also apply to the task functions, whose asynchronous invokes heaviside configures; "
                "set EventInvokeConfig on the functions that need it instead",
            )
        )
    if problems:
        raise MacroError(problems)
    return TemplateModel(machines=machines, functions=functions)


def _build_machine(
    logical_id: str,
    resource: dict[str, Any],
    resources: dict[str, Any],
    parameters: dict[str, Any],
    parameter_values: dict[str, Any],
    source: DefinitionSource,
    validate_definition: Callable[[dict[str, Any]], list[str]],
    problems: list[TemplateProblem],
    invoker_runtime: str,
) -> Machine | None:
    properties = resource.get("Properties") or {}
    if not isinstance(properties, dict):
        problems.append(TemplateProblem(logical_id, "Properties", "Properties must be a mapping"))
        return None

    count_before = len(problems)
    if "Condition" in resource:
        # TODO: a conditional machine needs conditional invoke configurations and
        # policies on its task functions, which the renderer does not emit yet.
        problems.append(
            TemplateProblem(
                logical_id,
                "Condition",
                "a Heaviside::StateMachine cannot have a Condition yet; deploy conditional machines in "
                "their own stack",
            )
        )
    for name in properties:
        if name not in KNOWN_PROPERTIES:
            problems.append(
                TemplateProblem(
                    logical_id,
                    name,
                    f"unknown property of {MACHINE_TYPE}; the known properties are {', '.join(KNOWN_PROPERTIES)}",
                )
            )

    environment, invoker_environment = machine_settings(logical_id, properties, problems)
    role = _execution_role(logical_id, {"Type": SERVERLESS_FUNCTION, "Properties": properties}, resources, problems)

    count_before_definition = len(problems)
    raw, definition_property = _read_definition(logical_id, properties, source, problems)
    if raw is None:
        return None

    published = replace_intrinsics(raw, parameters)
    uses_jsonata = _uses_jsonata(published.raw)
    if uses_jsonata:
        # Without the engine, validation would report every expression as invalid.
        jsonata_problem = _jsonata_invoker_problem(invoker_runtime)
        if jsonata_problem is not None:
            problems.append(TemplateProblem(logical_id, definition_property, jsonata_problem))
            return None

    _merge_user_substitutions(logical_id, properties.get("DefinitionSubstitutions"), published, problems)

    targets = []
    for _name, state_path, state in iter_states(published.raw):
        if state.get("Type") != "Task":
            continue
        target = task_target(logical_id, definition_property, state_path, state, published, resources, problems)
        if target is not None:
            targets.append(target)

    if len(problems) == count_before_definition:
        for message in validate_definition(_validation_copy(published, targets, parameter_values)):
            problems.append(TemplateProblem(logical_id, definition_property, message))

    if len(problems) > count_before:
        return None

    function_properties = {name: properties[name] for name in INVOKER_PROPERTIES if name in properties}
    tracing = properties.get("Tracing")
    if isinstance(tracing, dict) and tracing.get("Enabled") is True:
        function_properties["Tracing"] = "Active"

    return Machine(
        uses_jsonata=uses_jsonata,
        logical_id=logical_id,
        definition=published,
        targets=targets,
        role=role or {},
        name=properties.get("Name"),
        events=dict(properties.get("Events") or {}),
        environment=environment,
        invoker_environment=invoker_environment,
        function_properties=function_properties,
        attributes={name: resource[name] for name in RESOURCE_ATTRIBUTES if name in resource},
    )


def _read_definition(
    logical_id: str, properties: dict[str, Any], source: DefinitionSource, problems: list[TemplateProblem]
) -> tuple[dict[str, Any] | None, str]:
    has_inline = "Definition" in properties
    has_uri = "DefinitionUri" in properties
    if has_inline == has_uri:
        problems.append(
            TemplateProblem(
                logical_id,
                "Definition",
                "set exactly one of Definition (the definition inline) and DefinitionUri (a file or s3:// URI)",
            )
        )
        return None, "Definition"

    definition_property = "Definition" if has_inline else "DefinitionUri"
    try:
        if has_inline:
            raw = _resolve_include(properties["Definition"], source)
        else:
            raw = source.read_uri(properties["DefinitionUri"])
    except ValueError as error:
        problems.append(TemplateProblem(logical_id, definition_property, str(error)))
        return None, definition_property

    if not isinstance(raw, dict) or not isinstance(raw.get("States"), dict):
        problems.append(
            TemplateProblem(
                logical_id,
                definition_property,
                "the definition must be a mapping with StartAt and States, as in the Amazon States Language",
            )
        )
        return None, definition_property
    return raw, definition_property


def _uses_jsonata(definition: dict[str, Any]) -> bool:
    if definition.get("QueryLanguage") == "JSONata":
        return True
    return any(state.get("QueryLanguage") == "JSONata" for _name, _path, state in iter_states(definition))


def _resolve_include(definition: Any, source: DefinitionSource) -> Any:
    """Read ``Fn::Transform: {Name: AWS::Include}`` where CloudFormation has not already done so."""
    transform = definition.get("Fn::Transform") if isinstance(definition, dict) and len(definition) == 1 else None
    if transform is None:
        if isinstance(definition, str):
            try:
                return json.loads(definition)
            except ValueError:
                raise ValueError("Definition is a string that is not JSON; write the definition as a mapping") from None
        return definition
    if not isinstance(transform, dict) or transform.get("Name") != "AWS::Include":
        raise ValueError("the only transform heaviside reads inside Definition is AWS::Include")
    location = (transform.get("Parameters") or {}).get("Location")
    if location is None:
        raise ValueError("AWS::Include needs Parameters.Location")
    return source.read_include(location)


def _merge_user_substitutions(
    logical_id: str, user: Any, published: PublishedDefinition, problems: list[TemplateProblem]
) -> None:
    if user is None:
        return
    if not isinstance(user, dict):
        problems.append(
            TemplateProblem(logical_id, "DefinitionSubstitutions", "must be a mapping of names to values")
        )
        return
    for key, value in user.items():
        if not SUBSTITUTION_KEY_PATTERN.match(str(key)):
            problems.append(
                TemplateProblem(
                    logical_id,
                    f"DefinitionSubstitutions.{key}",
                    "invalid name; use letters, digits and underscores",
                )
            )
        elif key in published.substitutions:
            problems.append(
                TemplateProblem(
                    logical_id,
                    f"DefinitionSubstitutions.{key}",
                    f"the name {key} is generated for an intrinsic function in Definition; choose another name",
                )
            )
        elif not (is_intrinsic(value) or isinstance(value, (str, int, float, bool))):
            problems.append(
                TemplateProblem(
                    logical_id,
                    f"DefinitionSubstitutions.{key}",
                    "the value must be a string, a number, a boolean or an intrinsic function",
                )
            )
        else:
            published.substitutions[key] = value


def _validation_copy(
    published: PublishedDefinition, targets: list[TaskTarget], parameter_values: dict[str, Any]
) -> Any:
    """Return the definition with stand-in values where CloudFormation substitutes at deploy time."""
    values: dict[str, str] = {}
    for name, value in published.substitutions.items():
        if isinstance(value, bool):
            values[name] = json.dumps(value)
        elif isinstance(value, (str, int, float)):
            values[name] = str(value)
        elif name in published.numeric:
            known = parameter_values.get(value.get("Ref")) if isinstance(value, dict) else None
            values[name] = str(known) if is_number(known) else "1"
        else:
            referenced = referenced_resource(value)
            if referenced is not None:
                values[name] = _VALIDATION_ARN.format(referenced)

    text = published.text()
    resolved = substitute(text, values)
    try:
        return json.loads(resolved)
    except ValueError:
        # A substituted value (a quote inside a string value, say) broke the JSON.
        return None


def _validate_with_heaviside(definition: Any) -> list[str]:
    import heaviside

    if definition is None:
        return ["the definition is not valid JSON once DefinitionSubstitutions are applied; check their values"]
    try:
        heaviside.load_definition(definition)
    except heaviside.InvalidDefinition as error:
        return [str(problem) for problem in error.errors]
    return []


def _collect_functions(
    machines: dict[str, Machine], resources: dict[str, Any], problems: list[TemplateProblem]
) -> dict[str, TaskFunction]:
    functions: dict[str, TaskFunction] = {}
    for machine in machines.values():
        for function_id in machine.function_ids:
            function = functions.get(function_id)
            if function is None:
                resource = resources[function_id]
                role = _execution_role(function_id, resource, resources, problems)
                function = TaskFunction(function_id, resource["Type"], [], role or {})
                functions[function_id] = function
            function.machines.append(machine.logical_id)

    for function in functions.values():
        _check_invoke_configuration(function.logical_id, resources, problems)
        for machine_id in function.machines:
            for name, value in machines[machine_id].environment.items():
                if name in function.environment and function.environment[name] != value:
                    problems.append(
                        TemplateProblem(
                            function.logical_id,
                            "",
                            f"the machines {', '.join(function.machines)} all invoke this function but set "
                            f"{name} to different values ({function.environment[name]!r} and {value!r}); "
                            "give them the same setting",
                        )
                    )
                function.environment.setdefault(name, value)
    return functions


def _jsonata_invoker_problem(invoker_runtime: str) -> str | None:
    """Return why the invoker of a JSONata machine could not evaluate JSONata, or None when it can."""
    if runtimes.cannot_load_jsonata(invoker_runtime):
        return (
            f"the state machine uses JSONata, but its invoker and the runtime layer are built for "
            f"{invoker_runtime}, which cannot load heaviside's JSONata engine (its wheels need glibc 2.28, and "
            f"Lambda's {invoker_runtime} runs on Amazon Linux 2 with glibc 2.26); build and deploy the macro "
            f"stack with PythonRuntime={runtimes.JSONATA_MIN_RUNTIME} or newer (for heaviside expand: "
            f"--runtime {runtimes.JSONATA_MIN_RUNTIME})"
        )
    import_error = runtimes.jsonata_engine_import_error()
    if import_error is not None:
        return (
            f"the state machine uses JSONata, but heaviside's JSONata engine ({runtimes.JSONATA_ENGINE}) failed "
            f"to import where the template is expanded: {import_error}. In the deployed macro this usually means "
            f"that its runtime layer was built for python3.11: run sam build and sam deploy of the macro stack with "
            f"the same PythonRuntime, {runtimes.JSONATA_MIN_RUNTIME} or newer. For heaviside expand, install "
            f"{runtimes.JSONATA_ENGINE}"
        )
    return None


def _check_jsonata_runtime(
    function_id: str, resource: dict[str, Any], globals_function: Any, problems: list[TemplateProblem]
) -> None:
    """Report a Python runtime too old for the JSONata engine in a function of a JSONata machine."""
    runtime = (resource.get("Properties") or {}).get("Runtime")
    if runtime is None and resource.get("Type") == SERVERLESS_FUNCTION and isinstance(globals_function, dict):
        runtime = globals_function.get("Runtime")
    if runtimes.cannot_load_jsonata(runtime):
        problems.append(
            TemplateProblem(
                function_id,
                "Runtime",
                f"{runtime} cannot load heaviside's JSONata engine (its wheels need glibc 2.28, and Lambda's "
                f"{runtime} runs on Amazon Linux 2 with glibc 2.26), but a JSONata state machine invokes this "
                f"function; use {runtimes.JSONATA_MIN_RUNTIME} or newer",
            )
        )


def _check_invoke_configuration(function_id: str, resources: dict[str, Any], problems: list[TemplateProblem]) -> None:
    """Report settings that would fight the asynchronous invoke configuration heaviside emits."""
    properties = resources[function_id].get("Properties") or {}
    if "EventInvokeConfig" in properties:
        problems.append(
            TemplateProblem(
                function_id,
                "EventInvokeConfig",
                "heaviside configures asynchronous invokes of task functions itself (no Lambda retries, "
                "failures to the invoker, which applies the state's Retry and Catch); remove EventInvokeConfig",
            )
        )
    if properties.get("RecursiveLoop") == "Terminate":
        problems.append(
            TemplateProblem(
                function_id,
                "RecursiveLoop",
                "a state machine may invoke a function again in the same execution, which Lambda's loop "
                "detection would stop; remove RecursiveLoop (heaviside sets Allow)",
            )
        )
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::EventInvokeConfig":
            continue
        target = (resource.get("Properties") or {}).get("FunctionName")
        if target == {"Ref": function_id}:
            problems.append(
                TemplateProblem(
                    logical_id,
                    "FunctionName",
                    f"heaviside emits the asynchronous invoke configuration of the task function {function_id}; "
                    "remove this resource",
                )
            )


def _execution_role(
    function_id: str, resource: dict[str, Any], resources: dict[str, Any], problems: list[TemplateProblem]
) -> dict[str, Any] | None:
    """Return a ``Ref`` to the role the heaviside policy attaches to."""
    properties = resource.get("Properties") or {}
    role = properties.get("Role")
    if role is None and resource.get("Type") == SERVERLESS_FUNCTION:
        return {"Ref": f"{function_id}Role"}  # the role SAM creates for the function

    referenced = referenced_resource(role) if is_intrinsic(role) else None
    if referenced and isinstance(resources.get(referenced), dict):
        if resources[referenced].get("Type") == "AWS::IAM::Role":
            return {"Ref": referenced}
    problems.append(
        TemplateProblem(
            function_id,
            "Role",
            "heaviside must add permissions to this function's execution role (invoke the next task, read "
            "definitions, write joins), so the role must be an AWS::IAM::Role of this template referenced "
            "with !GetAtt Role.Arn; or remove Role and let SAM create one",
        )
    )
    return None


def _parameter_values(parameters: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    values = {name: spec.get("Default") for name, spec in parameters.items() if isinstance(spec, dict)}
    values.update(overrides)
    for name, value in values.items():
        if isinstance(value, str):
            try:
                values[name] = json.loads(value)
            except ValueError:
                pass
    return values
