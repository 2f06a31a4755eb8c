"""The envelope codec, its JSON schema in docs/envelope.md, and the size of a deep heaviside context."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from types import SimpleNamespace

import jsonschema
import pytest

from heaviside.asl.load import load_definition
from heaviside.engine import DispatchTask, Enter, ExecutionInfo, Fork, advance, compile_program, start
from heaviside.local.stores import DirectoryBlobStore
from heaviside.runtime import envelope as envelopes
from heaviside.runtime.envelope import HeavisideContext
from heaviside.runtime.errors import EnvelopeError, EnvelopeTooLarge
from tests.conftest import REPO

EXECUTION = "arn:aws:states:us-east-1:111111111111:execution:Machine:run-1"
DIGEST = "ab" * 32


def _schema() -> dict:
    text = (REPO / "docs" / "envelope.md").read_text()
    block = re.search(r"## JSON schema\s+```json\n(.*?)\n```", text, re.S)
    assert block, "docs/envelope.md has no JSON schema block"
    return json.loads(block.group(1))


SCHEMA = _schema()


def _context(**changes) -> HeavisideContext:
    values = dict(
        execution_id=EXECUTION,
        definition_digest=DIGEST,
        cursor={"s": "Work", "e": 3},
        start_time=1_764_892_800_000,
        execution_input={"order": 7},
    )
    values.update(changes)
    return HeavisideContext(**values)


def test_round_trip_keeps_every_field():
    context = _context(
        deadline=1_764_892_900_000,
        role_arn="arn:aws:iam::111111111111:role/r",
        execution_type="EXPRESS",
        hop_id="abc",
        timeout_seconds=2.5,
        due=1_764_892_801_000,
    )
    envelope = envelopes.encode(context, {"a": [1, None]})

    decoded, effective_input = envelopes.decode(json.loads(json.dumps(envelope)))
    assert decoded == context
    assert effective_input == {"a": [1, None]}


def test_encoded_envelope_matches_schema():
    envelope = envelopes.encode(_context(hop_id="h1", timeout_seconds=3), [1, 2])

    jsonschema.validate(envelope, SCHEMA)


def test_optional_fields_left_out():
    envelope = envelopes.encode(_context(execution_input=None), "x")

    assert set(envelope) == {"$heaviside", "x", "d", "c", "s", "input"}


def test_names_come_from_execution_arn():
    context = _context()
    express = _context(execution_id="arn:aws:states:us-east-1:1:express:Machine:run-2:5d1c")

    assert (context.state_machine_name, context.execution_name) == ("Machine", "run-1")
    assert (express.state_machine_name, express.execution_name) == ("Machine", "run-2")


def test_is_envelope_detects_marker():
    assert envelopes.is_envelope({"$heaviside": 1})
    assert not envelopes.is_envelope({"heaviside": 1})
    assert not envelopes.is_envelope([1])


def test_large_input_spills_to_blobs(tmp_path):
    blobs = DirectoryBlobStore(tmp_path)
    large = {"data": "x" * 5_000}
    envelope = envelopes.encode(_context(), large, blobs=blobs, budget=2_000)

    assert "input" not in envelope
    assert set(envelope["refs"]) == {"input"}
    assert envelopes.encoded_size(envelope) <= 2_000
    jsonschema.validate(envelope, SCHEMA)
    assert envelopes.decode(envelope, blobs=blobs)[1] == large


def test_large_cursor_spills_to_blobs(tmp_path):
    blobs = DirectoryBlobStore(tmp_path)
    cursor = {"s": "Work", "v": [{"big": "y" * 5_000}]}
    envelope = envelopes.encode(_context(cursor=cursor), 1, blobs=blobs, budget=2_000)

    assert "c" not in envelope
    jsonschema.validate(envelope, SCHEMA)
    assert envelopes.decode(envelope, blobs=blobs)[0].cursor == cursor


def test_execution_input_spills_over_its_limit(tmp_path):
    blobs = DirectoryBlobStore(tmp_path)
    execution_input = {"long": "z" * 300}
    envelope = envelopes.encode(
        _context(execution_input=execution_input), 1, blobs=blobs, budget=100_000, execution_input_inline_limit=100
    )

    assert set(envelope["refs"]) == {"in"}
    assert envelopes.decode(envelope, blobs=blobs)[0].execution_input == execution_input


def test_over_budget_without_blobs_raises():
    with pytest.raises(EnvelopeTooLarge, match="HEAVISIDE_BUCKET"):
        envelopes.encode(_context(), "x" * 5_000, budget=2_000)


def test_over_budget_after_spilling_raises(tmp_path):
    context = _context(role_arn="arn:aws:iam::1:role/" + "r" * 3_000)

    with pytest.raises(EnvelopeTooLarge, match="HEAVISIDE_ENVELOPE_BUDGET"):
        envelopes.encode(context, "x", blobs=DirectoryBlobStore(tmp_path), budget=2_000)


def test_spilled_part_without_blob_store_raises(tmp_path):
    envelope = envelopes.encode(_context(), "x" * 5_000, blobs=DirectoryBlobStore(tmp_path), budget=2_000)

    with pytest.raises(EnvelopeError, match="no blob store"):
        envelopes.decode(envelope)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"$heaviside": 2}, "version 2"),
        ({"x": 5}, "'x'"),
        ({"s": "soon"}, "'s'"),
        ({"dl": "later"}, "'dl'"),
        ({"t": "FAST"}, "'t'"),
        ({"h": 1}, "'h'"),
        ({"to": "1"}, "'to'"),
        ({"refs": {"other": "k"}}, "'other'"),
    ],
)
def test_malformed_envelope_names_field(change, message):
    envelope = envelopes.encode(_context(), 1)
    envelope.update(change)

    with pytest.raises(EnvelopeError, match=re.escape(message)):
        envelopes.decode(envelope)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(envelope, SCHEMA)


def test_missing_input_raises():
    envelope = envelopes.encode(_context(), 1)
    del envelope["input"]

    with pytest.raises(EnvelopeError, match="'input'"):
        envelopes.decode(envelope)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(envelope, SCHEMA)


def test_unknown_fields_are_forwarded():
    envelope = envelopes.encode(_context(), 1)
    envelope["zz"] = [1]

    context, _ = envelopes.decode(envelope)
    assert envelopes.encode(context, 1)["zz"] == [1]


def test_client_context_round_trip():
    context = _context(hop_id="h")
    header = envelopes.context_to_client_context(context)
    decoded_header = json.loads(base64.b64decode(header))
    lambda_context = SimpleNamespace(client_context=SimpleNamespace(custom=decoded_header["custom"]))

    assert len(header) <= envelopes.CLIENT_CONTEXT_LIMIT
    assert envelopes.context_from_client_context(lambda_context) == context


def test_client_context_over_limit_raises():
    with pytest.raises(EnvelopeTooLarge, match="3583"):
        envelopes.context_to_client_context(_context(execution_input="q" * 3_000))


def test_client_context_absent_is_none():
    assert envelopes.context_from_client_context(SimpleNamespace(client_context=None)) is None
    assert envelopes.context_from_client_context(None) is None
    custom = SimpleNamespace(client_context=SimpleNamespace(custom={"other": "1"}))
    assert envelopes.context_from_client_context(custom) is None


def test_client_context_not_base64_raises():
    lambda_context = SimpleNamespace(client_context=SimpleNamespace(custom={"heaviside": "%%%"}))

    with pytest.raises(EnvelopeError, match="base64"):
        envelopes.context_from_client_context(lambda_context)


def _nested(depth: int, names: list[str]) -> dict:
    """A machine whose Task sits `depth` levels deep, alternating Parallel and Map states."""
    if depth == 0:
        task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:work", "End": True}
        return {"StartAt": "DoWork", "States": {"DoWork": task}}
    name = names[depth - 1]
    inner = _nested(depth - 1, names)
    if depth % 2:
        state = {"Type": "Parallel", "Branches": [inner], "End": True}
    else:
        state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": inner, "End": True}
    return {"StartAt": name, "States": {name: state}}


def _deepest_cursor(definition: dict):
    program = compile_program(load_definition(definition))
    now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
    execution = ExecutionInfo(
        id="arn:aws:states:us-east-1:111111111111:execution:OrderPipeline:0b6f1d8e-8c57-4c3c-9f55-2d3c1f8b7a10",
        name="0b6f1d8e-8c57-4c3c-9f55-2d3c1f8b7a10",
        input={"items": [{"items": [{"items": [1]}]}]},
        start_time=now,
        role_arn="",
        state_machine_id="arn:aws:states:us-east-1:111111111111:stateMachine:OrderPipeline",
        state_machine_name="OrderPipeline",
    )
    actions = start(program, execution, now)
    while not isinstance(actions[0], DispatchTask):
        fork = actions[0]
        assert isinstance(fork, Fork), actions
        child = fork.children[0]
        actions = advance(program, execution, child.cursor, Enter(child.input), now)
    return execution, actions[0].cursor


def test_five_levels_of_nesting_fit_in_one_kib():
    names = ["ScoreItems", "SplitOrder", "CheckStock", "PriceLines", "ShipGroups"]
    execution, cursor = _deepest_cursor(_nested(5, names))
    context = HeavisideContext(
        execution_id=execution.id,
        definition_digest=DIGEST,
        cursor=cursor.to_json(),
        start_time=1_764_892_800_000,
        hop_id="0123456789abcdef",
        timeout_seconds=60,
    )
    envelope = envelopes.encode(context, None)
    del envelope["input"]

    assert len(cursor.frames) == 5
    assert envelopes.encoded_size(envelope) <= 1_024
