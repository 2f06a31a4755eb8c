"""Property tests: no input, however malformed, makes validation raise.

Definitions come from three sources: arbitrary JSON values, definitions built
from the field names of the language with random values, and corpus
definitions mutated by dropping, retyping and renaming fields.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heaviside.asl.errors import InvalidDefinition, Problem
from heaviside.asl.load import load_definition, read_definition
from heaviside.asl.model import build_definition
from heaviside.asl.validate import validate
from heaviside.asl.validation import fields as field_tables
from heaviside.asl.validation.choice import BOOLEAN_OPERATORS, COMPARISON_OPERATORS
from tests.conftest import CONFORMANCE_CASES

CORPUS = [
    json.loads(path.read_text(encoding="utf-8"))["definition"]
    for path in sorted(CONFORMANCE_CASES.glob("*.json"))[::7]
]

ALL_FIELDS = sorted(
    set().union(*field_tables.SHARED_FIELDS.values(), *field_tables.JSONPATH_FIELDS.values(), *field_tables.JSONATA_FIELDS.values())
    | field_tables.RETRIER_FIELDS
    | COMPARISON_OPERATORS
    | set(BOOLEAN_OPERATORS)
    | {"Variable", "Condition", "ErrorEquals", "StartAt", "States", "Mode", "ProcessorConfig"}
)
TEXT_SAMPLES = [
    "$", "$.a", "$$.Execution", "$var", "$.a[*]", "$..x", "$.[", "States.Format('{}', $.a)",
    "States.Array(", "{% $states.input %}", "{% %}", "{% 1 + %}", "States.ALL", "JSONata",
    "JSONPath", "Pass", "Task", "Map", "Parallel", "Choice", "Wait", "Succeed", "Fail",
    "INLINE", "DISTRIBUTED", "2026-01-01T00:00:00Z", "A", "B", "",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(TEXT_SAMPLES),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(ALL_FIELDS), st.text(max_size=6)), children, max_size=5),
    ),
    max_leaves=25,
)
states = st.dictionaries(
    st.sampled_from(["A", "B", "C", "x" * 81]),
    st.dictionaries(st.sampled_from(ALL_FIELDS), json_values, max_size=6).map(
        lambda state: {**state, "Type": state.get("Type", "Pass")}
    ),
    min_size=1,
    max_size=3,
)
shaped_definitions = st.builds(
    lambda start, state_map, extra: {"StartAt": start, "States": state_map, **extra},
    st.sampled_from(["A", "B", "C"]),
    states,
    st.dictionaries(st.sampled_from(["Comment", "QueryLanguage", "TimeoutSeconds", "Version", "Other"]), json_values, max_size=2),
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_only_problems(result):
    assert isinstance(result, list)
    assert all(isinstance(problem, Problem) for problem in result)
    assert all(problem.path.startswith("$") for problem in result)


@SETTINGS
@given(json_values)
def test_arbitrary_json_never_raises(value):
    assert_only_problems(validate(value))


@SETTINGS
@given(shaped_definitions)
def test_random_states_never_raise(definition):
    assert_only_problems(validate(definition))


def _locations(value, found):
    """Collect every (container, key) pair of a JSON value."""
    if isinstance(value, dict):
        for key in list(value):
            found.append((value, key))
            _locations(value[key], found)
    elif isinstance(value, list):
        for index in range(len(value)):
            found.append((value, index))
            _locations(value[index], found)
    return found


def mutate(data, definition: dict) -> None:
    """Drop, retype or rename up to four fields anywhere in `definition`."""
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        locations = _locations(definition, [])
        if not locations:
            break
        container, key = data.draw(st.sampled_from(locations))
        action = data.draw(st.sampled_from(["drop", "retype", "rename"]))
        if action == "drop":
            del container[key]
        elif action == "retype":
            container[key] = data.draw(json_values)
        elif isinstance(container, dict):
            new_key = data.draw(st.one_of(st.sampled_from(ALL_FIELDS), st.text(max_size=6)))
            container[new_key] = container.pop(key)


@SETTINGS
@given(st.data())
def test_mutated_corpus_never_raises(data):
    definition = copy.deepcopy(data.draw(st.sampled_from(CORPUS)))
    mutate(data, definition)

    assert_only_problems(validate(definition))


@SETTINGS
@given(st.data())
def test_valid_mutation_builds_model(data):
    definition = copy.deepcopy(data.draw(st.sampled_from(CORPUS)))
    mutate(data, definition)

    if validate(definition) == []:
        assert build_definition(definition) is not None


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_only_invalid_definition(text):
    try:
        load_definition(text if text.strip().startswith("{") else "{" + text)
    except InvalidDefinition as error:
        assert error.errors
        assert all(isinstance(problem, Problem) for problem in error.errors)


@SETTINGS
@given(st.text(max_size=200))
def test_random_yaml_only_invalid_definition(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("yaml") / "machine.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        raw = read_definition(path)
    except InvalidDefinition as error:
        assert [problem.code for problem in error.errors] == ["INVALID_JSON_DESCRIPTION"]
        return
    assert_only_problems(validate(raw))
