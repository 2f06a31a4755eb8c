"""Contract tests that the AWS stores (on a moto server) and the local stores both pass."""

from __future__ import annotations

import threading

import pytest

from heaviside.local.stores import DirectoryBlobStore, DirectoryDefinitionStore, SQLiteStore
from heaviside.runtime.errors import NotFound
from heaviside.runtime.stores.aws import (
    DynamoDBExecutionStore,
    DynamoDBHopStore,
    DynamoDBJoinStore,
    S3BlobStore,
    S3DefinitionStore,
)
from heaviside.runtime.stores.base import ChildOutcome, ExecutionRecord, JoinSpec, Stores, definition_digest
from tests.fixtures_aws import aws_env, aws_resources, moto_server  # noqa: F401

EXECUTION = "arn:aws:states:us-east-1:000000000000:execution:Machine:run-1"


@pytest.fixture(params=["aws", "local"])
def stores(request, tmp_path) -> Stores:
    if request.param == "aws":
        resources = request.getfixturevalue("aws_resources")
        blobs = S3BlobStore(resources.bucket)
        return Stores(
            definitions=S3DefinitionStore(resources.bucket),
            blobs=blobs,
            executions=DynamoDBExecutionStore(resources.table, blobs=blobs),
            joins=DynamoDBJoinStore(resources.table, blobs=blobs),
            hops=DynamoDBHopStore(resources.table),
        )
    database = SQLiteStore(tmp_path / "heaviside.sqlite")
    return Stores(
        definitions=DirectoryDefinitionStore(tmp_path),
        blobs=DirectoryBlobStore(tmp_path),
        executions=database,
        joins=database,
        hops=database,
    )


def test_definition_round_trip_by_digest(stores):
    text = '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'
    digest = stores.definitions.put_definition(text)

    assert digest == definition_digest(text)
    assert stores.definitions.get_definition(digest) == text
    assert stores.definitions.put_definition(text) == digest


def test_definition_missing_raises_not_found(stores):
    with pytest.raises(NotFound):
        stores.definitions.get_definition("0" * 64)


def test_blob_round_trip(stores):
    data = b'{"a":' + b"1" * 1000 + b"}"
    key = stores.blobs.put_blob(EXECUTION, data)

    assert stores.blobs.get_blob(key) == data
    assert stores.blobs.put_blob(EXECUTION, data) == key


def test_blob_missing_raises_not_found(stores):
    with pytest.raises(NotFound):
        stores.blobs.get_blob("blobs/none/" + "0" * 64 + ".json")


def test_execution_start_is_idempotent(stores):
    first = ExecutionRecord(EXECUTION, "run-1", "Machine", "d1", input={"n": 1}, start_time=1000)
    second = ExecutionRecord(EXECUTION, "run-1", "Machine", "d2", input={"n": 2}, start_time=2000)

    stored, created = stores.executions.create_execution(first)
    assert created
    stored, created = stores.executions.create_execution(second)
    assert not created
    assert stored.input == {"n": 1}
    assert stored.definition_digest == "d1"
    assert stored.start_time == 1000


def test_execution_ends_once(stores):
    stores.executions.create_execution(ExecutionRecord(EXECUTION, "run-1", "Machine", "d", input=[], start_time=5))

    assert stores.executions.end_execution(EXECUTION, "SUCCEEDED", output={"ok": True}, stop_time=9)
    assert not stores.executions.end_execution(EXECUTION, "FAILED", error="E", cause="C", stop_time=10)
    record = stores.executions.get_execution(EXECUTION)
    assert record.status == "SUCCEEDED"
    assert record.output == {"ok": True}
    assert record.error is None
    assert record.stop_time == 9


def test_execution_failure_keeps_error_and_cause(stores):
    stores.executions.create_execution(ExecutionRecord(EXECUTION, "run-1", "Machine", "d", start_time=5))

    assert stores.executions.end_execution(EXECUTION, "FAILED", error="States.TaskFailed", cause="boom", stop_time=7)
    record = stores.executions.get_execution(EXECUTION)
    assert record.status == "FAILED"
    assert record.error == "States.TaskFailed"
    assert record.cause == "boom"
    assert record.output is None


def test_execution_large_output_round_trips(stores):
    stores.executions.create_execution(ExecutionRecord(EXECUTION, "run-1", "Machine", "d", start_time=5))
    output = {"data": "x" * 250_000}

    assert stores.executions.end_execution(EXECUTION, "SUCCEEDED", output=output, stop_time=6)
    assert stores.executions.get_execution(EXECUTION).output == output


def test_execution_missing_raises_not_found(stores):
    with pytest.raises(NotFound):
        stores.executions.get_execution(EXECUTION + "-missing")


def _spec(size=3, **overrides) -> JoinSpec:
    values = dict(execution_id=EXECUTION, join_id="j1", size=size, parent={"cursor": 1}, children=[{"i": 0}])
    values.update(overrides)
    return JoinSpec(**values)


