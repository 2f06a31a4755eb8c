"""A local Lambda endpoint: the Lambda Invoke API on 127.0.0.1 for a map of functions.

`LambdaEndpoint` serves ``POST /2015-03-31/functions/{name}/invocations``
for the functions it is given, so that boto3's lambda client (with
``endpoint_url``) and the heaviside dispatcher reach them over real HTTP:

- ``RequestResponse`` runs the function and returns its result (200), with
  ``X-Amz-Function-Error: Unhandled`` and the Python runtime's error payload
  when the handler raised;
- ``Event`` returns 202 at once and queues the event with Lambda's
  asynchronous semantics. A function error is retried up to
  ``maximum_retry_attempts`` times (Lambda waits 1 and then 2 minutes, scaled
  by `retry_delay_scale` here). Then the ``OnFailure`` destination, another
  function of the map, receives Lambda's destination record;
- ``DryRun`` returns 204;
- the ``X-Amz-Client-Context`` header (base64 JSON) reaches the handler as
  ``context.client_context`` with ``custom``, ``env`` and ``client``.

Each function runs in worker processes that keep its module loaded between
invocations, like warm containers; a pool grows up to
``FunctionConfig.concurrency`` processes. Faults for tests are switched on
per endpoint (every event delivered twice, a share of invokes throttled
with 429) or per function (the process killed after the handler returned,
through the runtime's `AFTER_HANDLER` checkpoint).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import importlib
import itertools
import json
import logging
import multiprocessing
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

# Lambda's payload limits: 6 MB for synchronous invokes, 1 MB for asynchronous ones.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
CLIENT_CONTEXT_LIMIT = 3_583

# Lambda retries an asynchronous event after a function error 1 minute and
# then 2 minutes later.
ASYNC_RETRY_DELAYS = (60.0, 120.0)

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_INVOKE_PREFIX = "/2015-03-31/functions/"
_FORK_LOCK = threading.Lock()


@dataclass
class FunctionConfig:
    """One function of the endpoint and its asynchronous invocation settings.

    `handler` is a callable ``(event, context)`` or an import path
    (``package.module.function`` or ``package.module:function``). `timeout`
    is in seconds. `on_failure` and `on_success` name destination functions
    of the same endpoint. `kill_after_handler` is the probability that the
    worker process exits after the handler returned, before the runtime
    dispatches the next hop (a fault for tests). `warm_up` runs once in each
    new worker process before its first invocation, like a module's import-time
    initialisation in a cold start.
    """

    handler: Callable | str
    timeout: float = 60.0
    memory_mb: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    maximum_retry_attempts: int = 2
    on_failure: str | None = None
    on_success: str | None = None
    concurrency: int = 4
    kill_after_handler: float = 0.0
    warm_up: Callable[[], None] | None = None


@dataclass
class Invocation:
    """The outcome of one invocation: `payload` bytes and the function error kind, if any."""

    payload: bytes
    function_error: str | None = None
    request_id: str = ""


@dataclass(order=True)
class _Event:
    due: float
    sequence: int
    function: str = field(compare=False)
    payload: bytes = field(compare=False)
    request_id: str = field(compare=False)
    attempt: int = field(compare=False, default=1)
    enqueued_at: float = field(compare=False, default=0.0)


class FunctionNotFoundError(LookupError):
    """An invoke named a function the endpoint does not serve."""


class LambdaEndpoint:
    """The Invoke API for `functions` on 127.0.0.1; use as a context manager or call start() and stop().

    `duplicate_events` is the probability that an Event invoke is delivered
    twice; `throttle_rate` the probability that an invoke is rejected with
    429 TooManyRequestsException before it runs.
    """

    def __init__(
        self,
        functions: Mapping[str, FunctionConfig | Callable | str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        account: str = "000000000000",
        retry_delay_scale: float = 0.0,
        duplicate_events: float = 0.0,
        throttle_rate: float = 0.0,
        event_threads: int = 8,
        seed: int | None = None,
    ):
        if host not in _LOOPBACK:
            raise ValueError(f"the local Lambda endpoint listens on loopback only; {host!r} is not a loopback host")
        self.functions = {name: _as_config(spec) for name, spec in functions.items()}
        for name, config in self.functions.items():
            for destination in (config.on_failure, config.on_success):
                if destination is not None and function_name(destination) not in self.functions:
                    raise ValueError(f"function {name!r} has destination {destination!r}, which is not in the map")

        self.host = host
        self.region = region
        self.account = account
        self.retry_delay_scale = retry_delay_scale
        self.duplicate_events = duplicate_events
        self.throttle_rate = throttle_rate
        self.stats: dict[str, int] = {}
        self._random = random.Random(seed)

        self._pools = {name: _WorkerPool(name, config, self) for name, config in self.functions.items()}
        self._events: list[_Event] = []
        self._events_changed = threading.Condition()
        self._sequence = itertools.count()
        self._in_flight = 0
        self._stopping = False
        self._event_threads = [
            threading.Thread(target=self._deliver_events, name=f"lambda-events-{i}", daemon=True)
            for i in range(event_threads)
        ]
        self._server = ThreadingHTTPServer((host, port), _make_request_handler(self))
        self._server.daemon_threads = True
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="lambda-endpoint", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def start(self) -> "LambdaEndpoint":
        """Start the worker processes, the event threads and the HTTP server."""
        for pool in self._pools.values():
            pool.prestart()
        for thread in self._event_threads:
            thread.start()
        self._server_thread.start()
        logger.info("Local Lambda endpoint listening on %s for %s", self.url, ", ".join(sorted(self.functions)))
        return self

    def stop(self) -> None:
        """Stop serving, drop queued events and end every worker process."""
        self._server.shutdown()
        self._server.server_close()
        with self._events_changed:
            self._stopping = True
            self._events.clear()
            self._events_changed.notify_all()
        for thread in self._event_threads:
            thread.join(timeout=5)
        for pool in self._pools.values():
            pool.close()
        logger.info("Local Lambda endpoint on %s stopped", self.url)

    def __enter__(self) -> "LambdaEndpoint":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no event is queued, waiting for a retry or running; return False on timeout."""
        deadline = time.monotonic() + timeout
        with self._events_changed:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._events_changed.wait(remaining)
        return True

    # invocation

    def invoke(self, name: str, payload: bytes, *, client_context: dict | None = None) -> Invocation:
        """Run function `name` once with `payload` and return its outcome; raise `FunctionNotFoundError`."""
        pool = self._pools.get(function_name(name))
        if pool is None:
            raise FunctionNotFoundError(name)
        self._count(f"invocations:{pool.name}")
        return pool.invoke(payload, client_context)

    def enqueue_event(self, name: str, payload: bytes) -> str:
        """Queue an asynchronous invocation of `name` and return its request id."""
        function = function_name(name)
        if function not in self._pools:
            raise FunctionNotFoundError(name)
        request_id = str(uuid.uuid4())
        copies = 2 if self.duplicate_events and self._random.random() < self.duplicate_events else 1
        if copies == 2:
            self._count("duplicates")
        for _ in range(copies):
            self._schedule(_Event(time.monotonic(), next(self._sequence), function, payload, request_id,
                                  enqueued_at=time.time()))
        return request_id

    def should_throttle(self) -> bool:
        if self.throttle_rate and self._random.random() < self.throttle_rate:
            self._count("throttles")
            return True
        return False

    def _schedule(self, event: _Event, *, new: bool = True) -> None:
        with self._events_changed:
            if self._stopping:
                return
            if new:
                self._in_flight += 1
            heapq.heappush(self._events, event)
            self._events_changed.notify()

    def _deliver_events(self) -> None:
        while True:
            with self._events_changed:
                while not self._stopping and (not self._events or self._events[0].due > time.monotonic()):
                    timeout = self._events[0].due - time.monotonic() if self._events else None
                    self._events_changed.wait(timeout)
                if self._stopping:
                    return
                event = heapq.heappop(self._events)
            finished = True
            try:
                finished = self._deliver(event)
            except Exception:
                logger.exception("Delivering event %s to %s failed", event.request_id, event.function)
            if finished:
                with self._events_changed:
                    self._in_flight -= 1
                    self._events_changed.notify_all()

    def _deliver(self, event: _Event) -> bool:
        """Run one attempt of `event`; return False when it was rescheduled for a retry."""
        outcome = self.invoke(event.function, event.payload)
        config = self.functions[event.function]
        if outcome.function_error is None:
            if config.on_success:
                self._send_record(event, outcome, "Success", config.on_success)
            return True
        if event.attempt <= config.maximum_retry_attempts:
            delay = ASYNC_RETRY_DELAYS[min(event.attempt, len(ASYNC_RETRY_DELAYS)) - 1] * self.retry_delay_scale
            logger.info(
                "Event %s to %s failed on attempt %d; retrying in %.2f s",
                event.request_id, event.function, event.attempt, delay,
            )
            self._count("retries")
            event.attempt += 1
            event.due = time.monotonic() + delay
            event.sequence = next(self._sequence)
            self._schedule(event, new=False)
            return False
        if config.on_failure:
            logger.info(
                "Event %s to %s failed after %d attempts; sending it to %s",
                event.request_id, event.function, event.attempt, config.on_failure,
            )
            self._send_record(event, outcome, "RetriesExhausted", config.on_failure)
        else:
            logger.warning(
                "Event %s to %s failed after %d attempts and has no OnFailure destination; it is dropped",
                event.request_id, event.function, event.attempt,
            )
            self._count("dropped")
        return True

    def _send_record(self, event: _Event, outcome: Invocation, condition: str, destination: str) -> None:
        record = {
            "version": "1.0",
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": self.function_arn(event.function) + ":$LATEST",
                "condition": condition,
                "approximateInvokeCount": event.attempt,
            },
            "requestPayload": _parse_json_or_text(event.payload),
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "responsePayload": _parse_json_or_text(outcome.payload),
        }
        if outcome.function_error is not None:
            record["responseContext"]["functionError"] = outcome.function_error
        self._count(f"destination:{condition}")
        self.enqueue_event(destination, json.dumps(record).encode("utf-8"))

    def _count(self, key: str) -> None:
        with self._events_changed:
            self.stats[key] = self.stats.get(key, 0) + 1


