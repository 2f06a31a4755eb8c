"""Stores on S3 and DynamoDB, through the container's boto3 clients.

One DynamoDB table (string keys ``pk`` and ``sk``, TTL attribute
``expires_at``) contains execution records, joins and hop marks:

    pk = "x#<execution id>"            sk = "execution"      the execution record
    pk = "j#<execution id>#<join id>"  sk = "join"           the join's spec, counters and counted indexes
    pk = "j#<execution id>#<join id>"  sk = "a#<index>"      one arrived child
    pk = "h#<execution id>"            sk = "<hop id>"       a hop that has run

JSON values are stored as JSON text in string attributes; a value over
`LARGE_VALUE_BYTES` goes to the blob store and the attribute contains
``@blob:<key>`` instead (no JSON text starts with ``@``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

from heaviside.runtime import clients
from heaviside.runtime.errors import NotFound, StoreError
from heaviside.runtime.stores.base import (
    END_STATUSES,
    RUNNING,
    BlobStore,
    ChildOutcome,
    ExecutionRecord,
    HistoryEntry,
    JoinSpec,
    JoinState,
    definition_digest,
)

logger = logging.getLogger(__name__)

# Returns the boto3 client of a service; the default is the container's shared client.
ClientFactory = Callable[[str], Any]

# DynamoDB items are limited to 400 KB; values above this size are written to
# the blob store so that an item with a 256 KiB state output still fits.
LARGE_VALUE_BYTES = 100_000

_BLOB_PREFIX = "@blob:"

DEFINITIONS_PREFIX = "definitions/"
BLOBS_PREFIX = "blobs/"


class S3DefinitionStore:
    """Definitions in S3 under ``definitions/<sha256>.json``, cached per container."""

    def __init__(self, bucket: str, *, client: ClientFactory = clients.client):
        self.bucket = bucket
        self._client = client
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def put_definition(self, text: str) -> str:
        digest = definition_digest(text)
        if digest in self._cache:
            return digest
        s3 = self._client("s3")
        key = f"{DEFINITIONS_PREFIX}{digest}.json"
        try:
            s3.head_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if clients.error_code(error) not in ("404", "NoSuchKey", "NotFound"):
                raise StoreError(f"checking s3://{self.bucket}/{key} failed: {error}") from error
            s3.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")
            logger.info("Stored definition %s in s3://%s/%s", digest, self.bucket, key)
        with self._lock:
            self._cache[digest] = text
        return digest

    def get_definition(self, digest: str) -> str:
        found = self._cache.get(digest)
        if found is not None:
            return found
        key = f"{DEFINITIONS_PREFIX}{digest}.json"
        text = _get_object(self._client("s3"), self.bucket, key).decode("utf-8")
        if definition_digest(text) != digest:
            raise StoreError(f"s3://{self.bucket}/{key} does not match its digest; the object was changed")
        with self._lock:
            self._cache[digest] = text
        return text


class S3BlobStore:
    """Blobs in S3 under ``blobs/<state machine>/<execution name>/<sha256>.json``.

    Keys name their content, so blobs never change and the most recently read
    ones (up to `CACHE_BYTES` in all) are kept per container. Every arrival
    at a Map join with MaxConcurrency reads the same list of children, for
    example.
    """

    CACHE_BYTES = 16 * 1024 * 1024

    def __init__(self, bucket: str, *, client: ClientFactory = clients.client):
        self.bucket = bucket
        self._client = client
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def put_blob(self, execution_id: str, data: bytes) -> str:
        key = f"{BLOBS_PREFIX}{_execution_prefix(execution_id)}/{definition_digest(data)}.json"
        self._client("s3").put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/json")
        logger.debug("Stored blob %s (%d bytes) for execution %s", key, len(data), execution_id)
        return key

    def get_blob(self, key: str) -> bytes:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        data = _get_object(self._client("s3"), self.bucket, key)
        if len(data) <= self.CACHE_BYTES // 4:
            with self._lock:
                if key not in self._cache:
                    self._cache[key] = data
                    self._cached_bytes += len(data)
                while self._cached_bytes > self.CACHE_BYTES:
                    _, evicted = self._cache.popitem(last=False)
                    self._cached_bytes -= len(evicted)
        return data


class DynamoDBExecutionStore:
    """Execution records in DynamoDB; a record expires `ttl_days` after it was created."""

    def __init__(
        self, table: str, *, blobs: BlobStore | None = None, ttl_days: int = 90, client: ClientFactory = clients.client
    ):
        self.table = table
        self.blobs = blobs
        self.ttl_days = ttl_days
        self._client = client

    def create_execution(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        item = {
            "pk": _s(f"x#{record.execution_id}"),
            "sk": _s("execution"),
            "name": _s(record.name),
            "state_machine": _s(record.state_machine),
            "digest": _s(record.definition_digest),
            "status": _s(record.status),
            "input": _s(self._pack(record.execution_id, record.input)),
            "start_time": _n(record.start_time),
        }
        if self.ttl_days:
            item["expires_at"] = _n(int(record.start_time / 1000) + self.ttl_days * 86_400)
        try:
            self._client("dynamodb").put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            logger.info("Execution %s exists; returning the existing record", record.execution_id)
            return self.get_execution(record.execution_id), False
        return record, True

    def get_execution(self, execution_id: str) -> ExecutionRecord:
        # The projection leaves out the history, which may be much larger than the record.
        fields = ("name", "state_machine", "digest", "status", "input", "output", "error", "cause", "start_time",
                  "stop_time")
        response = self._client("dynamodb").get_item(
            TableName=self.table,
            Key={"pk": _s(f"x#{execution_id}"), "sk": _s("execution")},
            ProjectionExpression=", ".join(f"#f{index}" for index in range(len(fields))),
            ExpressionAttributeNames={f"#f{index}": field for index, field in enumerate(fields)},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if item is None:
            raise NotFound(f"execution {execution_id} does not exist")
        return ExecutionRecord(
            execution_id=execution_id,
            name=item["name"]["S"],
            state_machine=item["state_machine"]["S"],
            definition_digest=item["digest"]["S"],
            status=item["status"]["S"],
            input=self._unpack(item["input"]["S"]) if "input" in item else None,
            output=self._unpack(item["output"]["S"]) if "output" in item else None,
            error=item["error"]["S"] if "error" in item else None,
            cause=item["cause"]["S"] if "cause" in item else None,
            start_time=int(item["start_time"]["N"]),
            stop_time=int(item["stop_time"]["N"]) if "stop_time" in item else None,
        )

    def end_execution(self, execution_id, status, *, output=None, error=None, cause=None, stop_time) -> bool:
        if status not in END_STATUSES:
            raise ValueError(f"{status!r} is not an end status; use one of {END_STATUSES}")
        names = {"#status": "status"}
        values = {":status": _s(status), ":running": _s(RUNNING), ":stop": _n(stop_time)}
        assignments = ["#status = :status", "stop_time = :stop"]
        if output is not None or status == "SUCCEEDED":
            values[":output"] = _s(self._pack(execution_id, output))
            assignments.append("#output = :output")
            names["#output"] = "output"
        if error is not None:
            values[":error"] = _s(error)
            assignments.append("#error = :error")
            names["#error"] = "error"
        if cause is not None:
            values[":cause"] = _s(cause)
            assignments.append("#cause = :cause")
            names["#cause"] = "cause"
        try:
            self._client("dynamodb").update_item(
                TableName=self.table,
                Key={"pk": _s(f"x#{execution_id}"), "sk": _s("execution")},
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression="attribute_exists(pk) AND #status = :running",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as error_:
            if clients.error_code(error_) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def append_history(self, execution_id: str, entry: HistoryEntry) -> bool:
        """Append `entry` to the record's list `history`, once per key (the string set `history_keys`).

        A record is limited to 400 KB, so a very long history makes this write
        fail with a ValidationException, which the driver logs and skips.
        """
        value = {
            "M": {
                "k": _s(entry.key),
                "t": _n(entry.time),
                "s": {"L": [_s(name) for name, _ in entry.states]},
                "y": {"L": [_s(state_type) for _, state_type in entry.states]},
            }
        }
        try:
            self._client("dynamodb").update_item(
                TableName=self.table,
                Key={"pk": _s(f"x#{execution_id}"), "sk": _s("execution")},
                UpdateExpression=(
                    "SET history = list_append(if_not_exists(history, :empty), :entry) ADD history_keys :keys"
                ),
                ConditionExpression="attribute_exists(pk) AND NOT contains(history_keys, :key)",
                ExpressionAttributeValues={
                    ":empty": {"L": []},
                    ":entry": {"L": [value]},
                    ":keys": {"SS": [entry.key]},
                    ":key": _s(entry.key),
                },
            )
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def get_history(self, execution_id: str) -> list[HistoryEntry]:
        response = self._client("dynamodb").get_item(
            TableName=self.table,
            Key={"pk": _s(f"x#{execution_id}"), "sk": _s("execution")},
            ProjectionExpression="history",
            ConsistentRead=True,
        )
        item = response.get("Item") or {}
        entries = []
        for value in item.get("history", {}).get("L", []):
            fields = value["M"]
            names = [name["S"] for name in fields["s"]["L"]]
            types = [state_type["S"] for state_type in fields["y"]["L"]]
            entries.append(HistoryEntry(fields["k"]["S"], int(fields["t"]["N"]), list(zip(names, types))))
        return entries

    def _pack(self, execution_id: str, value: Any) -> str:
        return _pack_json(self.blobs, execution_id, value)

    def _unpack(self, text: str) -> Any:
        return _unpack_json(self.blobs, text)


class DynamoDBJoinStore:
    """Joins in DynamoDB: one item per arrived child, and counters in the join's own item."""

    def __init__(
        self, table: str, *, blobs: BlobStore | None = None, ttl_days: int = 90, client: ClientFactory = clients.client
    ):
        self.table = table
        self.blobs = blobs
        self.ttl_days = ttl_days
        self._client = client

    def create_join(self, spec: JoinSpec) -> None:
        item = {
            "pk": _s(_join_key(spec.execution_id, spec.join_id)),
            "sk": _s("join"),
            "size": _n(spec.size),
            "kind": _s(spec.kind),
            "max_concurrency": _n(spec.max_concurrency),
            "arrived": _n(0),
            "failed": _n(0),
            "parent": _s(_pack_json(self.blobs, spec.execution_id, spec.parent)),
            "children": _s(_pack_json(self.blobs, spec.execution_id, spec.children)),
        }
        if spec.tolerated_failure_count is not None:
            item["tolerated_failure_count"] = _n(spec.tolerated_failure_count)
        if spec.tolerated_failure_percentage is not None:
            item["tolerated_failure_percentage"] = _n(spec.tolerated_failure_percentage)
        if self.ttl_days:
            item["expires_at"] = _n(int(time.time()) + self.ttl_days * 86_400)
        try:
            self._client("dynamodb").put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            logger.info("Join %s of execution %s exists; the fork was repeated", spec.join_id, spec.execution_id)

    def get_join(self, execution_id: str, join_id: str) -> JoinSpec:
        return self._spec(execution_id, join_id, self._header(execution_id, join_id))

    def _spec(self, execution_id: str, join_id: str, item: dict) -> JoinSpec:
        return JoinSpec(
            execution_id=execution_id,
            join_id=join_id,
            size=int(item["size"]["N"]),
            kind=item["kind"]["S"],
            max_concurrency=int(item["max_concurrency"]["N"]),
            tolerated_failure_count=int(item["tolerated_failure_count"]["N"])
            if "tolerated_failure_count" in item
            else None,
            tolerated_failure_percentage=float(item["tolerated_failure_percentage"]["N"])
            if "tolerated_failure_percentage" in item
            else None,
            parent=_unpack_json(self.blobs, item["parent"]["S"]),
            children=_unpack_json(self.blobs, item["children"]["S"]),
        )

    def arrive(self, arrival: ChildOutcome, *, execution_id: str, join_id: str) -> JoinState:
        # Two single-item writes instead of a transaction, which would cost twice
        # the write capacity. The header's set of counted indexes decides what a
        # repeated arrival is; the arrival item is written first, so a crash
        # between the two writes leaves an item that the next delivery counts.
        pk = _join_key(execution_id, join_id)
        dynamodb = self._client("dynamodb")
        item = {"pk": _s(pk), "sk": _s(_arrival_key(arrival.index)), "index": _n(arrival.index)}
        if arrival.failed:
            item["error"] = _s(arrival.error or "")
            if arrival.cause is not None:
                item["cause"] = _s(arrival.cause)
        else:
            item["output"] = _s(_pack_json(self.blobs, execution_id, arrival.output))
        if self.ttl_days:
            item["expires_at"] = _n(int(time.time()) + self.ttl_days * 86_400)

        failed = arrival.failed
        try:
            dynamodb.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            # The first outcome written for an index is the one that counts.
            existing = dynamodb.get_item(
                TableName=self.table, Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True
            )["Item"]
            failed = "error" in existing

        # NOTE: the set of counted indexes lives in the join's item, which
        # DynamoDB limits to 400 KB; by estimate a Map of more than about 50,000
        # items with large parent and children values would exceed it.
        duplicate = False
        try:
            header = dynamodb.update_item(
                TableName=self.table,
                Key={"pk": _s(pk), "sk": _s("join")},
                UpdateExpression="ADD arrived :one, failed :failed, counted :indexes",
                ConditionExpression="attribute_exists(pk) AND NOT contains(counted, :index)",
                ExpressionAttributeValues={
                    ":one": _n(1),
                    ":failed": _n(1 if failed else 0),
                    ":indexes": {"NS": [str(arrival.index)]},
                    ":index": _n(arrival.index),
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            header = self._header(execution_id, join_id)
            duplicate = True
            logger.info(
                "Repeated arrival of index %d at join %s of execution %s; nothing changed",
                arrival.index,
                join_id,
                execution_id,
            )
        return JoinState(
            arrived=int(header["arrived"]["N"]),
            failed=int(header["failed"]["N"]),
            size=int(header["size"]["N"]),
            claimed_by=int(header["claimed_by"]["N"]) if "claimed_by" in header else None,
            duplicate=duplicate,
            spec=self._spec(execution_id, join_id, header),
        )

    def claim(self, execution_id: str, join_id: str, index: int) -> bool:
        try:
            self._client("dynamodb").update_item(
                TableName=self.table,
                Key={"pk": _s(_join_key(execution_id, join_id)), "sk": _s("join")},
                UpdateExpression="SET claimed_by = :index",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(claimed_by) OR claimed_by = :index)",
                ExpressionAttributeValues={":index": _n(index)},
            )
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def outcomes(self, execution_id: str, join_id: str) -> list[ChildOutcome]:
        dynamodb = self._client("dynamodb")
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(_join_key(execution_id, join_id)), ":prefix": _s("a#")},
            "ConsistentRead": True,
        }
        found = []
        while True:
            response = dynamodb.query(**request)
            for item in response.get("Items", []):
                index = int(item["index"]["N"])
                if "error" in item:
                    found.append(
                        ChildOutcome(
                            index=index,
                            error=item["error"]["S"],
                            cause=item["cause"]["S"] if "cause" in item else None,
                            failed=True,
                        )
                    )
                else:
                    found.append(ChildOutcome(index=index, output=_unpack_json(self.blobs, item["output"]["S"])))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        found.sort(key=lambda outcome: outcome.index)
        return found

    def claimed(self, execution_id: str, join_id: str) -> bool:
        response = self._client("dynamodb").get_item(
            TableName=self.table,
            Key={"pk": _s(_join_key(execution_id, join_id)), "sk": _s("join")},
            ConsistentRead=True,
            ProjectionExpression="claimed_by",
        )
        return "claimed_by" in response.get("Item", {})

    def _header(self, execution_id: str, join_id: str) -> dict:
        response = self._client("dynamodb").get_item(
            TableName=self.table,
            Key={"pk": _s(_join_key(execution_id, join_id)), "sk": _s("join")},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if item is None:
            raise NotFound(f"join {join_id} of execution {execution_id} does not exist")
        return item


class DynamoDBHopStore:
    """Hop marks in DynamoDB; each expires with the execution's TTL."""

    def __init__(self, table: str, *, ttl_days: int = 90, client: ClientFactory = clients.client):
        self.table = table
        self.ttl_days = ttl_days
        self._client = client

    def claim_hop(self, execution_id: str, hop_id: str) -> bool:
        item = {"pk": _s(f"h#{execution_id}"), "sk": _s(hop_id)}
        if self.ttl_days:
            item["expires_at"] = _n(int(time.time()) + self.ttl_days * 86_400)
        try:
            self._client("dynamodb").put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except Exception as error:
            if clients.error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True


def create_table(table: str, *, client: ClientFactory = clients.client) -> None:
    """Create the heaviside table with its key schema and TTL (tests and the local tools use it)."""
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=table)
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


