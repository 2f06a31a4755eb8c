"""Task functions called inline by the engine give exactly what dispatching them gives.

Each case runs a definition twice with the same handlers and the same
clock: once with `inline=` (the engine calls the handlers within its call,
through the Task fast path or the general path), and once by dispatching:
the test performs each `DispatchTask` itself and reports the outcome with
`advance`. The final actions must be equal, cursors and error causes
(which quote history event ids) included.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine_support import execution_info
from heaviside.asl.model import build_definition
from heaviside.engine import (
    DispatchTask,
    Fail,
    FunctionFailed,
    FunctionNotFound,
    ScheduleDelay,
    Succeed,
    TaskSucceeded,
    advance,
    compile_program,
    start,
)
from heaviside.engine import io
from heaviside.engine.lambda_tasks import handler_result_with_size

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
ECHO = "arn:aws:lambda:us-east-1:111111111111:function:echo"


def _execution(execution_input):
    return execution_info(execution_input, NOW)


class Handlers:
    """Calls the test's handlers by bare function name, and a clock that moves one second per call."""

    def __init__(self, handlers: dict):
        self.handlers = handlers
        self.calls: list[tuple[str, object]] = []
        self.seconds = 0

    def invoke(self, function, payload, state):
        name = function.split(":")[-1]
        self.calls.append((state, payload))
        self.seconds += 1
        request_id = f"request-{len(self.calls)}"
        handler = self.handlers.get(name)
        if handler is None:
            return FunctionNotFound(function, request_id)
        try:
            result = handler(payload)
        except Exception as error:  # the handler's failure is the Task's error, as a driver reports it
            payload = {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}
            return FunctionFailed(payload, request_id)
        value, size = handler_result_with_size(result)
        return TaskSucceeded(value, request_id, size)

    def now(self):
        return NOW + timedelta(seconds=self.seconds)


def _inline(definition, execution_input, handlers):
    program = compile_program(build_definition(definition))
    calls = Handlers(handlers)
    actions = start(program, _execution(execution_input), NOW, inline=calls)
    return actions, calls.calls


def _dispatched(definition, execution_input, handlers):
    program = compile_program(build_definition(definition))
    execution = _execution(execution_input)
    calls = Handlers(handlers)
    actions = start(program, execution, NOW)
    while len(actions) == 1 and isinstance(actions[0], DispatchTask) and actions[0].timeout_seconds is None:
        action = actions[0]
        event = calls.invoke(action.function, action.payload, action.state)
        actions = advance(program, execution, action.cursor, event, calls.now())
    return actions, calls.calls


def _both(definition, execution_input, handlers):
    inline, inline_calls = _inline(definition, execution_input, handlers)
    dispatched, dispatched_calls = _dispatched(definition, execution_input, handlers)
    assert inline == dispatched
    assert inline_calls == dispatched_calls
    return inline, inline_calls


def _task(**fields):
    state = {"Type": "Task", "Resource": ECHO}
    state.update(fields)
    return state


def _machine(states: dict, start_at: str | None = None, **top):
    definition = {"StartAt": start_at or next(iter(states)), "States": states}
    definition.update(top)
    return definition


def echo(payload):
    return payload


def test_task_chain_with_every_io_field():
    definition = _machine(
        {
            "A": _task(
                InputPath="$.order",
                Parameters={"id.$": "$.id", "kind": "order"},
                ResultSelector={"seen.$": "$.id"},
                ResultPath="$.a",
                Next="B",
            ),
            "B": _task(ResultPath="$.b", OutputPath="$.b", Next="C"),
            "C": _task(ResultPath=None, End=True),
        }
    )
    actions, calls = _both(definition, {"order": {"id": 7}}, {"echo": echo})
    assert actions == [Succeed({"order": {"id": 7}, "a": {"seen": 7}})]
    assert [state for state, _payload in calls] == ["A", "B", "C"]


def test_task_reading_context_runs_inline():
    definition = _machine(
        {
            "A": _task(Parameters={"entered.$": "$$.State.EnteredTime", "name.$": "$$.State.Name"}, Next="B"),
            "B": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime", "a.$": "$"}, "End": True},
        }
    )
    actions, calls = _both(definition, {}, {"echo": echo})
    # B is entered after A's call, which the clock counts as one second.
    assert actions == [
        Succeed({"entered": "2024-05-01T12:00:01.000Z", "a": {"entered": "2024-05-01T12:00:00.000Z", "name": "A"}})
    ]
    assert len(calls) == 1


def test_failing_task_schedules_same_retry():
    definition = _machine(
        {"A": _task(Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2}], End=True)}
    )

    def fails(payload):
        raise ValueError("no stock")

    actions, calls = _both(definition, {"x": 1}, {"echo": fails})
    assert len(actions) == 1 and isinstance(actions[0], ScheduleDelay)
    assert actions[0].cursor.retries == (1,)
    assert len(calls) == 1


def test_caught_failure_continues_in_call():
    definition = _machine(
        {
            "Start": {"Type": "Pass", "Next": "A"},
            "A": _task(Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "After"}], Next="Never"),
            "Never": {"Type": "Fail", "Error": "Unexpected"},
            "After": _task(ResultPath="$.after", End=True),
        }
    )
    handlers = {"echo": echo}

    def fails(payload):
        raise KeyError("sku")

    handlers["fails"] = fails
    definition["States"]["A"]["Resource"] = ECHO.replace("echo", "fails")
    actions, calls = _both(definition, {"x": 1}, handlers)
    assert isinstance(actions[0], Succeed)
    assert actions[0].output["error"]["Error"] == "KeyError"
    assert [state for state, _payload in calls] == ["A", "After"]