class _WorkerPool:
    """Warm worker processes of one function, started on demand up to its concurrency."""

    def __init__(self, name: str, config: FunctionConfig, endpoint: LambdaEndpoint):
        self.name = name
        self.config = config
        self.endpoint = endpoint
        self._idle: list[_Worker] = []
        self._count = 0
        self._available = threading.Condition()
        self._closed = False

    def prestart(self) -> None:
        with self._available:
            self._idle.append(self._new_worker())
            self._count += 1

    def invoke(self, payload: bytes, client_context: dict | None) -> Invocation:
        worker = self._acquire()
        try:
            outcome = worker.invoke(payload, client_context)
        except BaseException:
            worker.kill()
            self._release(None)
            raise
        self._release(worker if worker.alive else None)
        return outcome

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._available.notify_all()
        for worker in idle:
            worker.stop()

    def _acquire(self) -> "_Worker":
        with self._available:
            while True:
                if self._closed:
                    raise RuntimeError(f"the endpoint of function {self.name} is stopped")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.config.concurrency:
                    self._count += 1
                    break
                self._available.wait()
        try:
            return self._new_worker()
        except BaseException:
            with self._available:
                self._count -= 1
                self._available.notify()
            raise

    def _release(self, worker: "_Worker | None") -> None:
        with self._available:
            if worker is None:
                self._count -= 1
            elif self._closed:
                worker.stop()
                self._count -= 1
            else:
                self._idle.append(worker)
            self._available.notify()

    def _new_worker(self) -> "_Worker":
        return _Worker(self.name, self.config, self.endpoint.function_arn(self.name), self.endpoint.region)


