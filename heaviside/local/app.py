"""Run the state machines of a SAM template locally: ``heaviside run TEMPLATE``.

`load_template` reads a template with ``Heaviside::StateMachine`` resources
and resolves what a local run needs: each machine's definition (inline
``Definition`` or a ``DefinitionUri`` file, with ``DefinitionSubstitutions``
applied), and each ``AWS::Serverless::Function`` with its code folder,
handler and environment (``Globals`` included). `run_machine` imports the
handlers and runs one execution with the in-process runner or through the
local Lambda endpoint. `run_template` is the command line entry point that
``heaviside run`` calls when its argument is a template.

Intrinsic functions are resolved the way CloudFormation would for a stack in
a local account: ``!GetAtt Fn.Arn`` becomes
``arn:aws:lambda:<region>:123456789012:function:<name>``, where the name is
the function's ``FunctionName`` or else its logical id.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heaviside.asl.errors import HeavisideError
from heaviside.local.records import DEFAULT_STATE_DIR, ExecutionRecorder
from heaviside.local.trace import (
    IterationEnded,
    MapStarted,
    RetryScheduled,
    StateEntered,
    TraceRecord,
    describe_record,
    format_record,
)
from heaviside.template import is_intrinsic

logger = logging.getLogger(__name__)

MACHINE_TYPE = "Heaviside::StateMachine"
FUNCTION_TYPE = "AWS::Serverless::Function"
LAMBDA_FUNCTION_TYPE = "AWS::Lambda::Function"
FUNCTION_TYPES = (FUNCTION_TYPE, LAMBDA_FUNCTION_TYPE)
LOCAL_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
PLACEHOLDER_PATTERN = r"\$\{([^}]+)\}"
LAMBDA_INVOKE_RESOURCES = ("arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken")


class TemplateError(HeavisideError):
    """A template that cannot be run locally; the message names the resource and property."""


@dataclass(frozen=True)
class FunctionSpec:
    """An ``AWS::Serverless::Function`` with the values a local run uses."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path | None
    handler: str | None
    environment: dict[str, str]
    # Why the function cannot run locally (an S3 CodeUri, InlineCode ...), or None.
    unsupported: str | None = None
    # Why the declaration is invalid (no CodeUri ...), or None: a run stops before it starts.
    invalid: str | None = None


@dataclass(frozen=True)
class MachineSpec:
    """A ``Heaviside::StateMachine`` with its definition resolved to plain JSON."""

    logical_id: str
    name: str
    definition: dict
    # STANDARD or EXPRESS, from the resource's Type property.
    execution_type: str
    # The definition's origin (a file path or the resource property), for error messages.
    source: str


@dataclass
class TemplateApp:
    """The machines and functions of one template."""

    path: Path
    region: str
    machines: dict[str, MachineSpec]
    functions: dict[str, FunctionSpec]
    _handlers: dict[str, Callable] = field(default_factory=dict, repr=False)

    def machine(self, name: str | None = None) -> MachineSpec:
        """Find a machine by logical id or by its ``Name`` property.

        Without a name, the template must contain exactly one machine.
        """
        if name is None:
            if len(self.machines) == 1:
                return next(iter(self.machines.values()))
            listed = ", ".join(sorted(self.machines))
            raise TemplateError(f"{self.path} contains {len(self.machines)} state machines ({listed}); name the one to run")

        for machine in self.machines.values():
            if name in (machine.logical_id, machine.name):
                return machine
        listed = ", ".join(sorted(self.machines)) or "none"
        raise TemplateError(f"state machine {name!r} not found in {self.path}; its state machines are: {listed}")

    def handlers(self) -> dict[str, Callable]:
        """Import every runnable function's handler; map its name and ARN to it.

        Functions that cannot run locally are left out, so a Task that calls
        one fails with ``Lambda.ResourceNotFoundException`` unless it is mocked.
        """
        if not self._handlers:
            for function in self.functions.values():
                if function.invalid is not None:
                    raise TemplateError(f"resource {function.logical_id}: {function.invalid}")
                if function.unsupported is not None:
                    logger.warning("Function %s cannot run locally: %s", function.logical_id, function.unsupported)
                    continue
                handler = import_handler(function)
                self._handlers[function.name] = handler
                self._handlers[function.arn] = handler
        return dict(self._handlers)

    def environment(self) -> dict[str, str]:
        """Merge the environment variables of every function.

        In-process, all handlers share one ``os.environ``, so a variable that two
        functions set to different values gets the value of the first, with a warning.
        """
        merged: dict[str, str] = {}
        for function in self.functions.values():
            for key, value in function.environment.items():
                if key in merged and merged[key] != value:
                    logger.warning(
                        "Environment variable %s is %r for one function and %r for %s; the local run uses %r",
                        key, merged[key], value, function.logical_id, merged[key],
                    )
                    continue
                merged[key] = value
        return merged


# ---------------------------------------------------------------------------
# Loading a template


def load_template(path: str | os.PathLike, parameters: Mapping[str, Any] | None = None) -> TemplateApp:
    """Read a SAM template and resolve its machines and functions for a local run.

    `parameters` override the template's parameter defaults. Raises
    `TemplateError` naming the resource and property that cannot be resolved.
    """
    template_path = Path(path)
    template = _read_template(template_path)
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError(f"{template_path} has no Resources section; is it a SAM template?")

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    resolver = _Resolver(template, parameters or {}, region)
    functions = {
        logical_id: _function_spec(template_path.parent, logical_id, resource, template.get("Globals") or {}, resolver)
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") in FUNCTION_TYPES
    }
    machines = {
        logical_id: _machine_spec(template_path.parent, logical_id, resource, resolver)
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == MACHINE_TYPE
    }
    if not machines:
        raise TemplateError(f"{template_path} has no resource of type {MACHINE_TYPE}")
    return TemplateApp(path=template_path, region=region, machines=machines, functions=functions)


_TEMPLATE_KEY_LINE = re.compile(r"^(Resources|AWSTemplateFormatVersion|Transform)\s*:", re.MULTILINE)
_SHORT_FORM_TAG = re.compile(
    r"(?:^|[\s\[:,-])!(Ref|GetAtt|Sub|Join|Select|Split|If|Equals|Not|And|Or|FindInMap|ImportValue|Base64|Cidr|GetAZs|"
    r"Transform|Condition|ToJsonString|Length)\b"
)
_TEMPLATE_KEYS = ("Resources", "AWSTemplateFormatVersion", "Transform")


