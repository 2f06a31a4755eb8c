"""Run a whole execution through the Lambda runtime on this machine: `run_through_lambda`.

The path is the production one, with local stand-ins for AWS. The invoker
starts the execution, and every Task hop is an asynchronous invoke of a
decorated function on the local Lambda endpoint. The stores live on a moto
server, delays travel through an SQS queue on moto, and the result is read
back from the execution record, with the states entered from its history
(``HEAVISIDE_HISTORY``, on in the test bed). Only 127.0.0.1 is contacted.

A moto server is started once per process (on 127.0.0.1 and a free port)
unless `aws_endpoint` names one. Each call gets its own bucket, table and
queue, and its own endpoint with warm worker processes per function.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from heaviside.local.lambda_endpoint import FunctionConfig, LambdaEndpoint, function_name
from heaviside.local.runner import FAILED, Execution
from heaviside.runtime import clients, invoker
from heaviside.runtime.decorator import task
from heaviside.runtime.errors import NotFound
from heaviside.runtime.stores.aws import DynamoDBExecutionStore, S3BlobStore, create_table
from heaviside.runtime.stores.base import END_STATUSES, HistoryEntry, sort_history

logger = logging.getLogger(__name__)

INVOKER = "heaviside-invoker"
REGION = "us-east-1"
ACCOUNT = "111111111111"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Wall-clock limit of one execution; a run over it ends as FAILED with error
# "HarnessTimeout" rather than hanging the caller.
DEFAULT_TIMEOUT_SECONDS = 120.0

_moto_lock = threading.Lock()


@dataclass
class LambdaExecution(Execution):
    """The outcome of a run through the Lambda runtime, and the names of the states it entered.

    `states_entered` is in the order of `history_path`: by the time each hop
    entered its states, so concurrent Parallel branches and Map iterations
    interleave. It contains the states entered until the execution ended, and
    is None when ``HEAVISIDE_HISTORY`` is off. `history` contains the same
    states as the history's entries, with their types and times.
    """

    states_entered: tuple[str, ...] | None = None
    history: tuple[HistoryEntry, ...] | None = None


class StartFailed(RuntimeError):
    """The invoker raised instead of starting the execution; the message contains its error."""


_moto_url: str | None = None


def run_through_lambda(
    definition: Any,
    input: Any = None,
    *,
    functions: Mapping[str, Callable] | None = None,
    time_scale: float = 1.0,
    names: Mapping[str, str | None] | None = None,
    execution_type: str = "STANDARD",
    aws_endpoint: str | None = None,
    endpoint_options: Mapping[str, Any] | None = None,
    function_options: Mapping[str, Any] | None = None,
    environment: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> LambdaExecution:
    """Run one execution of `definition` with `input` through the Lambda runtime and return its outcome.

    The first five parameters mean what they mean for `heaviside.local.run`.
    The others are for tests and are passed to `LambdaTestBed`.
    """
    names = dict(names or {})
    with LambdaTestBed(
        functions or {},
        time_scale=time_scale,
        aws_endpoint=aws_endpoint,
        endpoint_options=endpoint_options,
        function_options=function_options,
        environment=environment,
    ) as bed:
        execution_id = bed.start(
            definition,
            input,
            state_machine=names.get("state_machine"),
            name=names.get("execution"),
            role_arn=names.get("role_arn"),
            execution_type=execution_type,
        )
        return bed.wait(execution_id, timeout)


class LambdaTestBed:
    """A moto server's bucket, table and delay queue, and a local Lambda endpoint serving `functions`.

    Each function of `functions` (names or ARNs mapped to handlers) is
    served decorated with `task`, with ``MaximumRetryAttempts: 0`` and the
    invoker as its OnFailure destination, as the macro deploys it. A thread
    plays the SQS event source mapping of the delay queue.
    `aws_endpoint` is the URL of a running moto server (default: one started
    for this process). `endpoint_options` go to `LambdaEndpoint`, for faults
    such as ``duplicate_events`` or ``throttle_rate``. `function_options` go
    to every task function's `FunctionConfig`, for example
    ``kill_after_handler``. `environment` adds ``HEAVISIDE_*`` settings for
    every function; ``HEAVISIDE_HISTORY`` is true unless it sets it.
    """

    def __init__(
        self,
        functions: Mapping[str, Callable],
        *,
        time_scale: float = 1.0,
        aws_endpoint: str | None = None,
        endpoint_options: Mapping[str, Any] | None = None,
        function_options: Mapping[str, Any] | None = None,
        environment: Mapping[str, str] | None = None,
    ):
        if not time_scale > 0:
            raise ValueError(f"time_scale must be greater than 0, got {time_scale!r}")
        self.session = _session_for(aws_endpoint or shared_moto_server())
        self.time_scale = time_scale
        self._functions = dict(functions)
        self._endpoint_options = dict(endpoint_options or {})
        self._function_options = dict(function_options or {})
        self._environment = dict(environment or {})
        self.resources: dict | None = None
        self.endpoint: LambdaEndpoint | None = None
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    def __enter__(self) -> "LambdaTestBed":
        self.resources = self.session.create_resources()
        try:
            self.endpoint = self._build_endpoint()
            self.endpoint.start()
        except BaseException:
            self.session.delete_resources(self.resources)
            raise
        self._poller = threading.Thread(target=self._poll_delays, name="heaviside-delay-poller", daemon=True)
        self._poller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        if self.endpoint is not None:
            self.endpoint.stop()
        if self.resources is not None:
            self.session.delete_resources(self.resources)

    @property
    def executions(self) -> DynamoDBExecutionStore:
        """The execution records, read from the test process."""
        blobs = S3BlobStore(self.resources["bucket"], client=self.session.client)
        return DynamoDBExecutionStore(self.resources["table"], blobs=blobs, client=self.session.client)

    def start(
        self,
        definition: Any,
        execution_input: Any = None,
        *,
        state_machine: str | None = None,
        name: str | None = None,
        role_arn: str | None = None,
        execution_type: str = "STANDARD",
    ) -> str:
        """Start an execution through the invoker and return its ARN; raise `StartFailed` if the invoker failed."""
        event = {
            "definition": _definition_text(definition),
            "input": execution_input,
            "stateMachine": state_machine or "heaviside-local",
            "name": name or str(uuid.uuid4()),
            "executionType": execution_type,
        }
        if role_arn:
            event["roleArn"] = role_arn
        started = self.endpoint.invoke(INVOKER, json.dumps(event).encode("utf-8"))
        response = json.loads(started.payload)
        if started.function_error:
            error = response.get("errorType") if isinstance(response, dict) else None
            message = response.get("errorMessage") if isinstance(response, dict) else response
            raise StartFailed(f"the invoker failed to start the execution: {error}: {message}")
        return response["executionArn"]

    def invoke(self, event: Any) -> Any:
        """Invoke the invoker synchronously with `event` and return its decoded response."""
        outcome = self.endpoint.invoke(INVOKER, json.dumps(event).encode("utf-8"))
        return json.loads(outcome.payload)

    def wait(self, execution_id: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> LambdaExecution:
        """Poll the execution record until the execution ends; return its outcome and the states it entered."""
        store = self.executions
        deadline = time.monotonic() + timeout
        interval = 0.01
        while True:
            try:
                record = store.get_execution(execution_id)
            except NotFound:
                record = None
            if record is not None and record.status in END_STATUSES:
                history = self.history_entries(execution_id)
                return LambdaExecution(
                    record.status,
                    output=record.output,
                    error=record.error,
                    cause=record.cause,
                    execution_arn=execution_id,
                    name=record.name,
                    states_entered=None if history is None else _names(history),
                    history=history,
                )
            if time.monotonic() >= deadline:
                logger.warning("Execution %s did not end within %.0f s", execution_id, timeout)
                return LambdaExecution(
                    FAILED,
                    error="HarnessTimeout",
                    cause=f"the execution did not end within {timeout:g} s of wall-clock time",
                    execution_arn=execution_id,
                )
            time.sleep(interval)
            interval = min(interval * 1.5, 0.2)

    def history_entries(self, execution_id: str) -> tuple[HistoryEntry, ...] | None:
        """Return the execution's history entries so far, ordered by time; None when the history is off."""
        if not self.history:
            return None
        return tuple(sort_history(self.executions.get_history(execution_id)))

    @property
    def history(self) -> bool:
        """Whether the functions record the states entered (``HEAVISIDE_HISTORY``)."""
        from heaviside.runtime.config import RuntimeConfig

        setting = self._environment.get("HEAVISIDE_HISTORY") or "true"
        return RuntimeConfig.from_environment({"HEAVISIDE_HISTORY": setting}).history

    def _build_endpoint(self) -> LambdaEndpoint:
        _prepare_for_fork()
        configs: dict[str, FunctionConfig] = {}
        for key, handler in self._functions.items():
            options = {
                "timeout": 900.0,
                "maximum_retry_attempts": 0,
                "on_failure": INVOKER,
                "concurrency": 4,
                "warm_up": _create_clients,
            }
            options.update(self._function_options)
            configs[function_name(key)] = FunctionConfig(handler=task(handler), **options)
        configs[INVOKER] = FunctionConfig(
            handler=invoker.handler,
            timeout=900.0,
            maximum_retry_attempts=0,
            concurrency=4,
            warm_up=_create_clients,
        )
        options = {"region": REGION, "account": ACCOUNT, **self._endpoint_options}
        endpoint = LambdaEndpoint(configs, **options)

        environment = {
            **DUMMY_CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": self.session.endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": self.session.endpoint,
            "AWS_ENDPOINT_URL_SQS": self.session.endpoint,
            "AWS_ENDPOINT_URL_LAMBDA": endpoint.url,
            "HEAVISIDE_BUCKET": self.resources["bucket"],
            "HEAVISIDE_TABLE": self.resources["table"],
            "HEAVISIDE_DELAY_QUEUE_URL": self.resources["queue_url"],
            "HEAVISIDE_INVOKER": INVOKER,
            "HEAVISIDE_TIME_SCALE": repr(self.time_scale),
            "HEAVISIDE_HISTORY": "true",
            **self._environment,
        }
        for config in configs.values():
            config.environment = {**environment, **config.environment}
        return endpoint

    def _poll_delays(self) -> None:
        """Deliver the delay queue's messages to the invoker, as a Lambda event source mapping would."""
        queue_url = self.resources["queue_url"]
        sqs = self.session.client("sqs")
        while not self._stop.is_set():
            try:
                response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("Receiving from the delay queue %s failed", queue_url)
                self._stop.wait(0.5)
                continue
            messages = response.get("Messages", [])
            if not messages:
                self._stop.wait(0.05)
                continue
            records = [
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rsplit('/', 1)[-1]}",
                    "awsRegion": REGION,
                }
                for message in messages
            ]
            outcome = self.endpoint.invoke(INVOKER, json.dumps({"Records": records}).encode("utf-8"))
            if outcome.function_error:
                failed = {record["messageId"] for record in records}
            else:
                failures = json.loads(outcome.payload).get("batchItemFailures", [])
                failed = {failure["itemIdentifier"] for failure in failures}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _names(entries: tuple[HistoryEntry, ...]) -> tuple[str, ...]:
    return tuple(name for entry in entries for name, _ in entry.states)


