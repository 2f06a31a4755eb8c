"""load_definition and read_definition: every kind of source, and the errors of
sources that cannot be read or parsed."""

from __future__ import annotations

import json

import pytest

import heaviside
from heaviside.asl.errors import InvalidDefinition
from heaviside.asl.load import load_definition, read_definition

DEFINITION = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"n": 1}, "End": True}}}

YAML_TEXT = """\
StartAt: Wait
States:
  Wait:
    Type: Wait
    Timestamp: 2026-03-14T01:59:00Z
    End: true
"""


def single_problem(error: InvalidDefinition):
    [problem] = error.errors
    return problem


def test_read_dict_returns_it():
    assert read_definition(DEFINITION) is DEFINITION


def test_read_json_text():
    assert read_definition(json.dumps(DEFINITION)) == DEFINITION


def test_read_json_bytes():
    assert read_definition(json.dumps(DEFINITION).encode("utf-8")) == DEFINITION


def test_read_json_file_by_path_object(tmp_path):
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(DEFINITION), encoding="utf-8")

    assert read_definition(path) == DEFINITION


def test_read_json_file_by_path_string(tmp_path):
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(DEFINITION), encoding="utf-8")

    assert read_definition(str(path)) == DEFINITION


def test_read_existing_file_without_suffix(tmp_path):
    path = tmp_path / "definition"
    path.write_text(json.dumps(DEFINITION), encoding="utf-8")

    assert read_definition(str(path)) == DEFINITION


def test_read_text_that_is_not_a_file():
    with pytest.raises(InvalidDefinition) as raised:
        read_definition("not a definition")

    assert "not valid JSON" in single_problem(raised.value).message


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_read_yaml_file(tmp_path, suffix):
    path = tmp_path / f"machine{suffix}"
    path.write_text(YAML_TEXT, encoding="utf-8")

    definition = read_definition(path)

    assert definition["States"]["Wait"]["End"] is True


def test_yaml_timestamp_stays_string(tmp_path):
    path = tmp_path / "machine.yaml"
    path.write_text(YAML_TEXT, encoding="utf-8")

    definition = read_definition(path)

    assert definition["States"]["Wait"]["Timestamp"] == "2026-03-14T01:59:00Z"


def test_invalid_json_reports_line_and_column():
    with pytest.raises(InvalidDefinition) as raised:
        read_definition('{"StartAt": "A",\n  "States": {,}}')

    problem = single_problem(raised.value)
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert problem.path == "$"
    assert "line 2, column 14" in problem.message


def test_invalid_json_file_names_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")

    with pytest.raises(InvalidDefinition) as raised:
        read_definition(path)

    problem = single_problem(raised.value)
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert str(path) in problem.message
    assert "line 1, column 2" in problem.message


def test_invalid_yaml_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("StartAt: A\nStates:\n  A: [unclosed\n", encoding="utf-8")

    with pytest.raises(InvalidDefinition) as raised:
        read_definition(path)

    problem = single_problem(raised.value)
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert "line 4" in problem.message


def test_nan_is_not_json():
    with pytest.raises(InvalidDefinition) as raised:
        read_definition('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": NaN, "End": true}}}')

    assert single_problem(raised.value).code == "INVALID_JSON_DESCRIPTION"


def test_missing_file_is_not_found(tmp_path):
    path = tmp_path / "absent.json"

    with pytest.raises(InvalidDefinition) as raised:
        read_definition(path)

    problem = single_problem(raised.value)
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert "not found" in problem.message


def test_directory_is_not_a_definition(tmp_path):
    with pytest.raises(InvalidDefinition) as raised:
        read_definition(tmp_path)

    assert "directory" in single_problem(raised.value).message


def test_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "machine.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(DEFINITION).encode("utf-8"))

    assert read_definition(path) == DEFINITION


@pytest.mark.parametrize("name", ["empty.json", "empty.yaml"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_text("  \n", encoding="utf-8")

    with pytest.raises(InvalidDefinition) as raised:
        read_definition(path)

    problem = single_problem(raised.value)
    assert problem.code == "INVALID_JSON_DESCRIPTION"
    assert "is empty" in problem.message


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"Comment": "caf\xe9"}')

    with pytest.raises(InvalidDefinition) as raised:
        read_definition(path)

    assert "UTF-8" in single_problem(raised.value).message


def test_deeply_nested_json_text():
    with pytest.raises(InvalidDefinition) as raised:
        read_definition("[" * 100_000 + "]" * 100_000)

    assert single_problem(raised.value).code == "INVALID_JSON_DESCRIPTION"


def test_unsupported_source_type():
    with pytest.raises(TypeError):
        read_definition(42)


def test_load_invalid_definition_lists_problems():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Pass", "End": True}}}

    with pytest.raises(InvalidDefinition) as raised:
        load_definition(definition)

    codes = [problem.code for problem in raised.value.errors]
    assert codes.count("MISSING_TRANSITION_TARGET") == 2
    assert "$.States.A.Next" in str(raised.value)


def test_load_valid_definition_builds_model():
    from heaviside.asl.model import Definition

    loaded = load_definition(json.dumps(DEFINITION))

    assert isinstance(loaded, Definition)


def test_package_level_load_definition(tmp_path):
    path = tmp_path / "machine.yml"
    path.write_text(YAML_TEXT, encoding="utf-8")

    assert heaviside.load_definition(path) is not None


def test_package_level_error_type():
    with pytest.raises(heaviside.InvalidDefinition):
        heaviside.load_definition("{}")


def test_repeated_state_name_in_json_text():
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}'

    with pytest.raises(InvalidDefinition) as raised:
        load_definition(text)

    problem = single_problem(raised.value)
    assert problem.code == "DUPLICATE_STATE_NAME"
    assert problem.path == "$.States.A"


def test_repeated_field_in_json_text():
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "End": true}}}'

    with pytest.raises(InvalidDefinition) as raised:
        load_definition(text)

    problem = single_problem(raised.value)
    assert problem.code == "SCHEMA_VALIDATION_FAILED"
    assert problem.path == "$.States.A.End"


def test_repeated_state_name_in_yaml(tmp_path):
    path = tmp_path / "machine.yaml"
    path.write_text("StartAt: A\nStates:\n  A: {Type: Pass, End: true}\n  A: {Type: Succeed}\n", encoding="utf-8")

    with pytest.raises(InvalidDefinition) as raised:
        load_definition(path)

    assert single_problem(raised.value).code == "DUPLICATE_STATE_NAME"


def test_yaml_list_key_is_unparsable(tmp_path):
    path = tmp_path / "machine.yaml"
    path.write_text("StartAt: A\n? [1, 2]\n: x\n", encoding="utf-8")

    with pytest.raises(InvalidDefinition) as raised:
        read_definition(path)

    assert single_problem(raised.value).code == "INVALID_JSON_DESCRIPTION"


def test_yaml_alias_is_shared_not_repeated(tmp_path):
    path = tmp_path / "machine.yaml"
    path.write_text(
        "StartAt: A\nStates:\n  A: {Type: Pass, Result: &r {k: [1, 2]}, Next: B}\n  B: {Type: Pass, Result: *r, End: true}\n",
        encoding="utf-8",
    )

    definition = load_definition(path)

    assert definition is not None