def test_result_selector_error_quotes_event_id():
    definition = _machine(
        {
            "First": _task(ResultPath="$.first", Next="Second"),
            "Second": _task(ResultSelector={"missing.$": "$.nothing"}, End=True),
        }
    )
    actions, calls = _both(definition, {"x": 1}, {"echo": echo})
    assert isinstance(actions[0], Fail)
    assert actions[0].error == "States.Runtime"
    # ExecutionStarted 1; First: entered 2 ... exited 6; Second entered at 7.
    assert "(entered at the event id #7)" in actions[0].cause
    assert len(calls) == 2


def test_task_result_over_limit_fails():
    definition = _machine({"Big": _task(End=True)})
    actions, _calls = _both(definition, {}, {"echo": lambda payload: "x" * io.MAX_STATE_DATA_BYTES})
    assert actions[0].error == "States.DataLimitExceeded"


def test_task_output_over_limit_fails():
    half = "x" * (io.MAX_STATE_DATA_BYTES // 2 + 10)
    definition = _machine({"Grow": _task(ResultPath="$.copy", End=True)})
    actions, _calls = _both(definition, {"text": half}, {"echo": echo})
    assert actions[0].error == "States.DataLimitExceeded"


def test_lambda_invoke_integration_runs_inline():
    definition = _machine(
        {
            "Invoke": _task(
                Resource="arn:aws:states:::lambda:invoke",
                Parameters={"FunctionName": ECHO, "Payload": {"n.$": "$.n"}},
                ResultSelector={"payload.$": "$.Payload", "status.$": "$.StatusCode"},
                End=True,
            )
        }
    )
    actions, _calls = _both(definition, {"n": 3}, {"echo": echo})
    assert actions == [Succeed({"payload": {"n": 3}, "status": 200})]


def test_missing_function_fails_like_lambda():
    definition = _machine({"A": _task(Resource=ECHO.replace("echo", "absent"), End=True)})
    actions, _calls = _both(definition, {}, {"echo": echo})
    assert actions[0].error == "Lambda.ResourceNotFoundException"


def test_task_with_timeout_is_dispatched():
    definition = _machine({"A": _task(TimeoutSeconds=5, End=True)})
    actions, calls = _inline(definition, {}, {"echo": echo})
    assert len(actions) == 1 and isinstance(actions[0], DispatchTask)
    assert calls == []


def test_execution_timeout_turns_inline_off():
    definition = _machine({"A": _task(End=True)}, TimeoutSeconds=60)
    actions, calls = _inline(definition, {}, {"echo": echo})
    assert isinstance(actions[0], DispatchTask)
    assert calls == []


def test_handler_called_once_per_attempt():
    attempts = []

    def flaky(payload):
        attempts.append(payload)
        raise RuntimeError("try again")

    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]
    definition = _machine(
        {
            "A": _task(Resource=ECHO.replace("echo", "flaky"), Catch=catch, Next="Done"),
            "Done": {"Type": "Succeed"},
        }
    )
    _inline(definition, {"n": 1}, {"flaky": flaky})
    assert attempts == [{"n": 1}]


# JSON values as handlers return them: no tuples, no subclasses.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_handler_result_copied_like_json(value):
    copied, size = handler_result_with_size(value)
    assert copied == json.loads(json.dumps(value))
    assert size >= io.json_size(copied)
    if isinstance(value, (dict, list)):
        assert copied is not value


@pytest.mark.parametrize(
    ("value", "expected"),
    [((1, 2), [1, 2]), ({1: "a", None: "b"}, {"1": "a", "null": "b"}), (b'{"a": 1}', {"a": 1}), (b"text", "text")],
)
def test_handler_result_tuple_and_keys_round_trip(value, expected):
    assert handler_result_with_size(value)[0] == expected


def test_handler_result_not_json_raises():
    with pytest.raises(TypeError):
        handler_result_with_size({"when": datetime.now()})


def test_jsonata_assign_now_uses_engine_time():
    """`$now()` in Assign, in Output and in a Catch's Assign all read the engine's time."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Mark",
        "States": {
            "Mark": {
                "Type": "Pass",
                "Assign": {"marked": "{% $now() %}"},
                "Output": {"seen": "{% $now() %}"},
                "Next": "Fails",
            },
            "Fails": {
                "Type": "Task",
                "Resource": ECHO.replace("echo", "fails"),
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"caught": "{% $now() %}"}, "Next": "Report"}],
                "End": True,
            },
            "Report": {"Type": "Pass", "Output": {"marked": "{% $marked %}", "caught": "{% $caught %}"}, "End": True},
        },
    }

    def fails(payload):
        raise ValueError("no")

    actions, _calls = _both(definition, {}, {"fails": fails})
    # The Catch runs after the call, which the test clock counts as one second.
    assert actions == [Succeed({"marked": "2024-05-01T12:00:00.000Z", "caught": "2024-05-01T12:00:01.000Z"})]