def test_join_spec_round_trips(stores):
    spec = _spec(kind="iteration", max_concurrency=2, tolerated_failure_count=1, tolerated_failure_percentage=12.5)
    stores.joins.create_join(spec)
    stores.joins.create_join(_spec(parent={"cursor": "other"}))

    loaded = stores.joins.get_join(EXECUTION, "j1")
    assert loaded == spec


def test_join_counts_arrivals_once(stores):
    stores.joins.create_join(_spec())

    first = stores.joins.arrive(ChildOutcome(index=1, output="b"), execution_id=EXECUTION, join_id="j1")
    repeated = stores.joins.arrive(ChildOutcome(index=1, output="changed"), execution_id=EXECUTION, join_id="j1")
    stores.joins.arrive(ChildOutcome(index=0, output="a"), execution_id=EXECUTION, join_id="j1")
    last = stores.joins.arrive(ChildOutcome(index=2, output="c"), execution_id=EXECUTION, join_id="j1")

    assert (first.arrived, first.duplicate) == (1, False)
    assert (repeated.arrived, repeated.duplicate) == (1, True)
    assert (last.arrived, last.failed, last.size) == (3, 0, 3)
    assert [outcome.output for outcome in stores.joins.outcomes(EXECUTION, "j1")] == ["a", "b", "c"]


def test_join_counts_failures(stores):
    stores.joins.create_join(_spec())

    stores.joins.arrive(ChildOutcome(index=0, output=1), execution_id=EXECUTION, join_id="j1")
    state = stores.joins.arrive(
        ChildOutcome(index=2, error="E", cause="C", failed=True), execution_id=EXECUTION, join_id="j1"
    )

    assert (state.arrived, state.failed) == (2, 1)
    outcomes = stores.joins.outcomes(EXECUTION, "j1")
    assert [outcome.index for outcome in outcomes] == [0, 2]
    assert outcomes[1].failed
    assert (outcomes[1].error, outcomes[1].cause) == ("E", "C")


def test_join_arrival_without_join_raises_not_found(stores):
    with pytest.raises(NotFound):
        stores.joins.arrive(ChildOutcome(index=0, output=1), execution_id=EXECUTION, join_id="none")


def test_join_claim_goes_to_one_index(stores):
    stores.joins.create_join(_spec())

    assert stores.joins.claim(EXECUTION, "j1", 2)
    assert stores.joins.claim(EXECUTION, "j1", 2)
    assert not stores.joins.claim(EXECUTION, "j1", 0)
    state = stores.joins.arrive(ChildOutcome(index=0, output=1), execution_id=EXECUTION, join_id="j1")
    assert state.claimed_by == 2


def test_join_claimed_after_claim_only(stores):
    stores.joins.create_join(_spec())

    assert not stores.joins.claimed(EXECUTION, "j1")
    stores.joins.arrive(ChildOutcome(index=0, output=1), execution_id=EXECUTION, join_id="j1")
    assert not stores.joins.claimed(EXECUTION, "j1")
    assert stores.joins.claim(EXECUTION, "j1", 0)
    assert stores.joins.claimed(EXECUTION, "j1")
    assert not stores.joins.claimed(EXECUTION, "none")


def test_join_large_output_round_trips(stores):
    stores.joins.create_join(_spec(size=1))
    output = ["y" * 200_000]

    stores.joins.arrive(ChildOutcome(index=0, output=output), execution_id=EXECUTION, join_id="j1")
    assert stores.joins.outcomes(EXECUTION, "j1")[0].output == output


def test_join_concurrent_arrivals_count_each_index_once(stores):
    size = 8
    stores.joins.create_join(_spec(size=size))
    states = []

    def arrive(index):
        states.append(stores.joins.arrive(ChildOutcome(index=index, output=index), execution_id=EXECUTION, join_id="j1"))

    threads = [threading.Thread(target=arrive, args=(index % size,)) for index in range(size * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(1 for state in states if not state.duplicate) == size
    assert max(state.arrived for state in states) == size
    assert [outcome.output for outcome in stores.joins.outcomes(EXECUTION, "j1")] == list(range(size))


def test_hop_claimed_once(stores):
    assert stores.hops.claim_hop(EXECUTION, "hop-1")
    assert not stores.hops.claim_hop(EXECUTION, "hop-1")
    assert stores.hops.claim_hop(EXECUTION, "hop-2")
    assert stores.hops.claim_hop(EXECUTION + "-other", "hop-1")


def test_join_arrival_returns_spec(stores):
    spec = _spec(kind="iteration", max_concurrency=1, children=[[{"s": "A"}, 1], [{"s": "A"}, 2]])
    stores.joins.create_join(spec)

    state = stores.joins.arrive(ChildOutcome(index=0, output=1), execution_id=EXECUTION, join_id="j1")
    assert state.spec == spec


def test_blob_read_twice_returns_same_data(stores):
    data = b'"' + b"z" * 300_000 + b'"'
    key = stores.blobs.put_blob(EXECUTION, data)

    assert stores.blobs.get_blob(key) == data
    assert stores.blobs.get_blob(key) == data