class _Worker:
    """One warm process running a function's handler, talking over a pipe."""

    def __init__(self, name: str, config: FunctionConfig, arn: str, region: str):
        self.name = name
        self.config = config
        # fork keeps handlers that are closures usable, which spawn would not.
        # Forks are serialised so that no worker inherits another worker's
        # child end of its pipe, which would hide that worker's exit.
        context = multiprocessing.get_context("fork")
        with _FORK_LOCK:
            self.connection, child = context.Pipe()
            self.process = context.Process(
                target=_worker_main,
                args=(child, name, config, arn, region),
                name=f"lambda-{name}",
                daemon=True,
            )
            self.process.start()
            child.close()
        self.alive = True

    def invoke(self, payload: bytes, client_context: dict | None) -> Invocation:
        request_id = str(uuid.uuid4())
        deadline = time.time() + self.config.timeout
        timed_out = False
        try:
            self.connection.send((request_id, payload, client_context, int(deadline * 1000)))
            if self.connection.poll(self.config.timeout):
                status, body = self.connection.recv()
                error = None if status == "ok" else "Unhandled"
                return Invocation(body, error, request_id)
            timed_out = True
        except (EOFError, OSError):
            # The process died: the pipe closed before a reply came.
            self.process.join(timeout=5)
        if timed_out or self.process.is_alive():
            self.kill()
            logger.info("Function %s timed out after %.2f s (request %s)", self.name, self.config.timeout, request_id)
            # NOTE: the shape of this payload follows what recent Lambda
            # runtimes report for a timeout; older runtimes sent only an
            # errorMessage with a timestamp.
            payload = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {self.config.timeout:.2f} seconds",
            }
        else:
            self.process.join()
            self.alive = False
            code = self.process.exitcode
            logger.info("Function %s exited with status %s (request %s)", self.name, code, request_id)
            payload = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
            }
        return Invocation(json.dumps(payload).encode("utf-8"), "Unhandled", request_id)

    def kill(self) -> None:
        self.alive = False
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()

    def stop(self) -> None:
        self.alive = False
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.connection.close()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