def looks_like_template(path: str | os.PathLike) -> bool:
    """Return whether a file is a CloudFormation or SAM template rather than a state machine definition.

    A template has a top-level Resources, AWSTemplateFormatVersion or
    Transform key, none of which is an ASL field, or uses the short forms of
    intrinsic functions (``!GetAtt``), which a plain YAML parser rejects.
    Returns False for a file that cannot be read.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return bool(_TEMPLATE_KEY_LINE.search(text) or _SHORT_FORM_TAG.search(text))
    return isinstance(document, dict) and any(key in document for key in _TEMPLATE_KEYS)


def _read_template(path: Path) -> dict:
    from heaviside.template import TemplateError as UnreadableTemplate
    from heaviside.template import load_template as read_template

    try:
        return read_template(path)
    except UnreadableTemplate as error:
        raise TemplateError(str(error)) from None


def _function_spec(base_dir: Path, logical_id: str, resource: dict, globals_: dict, resolver: _Resolver) -> FunctionSpec:
    # Globals apply to SAM functions only; a plain Lambda function keeps its code in Code.
    defaults = (globals_.get("Function") or {}) if resource.get("Type") == FUNCTION_TYPE else {}
    properties = {**defaults, **(resource.get("Properties") or {})}
    if resource.get("Type") == LAMBDA_FUNCTION_TYPE:
        code = properties.get("Code")
        properties["CodeUri"] = code
        if isinstance(code, dict) and "ZipFile" in code:
            properties["InlineCode"] = code["ZipFile"]
    environment = {
        **((defaults.get("Environment") or {}).get("Variables") or {}),
        **(((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}),
    }
    place = f"resource {logical_id}"

    name = resolver.resolve(properties.get("FunctionName", logical_id), f"{place}, property FunctionName")
    arn = resolver.function_arn(str(name))
    resolved_environment = {
        key: _environment_text(resolver.resolve(value, f"{place}, environment variable {key}"))
        for key, value in environment.items()
    }
    handler = properties.get("Handler")
    code_uri = properties.get("CodeUri")
    unsupported = None
    invalid = None
    code_dir = None
    if "InlineCode" in properties:
        unsupported = "inline code is not imported locally; mock the states that call it"
    elif "ImageUri" in properties or properties.get("PackageType") == "Image":
        unsupported = "container image functions are not imported locally; mock the states that call it"
    elif code_uri is None:
        invalid = _missing_code_message(resource.get("Type"))
    elif not isinstance(handler, str):
        unsupported = "it has no Handler property (in Globals or in the resource)"
    elif not isinstance(code_uri, str) or code_uri.startswith("s3://"):
        unsupported = f"its CodeUri {json.dumps(code_uri)} is not a local folder; mock the states that call it"
    else:
        code_dir = (base_dir / code_uri).resolve()
        if not code_dir.is_dir():
            raise TemplateError(f"{place}, property CodeUri: folder {code_dir} not found")
    return FunctionSpec(logical_id, str(name), arn, code_dir, handler, resolved_environment, unsupported, invalid)


def _missing_code_message(resource_type: str | None) -> str:
    if resource_type == LAMBDA_FUNCTION_TYPE:
        return "the function has no Code property; add Code with the folder that contains the handler's module"
    return (
        "the function has no CodeUri; add CodeUri, the folder that contains the handler's module "
        "relative to the template, to the function's Properties or to Globals.Function"
    )


def _environment_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _machine_spec(base_dir: Path, logical_id: str, resource: dict, resolver: _Resolver) -> MachineSpec:
    properties = resource.get("Properties") or {}
    place = f"resource {logical_id}"
    name = str(resolver.resolve(properties.get("Name", logical_id), f"{place}, property Name"))

    substitutions = {
        key: resolver.resolve(value, f"{place}, property DefinitionSubstitutions.{key}")
        for key, value in (properties.get("DefinitionSubstitutions") or {}).items()
    }
    if "Definition" in properties and "DefinitionUri" in properties:
        raise TemplateError(f"{place}: set either Definition or DefinitionUri, not both")
    if "Definition" in properties:
        source = f"{place}, property Definition"
        inline, included_path = _included_definition(base_dir, properties["Definition"], source)
        if included_path is not None:
            source = str(included_path)
        definition_text, intrinsics = _inline_definition_text(inline, source)
        for key, value in intrinsics.items():
            substitutions[key] = resolver.resolve(value, source)
    elif "DefinitionUri" in properties:
        definition_path = _definition_path(base_dir, properties["DefinitionUri"], f"{place}, property DefinitionUri")
        definition_text = _definition_file_text(definition_path, place)
        source = str(definition_path)
    else:
        raise TemplateError(f"{place}: missing Definition or DefinitionUri")

    definition_text, unresolved = _substitute(definition_text, substitutions)
    try:
        definition = json.loads(definition_text)
    except json.JSONDecodeError as error:
        raise TemplateError(f"{source}: the definition is not valid JSON after DefinitionSubstitutions: {error}") from None
    # Placeholders in a Task's function stop a run (see check_function_placeholders); others only get a warning.
    in_tasks = {found.placeholder for found in find_function_placeholders(definition)}
    for key in unresolved:
        if "${" + key + "}" not in in_tasks:
            logger.warning("%s: the definition uses ${%s}, which no DefinitionSubstitutions entry sets", place, key)
    execution_type = str(resolver.resolve(properties.get("Type", "STANDARD"), f"{place}, property Type")).upper()
    if execution_type not in ("STANDARD", "EXPRESS"):
        raise TemplateError(f"{place}, property Type: expected STANDARD or EXPRESS, got {execution_type!r}")
    return MachineSpec(logical_id, name, definition, execution_type, source)


def _included_definition(base_dir: Path, definition: Any, place: str) -> tuple[Any, Path | None]:
    """Resolve ``Fn::Transform: {Name: AWS::Include}`` and JSON text in an inline Definition.

    Returns the definition and the included file's path, or None when nothing
    was included. CloudFormation includes the file before any macro runs, and
    the file may contain intrinsic functions, so it is treated as inline.
    """
    if isinstance(definition, str):
        try:
            return json.loads(definition), None
        except json.JSONDecodeError as error:
            raise TemplateError(f"{place}: a Definition string must be JSON text ({error})") from None
    if not (isinstance(definition, dict) and set(definition) == {"Fn::Transform"}):
        return definition, None

    transform = definition["Fn::Transform"]
    parameters = transform.get("Parameters") if isinstance(transform, dict) else None
    if not isinstance(transform, dict) or transform.get("Name") != "AWS::Include" or not isinstance(parameters, dict):
        raise TemplateError(f"{place}: only Fn::Transform with Name AWS::Include and a Location is supported")
    path = _definition_path(base_dir, parameters.get("Location"), f"{place}, Fn::Transform AWS::Include Location")

    from heaviside.template import TemplateError as UnreadableTemplate
    from heaviside.template import load_template as read_template

    try:
        return read_template(path), path
    except UnreadableTemplate as error:
        raise TemplateError(f"{place}: cannot include {path}: {error}") from None


def _definition_path(base_dir: Path, uri: Any, place: str) -> Path:
    if not isinstance(uri, str) or uri.startswith("s3://"):
        raise TemplateError(f"{place}: {uri!r} is not a local file; use a path relative to the template")
    path = (base_dir / uri).resolve()
    if not path.is_file():
        raise TemplateError(f"{place}: file {path} not found")
    return path


def _definition_file_text(path: Path, place: str) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return json.dumps(_load_yaml(text))
        except ValueError as error:
            raise TemplateError(f"{place}, property DefinitionUri: {path} is not valid YAML: {error}") from None
    return text


def _load_yaml(text: str) -> Any:
    """Parse YAML, keeping unquoted timestamps as the strings they were written as.

    PyYAML turns ``2026-01-01T00:00:00Z`` into a datetime, which is not JSON,
    while a definition's Timestamp field and any input need the text itself.
    Raises ValueError for invalid YAML.
    """
    import yaml

    class StringTimestampLoader(yaml.SafeLoader):
        pass

    StringTimestampLoader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        return yaml.load(text, Loader=StringTimestampLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None


def _inline_definition_text(definition: Any, place: str) -> tuple[str, dict[str, Any]]:
    """Serialize an inline definition the way the SAM translator does.

    Each intrinsic function inside becomes a ``${definition_substitution_N}``
    string placeholder, so its value lands inside a JSON string, as it does
    when deployed. For example, a ``!Ref`` to a Number parameter in
    ``TimeoutSeconds`` becomes a string, and validation rejects it, as AWS does.
    Returns the JSON text and the intrinsic function behind each placeholder.
    """
    if not isinstance(definition, dict):
        raise TemplateError(f"{place}: expected a mapping, got {type(definition).__name__}")
    intrinsics: dict[str, Any] = {}

    def replace(value: Any) -> Any:
        if is_intrinsic(value):
            key = f"definition_substitution_{len(intrinsics) + 1}"
            intrinsics[key] = value
            return "${" + key + "}"
        if isinstance(value, dict):
            return {key: replace(value[key]) for key in sorted(value)}
        if isinstance(value, list):
            return [replace(item) for item in value]
        return value

    return json.dumps(replace(definition)), intrinsics


def _substitute(text: str, substitutions: dict[str, Any]) -> tuple[str, list[str]]:
    """Replace ``${Name}`` anywhere in the definition's JSON text, as Step Functions does.

    Returns the text and the names that no substitution sets, in order of first use;
    their placeholders stay in the text.
    """
    unresolved: list[str] = []

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in substitutions:
            if key not in unresolved:
                unresolved.append(key)
            return match.group(0)
        # The placeholder sits inside a JSON string, so the value is escaped for one.
        return json.dumps(_environment_text(substitutions[key]))[1:-1]

    return re.sub(PLACEHOLDER_PATTERN, replace, text), unresolved


@dataclass(frozen=True)
class FunctionPlaceholder:
    """A ``${Name}`` placeholder left in the function that a Task state calls."""

    state: str
    # JSON path of the field: $.States.Charge.Resource or $.States.Charge.Parameters.FunctionName.
    path: str
    # The placeholder as written, ${Name}.
    placeholder: str

    @property
    def name(self) -> str:
        return self.placeholder[2:-1]


def find_function_placeholders(definition: Any) -> list[FunctionPlaceholder]:
    """Find ``${Name}`` placeholders in Task Resources and lambda:invoke FunctionNames, nested states included.

    Such a Task would fail with Lambda.ResourceNotFoundException at run time,
    and a Catch could even turn that into a success, so runs check this first.
    """
    found: list[FunctionPlaceholder] = []
    for name, path, state in _iterate_states_with_paths(definition, "$"):
        if state.get("Type") != "Task":
            continue
        fields = [("Resource", state.get("Resource"))]
        if state.get("Resource") in LAMBDA_INVOKE_RESOURCES:
            for key in ("Parameters", "Arguments"):
                arguments = state.get(key)
                if isinstance(arguments, dict):
                    fields.append((f"{key}.FunctionName", arguments.get("FunctionName")))
        for field_path, value in fields:
            if not isinstance(value, str):
                continue
            for match in re.finditer(PLACEHOLDER_PATTERN, value):
                found.append(FunctionPlaceholder(str(name), f"{path}.{field_path}", match.group(0)))
    return found


def check_function_placeholders(definition: Any, spec: MachineSpec) -> None:
    """Raise `TemplateError` when a Task of `spec` calls a function through a placeholder that nothing sets."""
    found = find_function_placeholders(definition)
    if not found:
        return
    lines = [
        f"resource {spec.logical_id}: state {item.state!r} calls {item.placeholder} ({item.path}), "
        f"which no DefinitionSubstitutions entry sets"
        for item in found
    ]
    names = list(dict.fromkeys(item.name for item in found))
    subject = names[0] if len(names) == 1 else "these names"
    advice = (
        f"Add {subject} to the DefinitionSubstitutions of {spec.logical_id} "
        f"(for example {names[0]}: !GetAtt MyFunction.Arn), or mock the state."
    )
    raise TemplateError("\n  ".join([*lines, advice]))


def check_runnable(app: TemplateApp, spec: MachineSpec, definition: dict) -> None:
    """Raise `TemplateError` for what would make a run of `definition` fail for a template reason.

    `definition` is the machine's definition with its mocks applied, because a
    mocked state no longer calls its placeholder.
    """
    check_function_placeholders(definition, spec)
    for function in app.functions.values():
        if function.invalid is not None:
            raise TemplateError(f"resource {function.logical_id}: {function.invalid}")


def _iterate_states_with_paths(definition: Any, path: str) -> Iterator[tuple[str, str, dict]]:
    """Yield the name, JSON path and body of every state, nested ones included; skip malformed parts."""
    states = definition.get("States") if isinstance(definition, dict) else None
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        state_path = f"{path}.States.{name}"
        yield name, state_path, state
        branches = state.get("Branches")
        for index, branch in enumerate(branches if isinstance(branches, list) else []):
            yield from _iterate_states_with_paths(branch, f"{state_path}.Branches[{index}]")
        for key in ("ItemProcessor", "Iterator"):
            yield from _iterate_states_with_paths(state.get(key), f"{state_path}.{key}")


class _Resolver:
    """Resolve intrinsic functions to the values a local stack would have."""

    PSEUDO_PARAMETERS = {
        "AWS::AccountId": LOCAL_ACCOUNT_ID,
        "AWS::Partition": "aws",
        "AWS::StackName": "heaviside-local",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackId": f"arn:aws:cloudformation:{DEFAULT_REGION}:{LOCAL_ACCOUNT_ID}:stack/heaviside-local/local",
    }

    def __init__(self, template: dict, parameters: Mapping[str, Any], region: str):
        self.template = template
        self.parameters = dict(parameters)
        self.region = region
        self.resources = template.get("Resources") or {}

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT_ID}:function:{name}"

    def resolve(self, value: Any, place: str) -> Any:
        """Return `value` with every intrinsic function replaced by its local value."""
        if isinstance(value, list):
            return [self.resolve(item, place) for item in value]
        if not isinstance(value, dict):
            return value
        if is_intrinsic(value):
            function, argument = next(iter(value.items()))
            return self._evaluate(function, argument, place)
        return {key: self.resolve(item, place) for key, item in value.items()}

    def _evaluate(self, function: str, argument: Any, place: str) -> Any:
        try:
            return self._evaluate_function(function, argument, place)
        except (TypeError, ValueError, IndexError, AttributeError) as error:
            raise TemplateError(f"{place}: malformed {function} {json.dumps(argument)}: {error}") from None

    def _evaluate_function(self, function: str, argument: Any, place: str) -> Any:
        if function == "Ref":
            return self._ref(argument, place)
        if function == "Fn::GetAtt":
            target, _, attribute = argument.partition(".") if isinstance(argument, str) else (argument[0], "", argument[1])
            return self._get_att(target, attribute, place)
        if function == "Fn::Sub":
            return self._sub(argument, place)
        if function == "Fn::Join":
            delimiter, items = argument
            return str(delimiter).join(str(item) for item in self.resolve(items, place))
        if function == "Fn::Select":
            index, items = self.resolve(argument, place)
            return items[int(index)]
        if function == "Fn::Split":
            delimiter, text = self.resolve(argument, place)
            return str(text).split(delimiter)
        raise TemplateError(f"{place}: the intrinsic function {function} is not supported in local runs; use a literal value")

    def _ref(self, name: Any, place: str) -> Any:
        if name == "AWS::Region":
            return self.region
        if name in self.PSEUDO_PARAMETERS:
            return self.PSEUDO_PARAMETERS[name]
        if name in self.parameters:
            return self.parameters[name]
        declared = (self.template.get("Parameters") or {}).get(name)
        if declared is not None:
            if "Default" not in declared:
                raise TemplateError(f"{place}: parameter {name} has no Default; give it one to run the template locally")
            return declared["Default"]
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"{place}: Ref to {name!r}, which is neither a parameter nor a resource of the template")
        if resource.get("Type") in FUNCTION_TYPES:
            return self.resolve((resource.get("Properties") or {}).get("FunctionName", name), place)
        return name

    def _get_att(self, target: str, attribute: str, place: str) -> Any:
        resource = self.resources.get(target)
        if resource is None:
            raise TemplateError(f"{place}: GetAtt of {target!r}, which is not a resource of the template")
        if resource.get("Type") in FUNCTION_TYPES and attribute == "Arn":
            return self.function_arn(str(self._ref(target, place)))
        raise TemplateError(f"{place}: GetAtt {target}.{attribute} is not supported in local runs; only a function's Arn is")

    def _sub(self, argument: Any, place: str) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {key: self.resolve(value, place) for key, value in variables.items()}

        def replace(match: re.Match) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in values:
                return str(values[expression])
            if "." in expression:
                target, _, attribute = expression.partition(".")
                return str(self._get_att(target, attribute, place))
            return str(self._ref(expression, place))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


# ---------------------------------------------------------------------------
# Handlers

# Code folders whose modules were imported, so that a module of the same name
# from another template does not shadow them.
_imported_code_dirs: set[Path] = set()
_import_lock = threading.Lock()


def import_handler(function: FunctionSpec) -> Callable:
    """Import a function's handler from its code folder, as Lambda's Python runtime does.

    ``Handler: orders.validate_order`` loads ``orders.py`` (or the package
    ``orders``) from the CodeUri folder and returns its ``validate_order``.
    Raises `TemplateError` naming the function when the import fails.
    """
    assert function.code_dir is not None and function.handler is not None
    module_name, _, attribute = function.handler.rpartition(".")
    module_name = module_name.replace("/", ".")
    place = f"resource {function.logical_id}, property Handler {function.handler!r}"
    if not module_name or not attribute:
        raise TemplateError(f"{place}: expected MODULE.FUNCTION, for example app.handler")

    with _import_lock:
        _forget_modules_of_other_code_dirs(function.code_dir)
        sys.path.insert(0, str(function.code_dir))
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise TemplateError(f"{place}: cannot import {module_name} from {function.code_dir}: {error}") from None
        except Exception as error:  # the user's module failed while it was imported
            raise TemplateError(
                f"{place}: importing {module_name} from {function.code_dir} failed with "
                f"{type(error).__name__}: {error}"
            ) from error
        finally:
            sys.path.remove(str(function.code_dir))
        _imported_code_dirs.add(function.code_dir)

    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise TemplateError(f"{place}: {module.__file__} has no function {attribute!r}")
    return handler


def _forget_modules_of_other_code_dirs(code_dir: Path) -> None:
    # NOTE: handlers keep references to the modules they imported, so removing
    # the entries from sys.modules leaves handlers of earlier templates working.
    others = [other for other in _imported_code_dirs if other != code_dir]
    if not others:
        return
    for name, module in list(sys.modules.items()):
        module_file = getattr(module, "__file__", None)
        if module_file and any(Path(module_file).is_relative_to(other) for other in others):
            del sys.modules[name]


@contextlib.contextmanager
def function_environment(app: TemplateApp) -> Iterator[None]:
    """Set the functions' environment variables and put their code folders on sys.path for a run.

    Lambda keeps a function's code folder on the path, so a handler may import
    a sibling module inside a function body too.
    """
    variables = app.environment()
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    code_dirs = sorted({str(f.code_dir) for f in app.functions.values() if f.code_dir is not None and f.unsupported is None})
    added = [folder for folder in code_dirs if folder not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for folder in added:
            if folder in sys.path:
                sys.path.remove(folder)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ---------------------------------------------------------------------------
# Mocked states


class MockedFunctionError(Exception):
    """The error a mocked Task raises for a ``Throw`` response.

    Its ``__name__`` is set per response to the mocked Error name, so the
    engine reports it as the function's ``errorType``, as for a real handler.
    """


class StateMock:
    """The responses of one mocked Task state, by invocation number (0-based).

    The invocation counter lives in shared memory, so it counts across the
    worker processes that the local Lambda endpoint forks from this one.
    """

    def __init__(self, state: str, responses: list[tuple[int, int | None, dict]]):
        self.state = state
        # (first invocation, last invocation or None for all later ones, response)
        self.responses = responses
        self._counter = multiprocessing.get_context("fork").Value("q", 0)

    @property
    def invocations(self) -> int:
        return self._counter.value

    def __call__(self, event: Any, context: Any = None) -> Any:
        with self._counter.get_lock():
            number = self._counter.value
            self._counter.value += 1
        response = self._response(number)
        if "Throw" in response:
            thrown = response["Throw"]
            error_type = type(str(thrown.get("Error", "MockedError")), (MockedFunctionError,), {})
            raise error_type(str(thrown.get("Cause", "")))
        return response["Return"]

    def _response(self, number: int) -> dict:
        for first, last, response in self.responses:
            if number >= first and (last is None or number <= last):
                return response
        raise MockedFunctionError(f"the mock of state {self.state!r} has no response for invocation {number}")


def parse_mock(state: str, spec: Any, origin: str) -> StateMock:
    """Build a `StateMock` from a response specification.

    The specification is ``{"Return": value}`` or ``{"Throw": {"Error": ...,
    "Cause": ...}}`` for every invocation, or a mapping from invocation numbers
    and ranges ("0", "1-3") to such responses, as in Step Functions Local's
    mock configuration file.
    """
    place = f"{origin}: mock of state {state!r}"
    if not isinstance(spec, dict) or not spec:
        raise TemplateError(f"{place}: expected an object with Return or Throw, got {spec!r}")
    if "Return" in spec or "Throw" in spec:
        return StateMock(state, [(0, None, _checked_response(spec, place))])

    responses = []
    for key, response in spec.items():
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", str(key))
        if match is None:
            raise TemplateError(f"{place}: {key!r} is neither Return, Throw nor an invocation number such as 0 or 1-3")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        responses.append((first, last, _checked_response(response, f"{place}, invocation {key}")))
    return StateMock(state, sorted(responses, key=lambda entry: entry[0]))


def _checked_response(response: Any, place: str) -> dict:
    if not isinstance(response, dict) or len(response.keys() & {"Return", "Throw"}) != 1:
        raise TemplateError(f"{place}: expected exactly one of Return or Throw, got {response!r}")
    if "Throw" in response and not isinstance(response["Throw"], dict):
        raise TemplateError(f"{place}: Throw must be an object with Error and Cause, got {response['Throw']!r}")
    return response


def read_mock_options(
    mock_options: list[str] | None, mock_file: str | None, machine: MachineSpec | None = None
) -> dict[str, StateMock]:
    """Parse ``--mock State=@file.json`` (or ``State=JSON``) options and a ``--mock-file``.

    A mock file is a JSON or YAML object that maps state names to response
    specifications (see `parse_mock`), or a Step Functions Local mock
    configuration file (see `_step_functions_local_mocks`), which needs
    `machine`. ``--mock`` options win over the file.
    """
    mocks: dict[str, StateMock] = {}
    if mock_file:
        path_text, _, test_case = mock_file.partition("#")
        origin = f"--mock-file {mock_file}"
        content = _read_json_or_yaml(Path(path_text), "--mock-file")
        if not isinstance(content, dict):
            raise TemplateError(f"{origin}: expected an object that maps state names to responses")
        if "StateMachines" in content and "MockedResponses" in content:
            specs = _step_functions_local_mocks(content, machine, test_case or None, origin)
        else:
            specs = content
        for state, spec in specs.items():
            mocks[state] = parse_mock(state, spec, origin)

    for option in mock_options or []:
        state, separator, value = option.partition("=")
        if not separator or not state:
            raise TemplateError(f"--mock {option!r}: expected STATE=@FILE or STATE=JSON")
        mocks[state] = parse_mock(state, read_json_argument(value, f"--mock {state}"), f"--mock {state}")
    return mocks


def _step_functions_local_mocks(content: dict, machine: MachineSpec | None, test_case: str | None, origin: str) -> dict:
    """Return the response specifications of one test case of a Step Functions Local mock file.

    The file maps ``StateMachines.<name>.TestCases.<case>.<state>`` to a name
    in ``MockedResponses``. The machine is found by its ``Name`` or logical id,
    and the test case is the one after ``#`` in ``--mock-file FILE#CASE``, or
    the machine's only one. Such files give a Lambda task's response as the
    integration returns it (``{"StatusCode": 200, "Payload": ...}``), so the
    ``Payload`` becomes what the mocked function returns.
    """
    if machine is None:
        raise TemplateError(f"{origin}: a Step Functions Local mock file needs the state machine's name")
    machines = content.get("StateMachines") or {}
    entry = machines.get(machine.name) or machines.get(machine.logical_id)
    if not isinstance(entry, dict):
        listed = ", ".join(sorted(machines)) or "none"
        raise TemplateError(f"{origin}: no StateMachines entry for {machine.name!r} or {machine.logical_id!r}; it has: {listed}")

    test_cases = entry.get("TestCases") or {}
    if test_case is None:
        if len(test_cases) != 1:
            listed = ", ".join(sorted(test_cases)) or "none"
            raise TemplateError(f"{origin}: choose a test case with --mock-file FILE#CASE; the cases are: {listed}")
        test_case = next(iter(test_cases))
    if test_case not in test_cases:
        raise TemplateError(f"{origin}: test case {test_case!r} not found; the cases are: {', '.join(sorted(test_cases))}")

    responses = content.get("MockedResponses") or {}
    specs = {}
    for state, response_name in test_cases[test_case].items():
        if response_name not in responses:
            raise TemplateError(f"{origin}: state {state!r} uses the response {response_name!r}, which MockedResponses lacks")
        specs[state] = _unwrap_payloads(responses[response_name])
    return specs


def _unwrap_payloads(spec: Any) -> Any:
    """Replace each ``Return`` of a Lambda integration response by its ``Payload``."""

    def unwrap(response: Any) -> Any:
        returned = response.get("Return") if isinstance(response, dict) else None
        if isinstance(returned, dict) and "Payload" in returned and "StatusCode" in returned:
            return {**response, "Return": returned["Payload"]}
        return response

    if isinstance(spec, dict) and ("Return" in spec or "Throw" in spec):
        return unwrap(spec)
    if isinstance(spec, dict):
        return {key: unwrap(response) for key, response in spec.items()}
    return spec


def read_json_argument(value: str, option: str) -> Any:
    """Read a command line value given as JSON text or as ``@FILE`` (JSON or YAML)."""
    if value.startswith("@"):
        return _read_json_or_yaml(Path(value[1:]), option)
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise TemplateError(f"{option}: invalid JSON ({error}); pass JSON text or @FILE") from None


def _read_json_or_yaml(path: Path, option: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"{option}: cannot read {path}: {error.strerror}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return _load_yaml(text)
        except ValueError as error:
            raise TemplateError(f"{option}: {path} is not valid YAML: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateError(f"{option}: {path} is not valid JSON: {error}") from None


def apply_mocks(definition: dict, mocks: Mapping[str, StateMock], region: str) -> tuple[dict, dict[str, Callable]]:
    """Point each mocked Task state at a function of its own.

    Returns a copy of the definition and the functions to add to the run,
    keyed by name and ARN. A direct function ``Resource`` is replaced. For
    ``arn:aws:states:::lambda:invoke``, the ``FunctionName`` argument is
    replaced instead, so the engine still shapes the result (``Payload``,
    ``StatusCode`` ...) around the mock's ``Return`` value.
    """
    definition = json.loads(json.dumps(definition))
    states = dict(_iterate_states(definition))
    functions: dict[str, Callable] = {}
    for position, (state_name, mock) in enumerate(sorted(mocks.items()), start=1):
        state = states.get(state_name)
        if state is None:
            raise TemplateError(f"mock of state {state_name!r}: the state machine has no state of that name")
        if state.get("Type") != "Task":
            raise TemplateError(f"mock of state {state_name!r}: only Task states can be mocked, this is a {state.get('Type')} state")

        function_name = f"heaviside-mock-{position}"
        function_arn = f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
        if state.get("Resource") in LAMBDA_INVOKE_RESOURCES:
            arguments = state.get("Arguments") if isinstance(state.get("Arguments"), dict) else state.get("Parameters")
            if not isinstance(arguments, dict):
                raise TemplateError(f"mock of state {state_name!r}: lambda:invoke without Parameters or Arguments")
            arguments.pop("FunctionName.$", None)
            arguments["FunctionName"] = function_arn
        else:
            state["Resource"] = function_arn
        functions[function_name] = mock
        functions[function_arn] = mock
    return definition, functions


def _iterate_states(definition: dict) -> Iterator[tuple[str, dict]]:
    """Yield every state of a definition, nested ones included (names are unique machine-wide)."""
    for name, state in (definition.get("States") or {}).items():
        yield name, state
        for branch in state.get("Branches") or []:
            yield from _iterate_states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _iterate_states(state[key])


# ---------------------------------------------------------------------------
# Running an execution


@dataclass(frozen=True)
class RunResult:
    """The outcome of one local execution, and the states it entered.

    `states_entered` lists every state entered, in order of entry; states of
    concurrent Parallel branches and Map iterations interleave in the order
    they happened to run. Runs through the Lambda path read it from the
    execution's history; it is None when ``HEAVISIDE_HISTORY`` is off there.
    """

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states_entered: tuple[str, ...] | None = ()
    execution_arn: str | None = None


def run_machine(
    template: TemplateApp | str | os.PathLike,
    execution_input: Any = None,
    *,
    machine: str | None = None,
    mocks: Mapping[str, StateMock | Callable] | None = None,
    time_scale: float = 1.0,
    through: str = "inprocess",
    execution_name: str | None = None,
    observe: Callable[[TraceRecord], None] | None = None,
    state_dir: str | os.PathLike | None = None,
) -> RunResult:
    """Run one execution of a template's state machine and return its outcome.

    `mocks` maps Task state names to a `StateMock` or to a callable
    ``(event, context)`` that replaces the function for that state only.
    `time_scale` (> 0) multiplies Wait and retry delays, and Task and
    execution timeouts too. `through` is ``inprocess`` (the in-process runner)
    or ``lambda`` (the local Lambda endpoint, as deployed functions would run).
    `observe` receives the trace records of `heaviside.local.trace` as they
    happen (in-process runs only). With `state_dir`, the definition and an
    execution record are stored there (see `heaviside.local.records`), and
    an execution name already recorded raises `RecordError`.
    """
    app = template if isinstance(template, TemplateApp) else load_template(template)
    spec = app.machine(machine)
    definition, mock_functions = apply_mocks(spec.definition, mocks or {}, app.region)
    if through not in ("inprocess", "lambda"):
        raise TemplateError(f"--through {through!r}: expected inprocess or lambda")
    check_runnable(app, spec, definition)

    states_entered: list[str] = []

    def record_trace(record: TraceRecord) -> None:
        # The runner calls this on one thread, so the list needs no lock.
        if isinstance(record, StateEntered):
            states_entered.append(record.state)
        if observe is not None:
            observe(record)

    names = _context_names(spec, execution_name)
    recorder = None
    if state_dir is not None:
        recorder = ExecutionRecorder(state_dir)
        if spec.execution_type == "STANDARD":
            recorder.check_name_unused(_standard_execution_arn(spec, names["execution"]), names["execution"])
        digest = recorder.put_definition(definition)

    start_ms = _epoch_ms()
    with function_environment(app):
        functions = {**app.handlers(), **mock_functions}
        if through == "inprocess":
            from heaviside.local import run

            execution = run(
                definition,
                execution_input,
                functions=functions,
                time_scale=time_scale,
                names=names,
                execution_type=spec.execution_type,
                observe=record_trace,
            )
        else:
            # The states are entered in the endpoint's worker processes, so
            # `observe` receives them from the execution's history once the run
            # has ended, and only the StateEntered records.
            execution = _run_through_lambda(app, spec, definition, execution_input, functions, time_scale, names)
            states_entered = execution.states_entered
            if observe is not None:
                _replay_history(getattr(execution, "history", None), observe)
    stop_ms = _epoch_ms()

    if recorder is not None:
        if execution.start_time is not None:
            # The in-process runner's start time, which $$.Execution.StartTime shows.
            start_ms = int(execution.start_time.timestamp() * 1000)
        recorder.record(
            execution_arn=execution.execution_arn,
            name=names["execution"],
            state_machine=spec.name,
            digest=digest,
            execution_input=execution_input,
            status=execution.status,
            output=execution.output,
            error=execution.error,
            cause=execution.cause,
            start_time=start_ms,
            stop_time=stop_ms,
        )

    return RunResult(
        status=execution.status,
        output=execution.output,
        error=execution.error,
        cause=execution.cause,
        states_entered=None if states_entered is None else tuple(states_entered),
        execution_arn=execution.execution_arn or None,
    )


def _context_names(spec: MachineSpec, execution_name: str | None) -> dict[str, str]:
    import uuid

    return {
        "state_machine": spec.name,
        "execution": execution_name or str(uuid.uuid4()),
        "role_arn": f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{spec.name}-role",
    }


def _standard_execution_arn(spec: MachineSpec, execution_name: str) -> str:
    """Return the ARN that both local paths give a Standard execution of `spec` named `execution_name`."""
    from heaviside.local.runner import ACCOUNT, REGION

    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{spec.name}:{execution_name}"


def _epoch_ms() -> int:
    return int(time.time() * 1000)


def _replay_history(history, observe: Callable[[TraceRecord], None]) -> None:
    """Send the states of a Lambda-path history to `observe`, timed in real seconds since the first."""
    if not history:
        return
    from heaviside.runtime.stores.base import sort_history

    entries = sort_history(list(history))
    first_time = entries[0].time
    for entry in entries:
        # Entry times are wall-clock microseconds from the worker processes.
        seconds = (entry.time - first_time) / 1e6
        for state, state_type in entry.states:
            observe(StateEntered(seconds, state, state_type))


def _run_through_lambda(
    app: TemplateApp,
    spec: MachineSpec,
    definition: dict,
    execution_input: Any,
    functions: dict[str, Callable],
    time_scale: float,
    names: dict[str, str],
) -> Any:
    """Run the execution through the invoker, the task decorator and the local Lambda endpoint."""
    try:
        from heaviside.runtime.testing import run_through_lambda
    except ImportError as error:
        raise TemplateError(f"--through lambda is not available in this installation: {error}") from None

    # run_through_lambda applies @heaviside.task itself, so decorated handlers
    # are passed undecorated, as the deployed function would run them.
    undecorated = {
        key: handler.__wrapped__ if getattr(handler, "__heaviside_task__", False) else handler
        for key, handler in functions.items()
    }
    try:
        return run_through_lambda(
            definition,
            execution_input,
            functions=undecorated,
            time_scale=time_scale,
            names=names,
            execution_type=spec.execution_type,
            environment=app.environment(),
        )
    except RuntimeError as error:
        # moto is missing, the moto server did not start, or the invoker failed to start the execution.
        raise TemplateError(f"--through lambda: {error}") from error


# ---------------------------------------------------------------------------
# Command line


def add_template_arguments(parser) -> None:
    """Add the options of ``heaviside run TEMPLATE`` that a definition run does not have.

    For ``heaviside run``'s own parser: options it already defines are skipped.
    """
    existing = {option for action in parser._actions for option in action.option_strings}
    options = [
        ("--mock", dict(action="append", default=[], metavar="STATE=@FILE",
                        help="replace the Task state STATE by a mock response, given as JSON text or @FILE "
                             "(JSON or YAML): {\"Return\": value} or {\"Throw\": {\"Error\": ..., \"Cause\": ...}}; "
                             "repeat for several states")),
        ("--mock-file", dict(metavar="FILE", help="JSON or YAML file that maps state names to mock responses")),
        ("--through", dict(choices=["inprocess", "lambda"], default="inprocess",
                           help="template runs: inprocess (default) runs the execution with the in-process runner; lambda runs it "
                                "through the heaviside runtime, with each function behind a local Lambda endpoint "
                                "and the stores on a moto server on 127.0.0.1 (needs the test extra)")),
        ("--execution-name", dict(metavar="NAME", help="name of the execution in the context object (default: a UUID)")),
        ("--state-dir", dict(metavar="DIR",
                             help=f"template runs: store the definition and the execution record in DIR "
                                  f"(default: {DEFAULT_STATE_DIR} in the current directory)")),
    ]
    for option, settings in options:
        if option not in existing:
            parser.add_argument(option, **settings)


def run_template(args) -> int:
    """Run ``heaviside run TEMPLATE [MACHINE] --input JSON|@FILE`` and return the exit status.

    Reads these attributes of `args` (missing ones take their defaults):
    ``template`` (or ``definition``), ``machine``, ``input``, ``mock``,
    ``mock_file``, ``time_scale``, ``through``, ``trace``, ``execution_name``,
    ``state_dir``. Prints each state entered, retries and Map progress to
    stderr, and the outcome as JSON to stdout. Records the execution in the
    state directory. Returns 0 when the execution succeeded, 1 when it failed
    or timed out, and 2 when the template or an option is invalid.
    """
    from heaviside.asl.errors import InvalidDefinition

    template_path = getattr(args, "template", None) or getattr(args, "definition", None)
    time_scale = getattr(args, "time_scale", None)
    time_scale = 1.0 if time_scale is None else float(time_scale)
    if not time_scale > 0:
        _print_status(f"heaviside run: --time-scale must be greater than 0, got {time_scale}")
        return 2
    try:
        app = load_template(template_path)
        spec = app.machine(getattr(args, "machine", None))
        execution_input = _read_input(getattr(args, "input", None))
        mocks = read_mock_options(getattr(args, "mock", None), getattr(args, "mock_file", None), spec)
        check_runnable(app, spec, apply_mocks(spec.definition, mocks, app.region)[0])
        printer = ProgressPrinter(spec.definition, verbose=bool(getattr(args, "trace", False)))
        through = getattr(args, "through", None) or "inprocess"
        if through == "lambda":
            _print_status(
                f"Running {spec.name} ({spec.logical_id}) from {template_path} through the local Lambda endpoint "
                "(states entered are shown when the execution has ended, with real elapsed times)"
            )
        else:
            _print_status(f"Running {spec.name} ({spec.logical_id}) from {template_path}")
            if time_scale != 1:
                _print_status(time_scale_note(time_scale))
        result = run_machine(
            app,
            execution_input,
            machine=spec.logical_id,
            mocks=mocks,
            time_scale=time_scale,
            through=through,
            execution_name=getattr(args, "execution_name", None),
            observe=printer.record,
            state_dir=getattr(args, "state_dir", None) or DEFAULT_STATE_DIR,
        )
    except InvalidDefinition as error:
        _print_status(f"heaviside run: the definition of state machine {spec.logical_id} in {spec.source} is invalid:")
        for problem in error.errors:
            _print_status(f"  {problem}")
        return 2
    except (HeavisideError, ValueError) as error:
        _print_status(f"heaviside run: {error}")
        return 2

    printer.finish()
    _print_status(f"Recorded execution {result.execution_arn} in {getattr(args, 'state_dir', None) or DEFAULT_STATE_DIR}")
    outcome: dict[str, Any] = {"status": result.status}
    if result.status == "SUCCEEDED":
        outcome["output"] = result.output
    else:
        outcome.update({key: value for key, value in (("error", result.error), ("cause", result.cause)) if value is not None})
    print(json.dumps(outcome, indent=2, ensure_ascii=False))
    return 0 if result.status == "SUCCEEDED" else 1


def _read_input(value: str | None) -> Any:
    if value is None:
        return {}
    return read_json_argument(value, "--input")


def time_scale_note(time_scale: float) -> str:
    """Explain the times of the progress lines of a run with a time scale other than 1."""
    return (
        f"Times are execution time: at --time-scale {time_scale:g}, 1 s of execution time passes "
        f"in {time_scale:g} s of real time, so a handler that takes 0.01 s shows as {0.01 / time_scale:g} s."
    )


def _print_status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ProgressPrinter:
    """Print the trace records of a run, folding the iterations of each Map into progress lines.

    With `verbose`, every record is printed except the iteration counts,
    because every state of every iteration is printed then. Without it, the
    states inside Map iterations are not printed, and neither are their
    retries and errors. Instead each Map that is not itself inside a Map
    prints how many of its iterations ended: at the first, then at most once
    per `interval` seconds of real time, whenever a state outside every Map
    is entered, and when the last one ends. Retries inside the Map's
    iterations are counted in that line.
    """

    def __init__(self, definition: dict, *, verbose: bool = False, interval: float = 1.0):
        self.verbose = verbose
        self.interval = interval
        # Every state inside a Map's iterations, mapped to its outermost Map state.
        self.outermost_map: dict[str, str] = {}
        self._index_maps(definition, outer_map=None)
        # Per outermost Map state: its latest IterationEnded record, and retries inside it.
        self.progress: dict[str, IterationEnded] = {}
        self.retries: dict[str, int] = {}
        # Per Map state: the progress line last printed and when (time.monotonic()).
        self.printed: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def record(self, record: TraceRecord) -> None:
        """Print `record` or fold it into its Map's progress line."""
        with self._lock:
            if self.verbose:
                if not isinstance(record, IterationEnded):
                    _print_status(format_record(record))
                return

            outer_map = self.outermost_map.get(record.state)
            if outer_map is None:
                self._record_outside_maps(record)
            elif isinstance(record, RetryScheduled):
                self.retries[outer_map] = self.retries.get(outer_map, 0) + 1

    def finish(self) -> None:
        """Print the progress lines that changed since they were last printed."""
        with self._lock:
            for map_state in self.progress:
                self._print_progress(map_state, final=True)

    def _record_outside_maps(self, record: TraceRecord) -> None:
        if isinstance(record, MapStarted):
            # A Map entered again (in a loop) counts its iterations afresh.
            self.progress.pop(record.state, None)
            self.retries.pop(record.state, None)
            self.printed.pop(record.state, None)
        if isinstance(record, IterationEnded):
            self.progress[record.state] = record
            self._print_progress(record.state, final=record.ended == record.iterations)
            return
        if isinstance(record, StateEntered):
            for map_state in self.progress:
                self._print_progress(map_state, final=True)
        _print_status(format_record(record))

    def _print_progress(self, map_state: str, final: bool) -> None:
        progress = self.progress[map_state]
        retries = self.retries.get(map_state, 0)
        text = describe_record(progress)
        if retries:
            text += f", {retries} {'retry' if retries == 1 else 'retries'}"

        printed_text, printed_at = self.printed.get(map_state, ("", 0.0))
        now = time.monotonic()
        due = not printed_text or now - printed_at >= self.interval
        if text == printed_text or not (final or due):
            return
        self.printed[map_state] = (text, now)
        _print_status(f"{progress.seconds:10.3f}s  {'':<8}  {text}")

    def _index_maps(self, definition: dict, outer_map: str | None) -> None:
        for name, state in (definition.get("States") or {}).items():
            if outer_map is not None:
                self.outermost_map[name] = outer_map
            for branch in state.get("Branches") or []:
                self._index_maps(branch, outer_map)
            for key in ("ItemProcessor", "Iterator"):
                processor = state.get(key)
                if isinstance(processor, dict):
                    self._index_maps(processor, outer_map or name)
