"""Property-based tests: the engine raises nothing but its own errors, whatever the input and events.

Each example takes a definition from the conformance corpus (any query
language), a random execution input, and random driver events (results,
function errors, missing functions, timeouts), and drives the engine to the
end. Every call must return a list of actions; problems of the execution must
end in `Fail`, never in an exception.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine_support import execution_info
from heaviside.asl.model import build_definition
from heaviside.engine import (
    Arrive,
    Cursor,
    DelayElapsed,
    DispatchTask,
    Enter,
    Fail,
    Fork,
    FunctionFailed,
    FunctionNotFound,
    JoinCompleted,
    JoinFailed,
    ScheduleDelay,
    Succeed,
    TaskFailed,
    TaskSucceeded,
    TimedOut,
    advance,
    compile_program,
    start,
)

from tests.conftest import CONFORMANCE_CASES

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)
MAX_STEPS = 200

_definitions = sorted(
    {
        json.dumps(json.loads(path.read_text())["definition"], sort_keys=True)
        for path in CONFORMANCE_CASES.glob("*.json")
    }
)
_programs: dict[int, object] = {}


def program_at(index: int):
    if index not in _programs:
        _programs[index] = compile_program(build_definition(json.loads(_definitions[index])))
    return _programs[index]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)

task_outcomes = st.one_of(
    json_values.map(TaskSucceeded),
    st.builds(
        lambda error, message: FunctionFailed(
            {"errorMessage": message, "errorType": error, "requestId": "r", "stackTrace": []}
        ),
        st.sampled_from(["Exception", "CustomError", "States.TaskFailed"]),
        st.text(max_size=10),
    ),
    st.just(None),  # stands for FunctionNotFound, which needs the function name
    st.builds(TaskFailed, st.sampled_from(["States.Timeout", "Lambda.ServiceException", "E"]), st.just("")),
)


def execution_for(execution_input):
    return execution_info(execution_input, NOW)


def drive(program, execution, actions, draw_outcome, steps):
    """Perform `actions` in order like a driver, and report a drawn outcome for each dispatched task."""
    pending = list(actions)
    arrivals: dict[str, dict] = {}
    forks: dict[str, Fork] = {}
    while pending and steps[0] < MAX_STEPS:
        steps[0] += 1
        action = pending.pop(0)
        assert isinstance(action, (DispatchTask, ScheduleDelay, Fork, Arrive, Succeed, Fail, TimedOut)), action
        if isinstance(action, DispatchTask):
            json.dumps(action.cursor.to_json())
            cursor = Cursor.from_json(json.loads(json.dumps(action.cursor.to_json())))
            outcome = draw_outcome()
            if outcome is None:
                outcome = FunctionNotFound(action.function)
            pending.extend(advance(program, execution, cursor, outcome, NOW))
        elif isinstance(action, ScheduleDelay):
            later = NOW + timedelta(seconds=min(action.seconds, 10**6))
            pending.extend(advance(program, execution, action.cursor, DelayElapsed(), later))
        elif isinstance(action, Fork):
            forks[action.join_id] = action
            arrivals[action.join_id] = {}
            for child in action.children:
                pending.extend(advance(program, execution, child.cursor, Enter(child.input), NOW))
            if not action.children:
                pending.extend(advance(program, execution, action.cursor, JoinCompleted([]), NOW))
        elif isinstance(action, Arrive):
            fork = forks.get(action.join_id)
            if fork is None or action.join_id not in arrivals:
                continue
            arrivals[action.join_id][action.index] = action
            if action.failed:
                del arrivals[action.join_id]
                pending.extend(advance(program, execution, fork.cursor, JoinFailed(action.error or "E", action.cause), NOW))
            elif len(arrivals[action.join_id]) == len(fork.children):
                outputs = [arrivals[action.join_id][index].output for index in range(len(fork.children))]
                del arrivals[action.join_id]
                pending.extend(advance(program, execution, fork.cursor, JoinCompleted(outputs), NOW))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_definitions) - 1), json_values, st.data())
def test_engine_raises_only_defined_errors(index, execution_input, data):
    program = program_at(index)
    execution = execution_for(execution_input)
    actions = start(program, execution, NOW)
    assert isinstance(actions, list)
    drive(program, execution, actions, lambda: data.draw(task_outcomes), [0])