# worker process


class ClientContext:
    """``context.client_context`` as the Python runtime builds it: `custom`, `env` and `client`."""

    def __init__(self, custom=None, env=None, client=None):
        self.custom = custom
        self.env = env
        self.client = client

    def __repr__(self) -> str:
        return f"ClientContext(custom={self.custom!r}, env={self.env!r}, client={self.client!r})"


class LambdaContext:
    """The context object a Python handler receives, with the attributes of the AWS runtime's."""

    def __init__(self, name: str, arn: str, memory_mb: int, request_id: str, deadline_ms: int, client_context):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"local/{os.getpid()}"
        self.identity = None
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _worker_main(connection, name: str, config: FunctionConfig, arn: str, region: str) -> None:
    os.environ.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_REGION": region,
        }
    )
    os.environ.update(config.environment)
    from heaviside.runtime.decorator import error_payload

    handler = _resolve_handler(config.handler)
    if config.warm_up is not None:
        config.warm_up()
    from heaviside.runtime import faults

    faults.clear()
    if config.kill_after_handler:
        chance = random.Random(os.getpid() ^ int(time.time() * 1e6))
        probability = config.kill_after_handler

        def kill() -> None:
            if chance.random() < probability:
                os._exit(1)

        faults.install(faults.AFTER_HANDLER, kill)

    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        request_id, payload, client_context, deadline_ms = message
        context = LambdaContext(name, arn, config.memory_mb, request_id, deadline_ms, _client_context(client_context))
        try:
            event = json.loads(payload) if payload else {}
            result = handler(event, context)
            body = result if isinstance(result, (bytes, bytearray)) else json.dumps(result).encode("utf-8")
            reply = ("ok", bytes(body))
        except Exception as error:
            reply = ("error", json.dumps(error_payload(error, request_id)).encode("utf-8"))
        try:
            connection.send(reply)
        except (EOFError, OSError):
            return