def _prepare_for_fork() -> None:
    # Worker processes are forked from this one: whatever is imported and
    # parsed here once is not repeated in every worker.
    import heaviside.asl.load  # noqa: F401
    import heaviside.engine  # noqa: F401

    clients.preload_models()


def _create_clients() -> None:
    for service in ("s3", "dynamodb", "lambda"):
        clients.client(service)


class _Session:
    """boto3 clients for the moto server, with dummy credentials, kept out of `os.environ`."""

    def __init__(self, endpoint: str):
        import boto3

        self.endpoint = endpoint
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 3})
                self._clients[service] = self._session.client(service, endpoint_url=self.endpoint, config=config)
            return self._clients[service]

    def create_resources(self) -> dict:
        suffix = uuid.uuid4().hex[:12]
        bucket = f"heaviside-run-{suffix}"
        table = f"heaviside-run-{suffix}"
        self.client("s3").create_bucket(Bucket=bucket)
        create_table(table, client=self.client)
        queue_url = self.client("sqs").create_queue(QueueName=f"heaviside-run-{suffix}")["QueueUrl"]
        return {"bucket": bucket, "table": table, "queue_url": queue_url}

    def delete_resources(self, resources: dict) -> None:
        try:
            self.client("dynamodb").delete_table(TableName=resources["table"])
            self.client("sqs").delete_queue(QueueUrl=resources["queue_url"])
            s3 = self.client("s3")
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources["bucket"]):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=resources["bucket"], Delete={"Objects": keys})
            s3.delete_bucket(Bucket=resources["bucket"])
        except Exception:
            logger.warning("Deleting the resources %s on the moto server failed", resources, exc_info=True)


