"""What a Lambda function imports, and the records that keep that import cheap.

The import time itself is measured by `bench/extras.py imports`, not here.
These tests check which modules get imported, in a fresh interpreter, and
that classes made with `heaviside.asl.model.record` behave like dataclasses.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import subprocess
import sys
import textwrap

import pytest

from heaviside.asl import model
from heaviside.asl.model import ABSENT, build_definition

# Modules that the task decorator path must not import: the CLI, the local
# runner, the validator, the JSONata engine, the optional JSONPath library
# and the AWS SDK (the decorator creates its clients only when it needs them).
UNWANTED_PREFIXES = (
    "heaviside.cli",
    "heaviside.commands",
    "heaviside.local",
    "heaviside.conformance",
    "heaviside.asl.validate",
    "heaviside.asl.validation",
    "heaviside.asl.jsonata",
    "jlens",
    "jsonpath",
    "jsonpath_ng",
    "boto3",
    "botocore",
    "yaml",
    "samtranslator",
    "cfnlint",
    "cfn_flip",
)


def imported_modules(program: str) -> set[str]:
    """Run `program` in a fresh interpreter and return the names of the modules it imported."""
    script = textwrap.dedent(program) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(completed.stdout.splitlines()[-1]))


def unwanted(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.startswith(UNWANTED_PREFIXES))


def test_task_import_loads_nothing_optional():
    modules = imported_modules("import heaviside\nheaviside.task\nheaviside.current")
    assert "heaviside.runtime.decorator" in modules
    assert unwanted(modules) == []


def test_reading_definition_skips_validator():
    program = """
    from heaviside.asl.load import read_definition
    from heaviside.asl.model import build_definition
    build_definition(read_definition('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'))
    """
    modules = imported_modules(program)
    assert "heaviside.asl.load" in modules
    assert not any(name.startswith(("heaviside.asl.validat", "heaviside.asl.jsonata")) for name in modules)


def test_validating_jsonpath_skips_jsonata():
    program = """
    from heaviside.asl.load import load_definition
    load_definition('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": "$.b"}, "End": true}}}')
    """
    modules = imported_modules(program)
    assert "heaviside.asl.validation.machine" in modules
    assert not any(name.startswith(("heaviside.asl.jsonata", "jlens")) for name in modules)


# Model classes: dataclasses whose methods are shared instead of generated.


def test_model_classes_are_dataclasses():
    state = build_definition({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}).states["A"]
    names = [item.name for item in dataclasses.fields(state)]
    assert dataclasses.is_dataclass(state)
    assert names[:3] == ["name", "type", "query_language"]
    assert names[-3:] == ["result", "result_path", "parameters"]


def test_model_keyword_and_positional_arguments():
    by_keyword = model.Retrier(error_equals=("States.ALL",), max_attempts=5)
    by_position = model.Retrier(("States.ALL",), 1, 5)
    assert by_keyword == by_position
    assert by_keyword.interval_seconds == 1
    assert by_keyword.backoff_rate == 2.0
    assert by_keyword.jitter_strategy == "NONE"


def test_model_rejects_bad_arguments():
    with pytest.raises(TypeError, match="missing required arguments: 'error_equals'"):
        model.Retrier()
    with pytest.raises(TypeError, match="unexpected keyword argument 'attempts'"):
        model.Retrier(error_equals=(), attempts=2)
    with pytest.raises(TypeError, match="multiple values for argument 'error_equals'"):
        model.Retrier((), error_equals=())
    with pytest.raises(TypeError, match="takes 7 positional arguments but 8 were given"):
        model.Retrier(*range(8))


def test_model_assignment_raises_frozen_error():
    catcher = model.Catcher(error_equals=("States.ALL",), next="Handle")
    with pytest.raises(dataclasses.FrozenInstanceError):
        catcher.next = "Other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del catcher.next
    assert catcher.next == "Handle"


def test_model_equality_and_hash():
    first = model.Catcher(error_equals=("States.ALL",), next="Handle")
    same = model.Catcher(error_equals=("States.ALL",), next="Handle")
    other = model.Catcher(error_equals=("States.ALL",), next="Other")
    assert first == same
    assert hash(first) == hash(same)
    assert first != other
    assert first != model.Retrier(error_equals=("States.ALL",))
    assert len({first, same, other}) == 2


def test_definition_equality_ignores_raw():
    raw = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    first = build_definition(raw)
    second = build_definition(json.loads(json.dumps(raw)) | {"Comment": None})
    assert first.raw is raw
    assert second.raw != raw
    assert first == second
    assert model.Definition(start_at="A", states={}).raw == {}


def test_definition_raw_default_not_shared():
    first = model.Definition(start_at="A", states={})
    second = model.Definition(start_at="A", states={})
    assert first.raw == {}
    assert first.raw is not second.raw


def test_model_repr_lists_fields():
    retrier = model.Retrier(error_equals=("States.Timeout",))
    text = repr(retrier)
    assert text.startswith("Retrier(error_equals=('States.Timeout',), interval_seconds=1, max_attempts=3")
    definition = model.Definition(start_at="A", states={}, raw={"secret": 1})
    assert "raw" not in repr(definition)
    assert "start_at='A'" in repr(definition)


def test_model_replace_copy_and_pickle():
    retrier = model.Retrier(error_equals=("States.ALL",), max_attempts=0)
    changed = dataclasses.replace(retrier, max_attempts=2)
    assert changed.max_attempts == 2
    assert retrier.max_attempts == 0
    assert copy.deepcopy(retrier) == retrier
    assert pickle.loads(pickle.dumps(retrier)) == retrier
    catcher = model.Catcher(error_equals=("States.ALL",), next="Handle")
    assert pickle.loads(pickle.dumps(catcher)).output is ABSENT


def test_model_match_arguments():
    match model.ProcessorConfig(mode="DISTRIBUTED", execution_type="EXPRESS"):
        case model.ProcessorConfig(mode, execution_type):
            assert (mode, execution_type) == ("DISTRIBUTED", "EXPRESS")
        case _:
            pytest.fail("ProcessorConfig did not match by position")


# Mutable records: the runtime's store records and configuration use `record` too.


def test_mutable_record_assignment_and_hash():
    from heaviside.runtime.stores.base import ExecutionRecord

    first = ExecutionRecord("arn:1", "one", "machine", "digest")
    second = ExecutionRecord("arn:1", "one", "machine", "digest")
    assert first == second
    first.status = "SUCCEEDED"
    assert first.status == "SUCCEEDED"
    assert first != second
    with pytest.raises(TypeError, match="unhashable"):
        hash(first)


def test_mutable_record_factory_not_shared():
    from heaviside.runtime.stores.base import Stores

    first = Stores()
    second = Stores()
    first.extra["key"] = 1
    assert second.extra == {}
    assert first.definitions is None


def test_frozen_runtime_config():
    from heaviside.runtime.config import RuntimeConfig

    config = RuntimeConfig(bucket="b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.bucket = "other"
    assert dataclasses.replace(config, table="t") == RuntimeConfig(bucket="b", table="t")
    assert hash(config) == hash(RuntimeConfig(bucket="b"))


def test_record_keeps_own_methods():
    @model.record
    class Point:
        """A point whose repr and equality are its own."""

        x: int
        y: int = 0

        def __repr__(self) -> str:
            return f"<{self.x}, {self.y}>"

        def __eq__(self, other):
            return isinstance(other, Point) and self.x == other.x

    assert repr(Point(1, 2)) == "<1, 2>"
    assert Point(1, 2) == Point(1, 3)
    assert Point.__hash__ is None
    assert Point.__doc__ == "A point whose repr and equality are its own."


def test_record_rejects_post_init():
    with pytest.raises(TypeError, match="use dataclass"):

        @model.record
        class Checked:
            """A class that needs `__post_init__`."""

            x: int

            def __post_init__(self):
                pass

    with pytest.raises(TypeError, match="use dataclass"):

        @model.record
        class Partial:
            """A class with a field that `__init__` skips."""

            x: int
            y: int = dataclasses.field(default=0, init=False)
