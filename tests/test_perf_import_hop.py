"""What one Lambda hop imports: a Task hop through the decorator in a fresh interpreter.

The execution is started in this process through the invoker, which stores
the definition and dispatches the first Task. The envelope and the stored
definitions then go to a new interpreter that runs only the hop, as a cold
Lambda container of the Task's function would, and reports the modules it
imported and what it dispatched.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from heaviside.runtime import invoker
from heaviside.runtime.config import RuntimeConfig
from heaviside.runtime.driver import Driver
from heaviside.runtime.stores.base import Stores

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:echo"

# The validator, the JSONata modules and the optional libraries that a hop
# of a JSONPath definition must not import.
UNWANTED_PREFIXES = (
    "heaviside.asl.validate",
    "heaviside.asl.validation",
    "heaviside.asl.jsonata",
    "jlens",
    "jsonpath",
    "jsonpath_ng",
    "heaviside.cli",
    "heaviside.commands",
    "heaviside.local",
    "yaml",
)

HOP_PROGRAM = """
import json
import sys

request = json.loads(sys.stdin.read())

import heaviside
from heaviside.runtime import driver as driver_module
from heaviside.runtime.config import RuntimeConfig
from heaviside.runtime.stores.base import Stores


class StoredDefinitions:
    def __init__(self, texts):
        self.texts = texts

    def put_definition(self, text):
        raise AssertionError("a Task hop stored a definition")

    def get_definition(self, digest):
        return self.texts[digest]


class RecordingDispatcher:
    def __init__(self):
        self.payloads = []

    def invoke_event(self, function, payload, *, execution_id, state):
        self.payloads.append(payload)


class LambdaContext:
    aws_request_id = "request-1"
    function_name = "echo"
    invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:echo"
    client_context = None

    def get_remaining_time_in_millis(self):
        return 900_000


dispatcher = RecordingDispatcher()
driver_module._driver = driver_module.Driver(
    RuntimeConfig(account="111111111111"),
    Stores(definitions=StoredDefinitions(request["definitions"])),
    dispatcher=dispatcher,
    sleep=lambda seconds: None,
)


@heaviside.task
def echo(event, context):
    return event


try:
    echo(request["envelope"], LambdaContext())
    error = None
except Exception as raised:
    error = f"{type(raised).__name__}: {raised}"
print(json.dumps({"modules": sorted(sys.modules), "dispatched": dispatcher.payloads, "error": error}))
"""


class StoredDefinitions:
    """A definition store in memory: the invoker writes to it, the hop process reads a copy."""

    def __init__(self):
        self.texts: dict[str, str] = {}

    def put_definition(self, text: str) -> str:
        from heaviside.runtime.stores.base import definition_digest

        digest = definition_digest(text)
        self.texts[digest] = text
        return digest

    def get_definition(self, digest: str) -> str:
        return self.texts[digest]


class RecordingDispatcher:
    def __init__(self):
        self.payloads: list = []

    def invoke_event(self, function, payload, *, execution_id, state):
        self.payloads.append(payload)


class InvokerContext:
    aws_request_id = "start-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:invoker"

    def get_remaining_time_in_millis(self):
        return 900_000


def start_first_hop(definition: dict, execution_input) -> tuple[dict, dict[str, str]]:
    """Start an execution through the invoker; return the first Task's envelope and the stored definitions."""
    definitions = StoredDefinitions()
    dispatcher = RecordingDispatcher()
    driver = Driver(
        RuntimeConfig(account="111111111111"),
        Stores(definitions=definitions),
        dispatcher=dispatcher,
        sleep=lambda seconds: None,
    )
    request = {"definition": definition, "input": execution_input, "name": "hop-imports", "stateMachine": "hops"}
    invoker.start_execution(driver, request, InvokerContext())
    assert len(dispatcher.payloads) == 1
    return dispatcher.payloads[0], definitions.texts


def run_hop(envelope: dict, definitions: dict[str, str]) -> dict:
    """Run one Task hop in a fresh interpreter; return its modules, dispatched envelopes and error."""
    request = json.dumps({"envelope": envelope, "definitions": definitions})
    completed = subprocess.run(
        [sys.executable, "-c", HOP_PROGRAM], input=request, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout.splitlines()[-1])


def unwanted(modules: list[str]) -> list[str]:
    return sorted(name for name in modules if name.startswith(UNWANTED_PREFIXES))


def two_tasks(query_language: str, first: dict) -> dict:
    return {
        "QueryLanguage": query_language,
        "StartAt": "First",
        "States": {
            "First": {"Type": "Task", "Resource": FUNCTION, "Next": "Second", **first},
            "Second": {"Type": "Task", "Resource": FUNCTION, "End": True},
        },
    }


def test_jsonpath_hop_skips_validator_and_jsonata():
    definition = two_tasks("JSONPath", {"Parameters": {"n.$": "$.n", "fixed": 1}, "ResultPath": "$.first"})
    envelope, definitions = start_first_hop(definition, {"n": 4})

    hop = run_hop(envelope, definitions)

    assert hop["error"] is None
    assert len(hop["dispatched"]) == 1
    assert "heaviside.runtime.decorator" in hop["modules"]
    assert "heaviside.engine" in hop["modules"]
    assert unwanted(hop["modules"]) == []


def test_jsonata_hop_skips_validator():
    definition = two_tasks("JSONata", {"Arguments": {"n": "{% $states.input.n + 1 %}"}})
    envelope, definitions = start_first_hop(definition, {"n": 4})

    hop = run_hop(envelope, definitions)

    assert hop["error"] is None
    assert len(hop["dispatched"]) == 1
    assert "heaviside.asl.jsonata" in hop["modules"]
    assert not any(name.startswith("heaviside.asl.validation") for name in hop["modules"])


@pytest.mark.parametrize(
    "first",
    [
        {"Parameters": {"n.$": "not a path"}},
        {"ResultSelector": {"value.$": "States.Nope($)"}},
    ],
    ids=["path", "intrinsic"],
)
def test_invalid_stored_definition_raises(first):
    envelope, definitions = start_first_hop(two_tasks("JSONPath", {}), {"n": 4})
    # Someone replaced the stored text without going through the invoker.
    broken = json.dumps(two_tasks("JSONPath", first), separators=(",", ":"))
    definitions = {digest: broken for digest in definitions}

    hop = run_hop(envelope, definitions)

    assert hop["error"] is not None
    assert hop["error"].startswith("InvalidDefinition: invalid state machine definition")
    assert hop["dispatched"] == []