_sessions: dict[str, "_Session"] = {}


def _session_for(endpoint: str) -> "_Session":
    with _moto_lock:
        if endpoint not in _sessions:
            _sessions[endpoint] = _Session(endpoint)
        return _sessions[endpoint]


def shared_moto_server() -> str:
    """Return the URL of this process's moto server, starting ``moto_server`` on 127.0.0.1 on first use."""
    global _moto_url
    with _moto_lock:
        if _moto_url is None:
            _moto_url = _start_moto_server()
    return _moto_url


# moto's own ``moto_server`` command serves requests on several threads, and
# moto 5.2 checks a DynamoDB condition and writes the item in separate steps,
# so two concurrent conditional writes can both succeed. DynamoDB itself
# applies each conditional write and transaction atomically. A server that
# handles one request at a time gives the same guarantee, and the join and
# hop tests depend on it.
# The server also exits when the process that started it is gone, because
# atexit handlers do not run in multiprocessing workers (conformance --jobs).
_MOTO_LAUNCHER = """
import os, sys, threading, time
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
parent = int(sys.argv[2])
def watch_parent():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
run_simple("127.0.0.1", int(sys.argv[1]), DomainDispatcherApplication(create_backend_app),
           threaded=False, request_handler=MotoRequestHandler)
"""