def _get_object(s3, bucket: str, key: str) -> bytes:
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except Exception as error:
        if clients.error_code(error) in ("NoSuchKey", "404", "NotFound"):
            raise NotFound(f"s3://{bucket}/{key} does not exist") from None
        raise
    return response["Body"].read()


def _execution_prefix(execution_id: str) -> str:
    parts = execution_id.split(":")
    if len(parts) >= 2 and parts[-1] and parts[-2]:
        return f"{parts[-2]}/{parts[-1]}"
    return definition_digest(execution_id)[:32]


def _join_key(execution_id: str, join_id: str) -> str:
    return f"j#{execution_id}#{join_id}"


def _arrival_key(index: int) -> str:
    return f"a#{index:08d}"


def _pack_json(blobs: BlobStore | None, execution_id: str, value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if blobs is not None and len(text) > LARGE_VALUE_BYTES:
        return _BLOB_PREFIX + blobs.put_blob(execution_id, text.encode("utf-8"))
    return text


def _unpack_json(blobs: BlobStore | None, text: str) -> Any:
    if text.startswith(_BLOB_PREFIX):
        if blobs is None:
            raise StoreError(f"the value is in blob {text[len(_BLOB_PREFIX):]!r} but no blob store is configured")
        return json.loads(blobs.get_blob(text[len(_BLOB_PREFIX) :]))
    return json.loads(text)


def _s(value: str) -> dict:
    return {"S": value}


def _n(value: int | float) -> dict:
    return {"N": repr(value) if isinstance(value, float) else str(value)}