def _client_context(data: dict | None) -> ClientContext | None:
    if data is None:
        return None
    return ClientContext(custom=data.get("custom"), env=data.get("env"), client=data.get("client"))


def _resolve_handler(spec: Callable | str) -> Callable:
    if callable(spec):
        return spec
    module_name, _, attribute = spec.rpartition(":") if ":" in spec else spec.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {spec!r} is not an import path such as 'package.module.function'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return getattr(importlib.import_module(module_name), attribute)


# HTTP


def _make_request_handler(endpoint: LambdaEndpoint):
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:
            logger.debug("%s %s", self.address_string(), format % args)

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if not (path.startswith(_INVOKE_PREFIX) and path.endswith("/invocations")):
                self._error(404, "UnknownOperationException", f"the local Lambda endpoint does not serve {path}")
                return
            name = unquote(path[len(_INVOKE_PREFIX) : -len("/invocations")])
            length = int(self.headers.get("Content-Length") or 0)
            payload = self.rfile.read(length) if length else b""
            invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            self._invoke(name, payload, invocation_type)

        def _invoke(self, name: str, payload: bytes, invocation_type: str) -> None:
            function = function_name(name)
            if function not in endpoint.functions:
                arn = name if name.startswith("arn:") else endpoint.function_arn(function)
                self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
                return
            if invocation_type not in ("RequestResponse", "Event", "DryRun"):
                self._error(400, "InvalidParameterValueException", f"invalid invocation type {invocation_type!r}")
                return

            limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
            if len(payload) > limit:
                self._error(
                    413,
                    "RequestTooLargeException",
                    f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                )
                return
            if payload:
                try:
                    json.loads(payload)
                except ValueError:
                    self._error(400, "InvalidRequestContentException", "Could not parse request body into json")
                    return

            client_context = None
            header = self.headers.get("X-Amz-Client-Context")
            if header:
                if len(header) > CLIENT_CONTEXT_LIMIT:
                    self._error(
                        400,
                        "InvalidParameterValueException",
                        f"Client context must be at most {CLIENT_CONTEXT_LIMIT} bytes of base64",
                    )
                    return
                try:
                    client_context = json.loads(base64.b64decode(header, validate=True))
                except (binascii.Error, ValueError):
                    self._error(400, "InvalidParameterValueException", "Client context must be base64-encoded JSON")
                    return
                if not isinstance(client_context, dict):
                    client_context = None

            if invocation_type == "DryRun":
                self._respond(204, b"")
                return
            if endpoint.should_throttle():
                self._error(429, "TooManyRequestsException", "Rate Exceeded.", reason="CallerRateLimitExceeded")
                return
            if invocation_type == "Event":
                request_id = endpoint.enqueue_event(function, payload)
                self._respond(202, b"", {"x-amzn-RequestId": request_id})
                return
            outcome = endpoint.invoke(function, payload, client_context=client_context)
            headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": outcome.request_id}
            if outcome.function_error:
                headers["X-Amz-Function-Error"] = outcome.function_error
            self._respond(200, outcome.payload, headers)

        def _error(self, status: int, error_type: str, message: str, *, reason: str | None = None) -> None:
            body = {"Type": "User", "message": message}
            if reason:
                body["Reason"] = reason
            self._respond(
                status,
                json.dumps(body).encode("utf-8"),
                {"x-amzn-ErrorType": error_type, "x-amzn-RequestId": str(uuid.uuid4())},
            )

        def _respond(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if body:
                self.wfile.write(body)

    return RequestHandler


def function_name(name: str) -> str:
    """Return the function name in a name, a partial ARN (``account:function:name``) or a full ARN."""
    parts = name.split(":")
    if "function" in parts:
        position = parts.index("function")
        if position + 1 < len(parts):
            return parts[position + 1]
    return name


def _as_config(spec: FunctionConfig | Callable | str) -> FunctionConfig:
    return spec if isinstance(spec, FunctionConfig) else FunctionConfig(handler=spec)


def _parse_json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", errors="replace")