def start_moto_server() -> tuple[str, subprocess.Popen]:
    """Start a single-threaded moto server on 127.0.0.1 and a free port; return its URL and process."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "moto is not installed; install the test extra (pip install 'moto[server]') to run executions "
            "through the Lambda runtime"
        ) from None
    for _ in range(3):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-c", _MOTO_LAUNCHER, str(port), str(os.getpid())],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    logger.info("Started a moto server on %s (pid %d)", url, process.pid)
                    return url, process
            except OSError:
                time.sleep(0.1)
        stop_process(process)
    raise RuntimeError("the moto server did not start on 127.0.0.1 after 3 attempts")


def _start_moto_server() -> str:
    url, process = start_moto_server()
    atexit.register(stop_process, process)
    return url


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _definition_text(definition: Any) -> str:
    """Return the definition as JSON text, validating it as `heaviside.local.run` does."""
    from heaviside.asl.load import load_definition, read_definition
    from heaviside.asl.model import Definition

    if isinstance(definition, Definition):
        raw = dict(definition.raw)
    else:
        raw = read_definition(Path(definition) if isinstance(definition, str) and _is_path(definition) else definition)
    load_definition(raw)
    return json.dumps(raw, separators=(",", ":"))


def _is_path(text: str) -> bool:
    return text.endswith((".json", ".yaml", ".yml")) and not text.lstrip().startswith(("{", "["))
