"""The invoker: one Lambda handler with several entry points, chosen by the event's shape.

- Start: ``{"stateMachine": name}`` or ``{"definition": ...}``, with
  ``input``, and optionally ``name``, ``roleArn``, ``executionType`` and
  ``waitSeconds``. A request with ``input`` and only those optional fields
  starts the machine the invoker was deployed for. A second start with the
  same name returns the first execution. Returns ``{"executionArn",
  "startDate"}``, or the execution's description when ``waitSeconds`` is given
  and it ends within that time (like StartSyncExecution).
- Start from the machine's `Events` (see `heaviside.runtime.event_sources`):
  an EventBridge event, an API Gateway request, or SQS records from a queue
  other than the delay queue.
- Resume after a delay: SQS records from the delay queue, whose bodies are
  envelopes with a due time.
- OnFailure destination records: the envelope is the record's
  ``requestPayload``. The Task's Retry and Catch are applied to the error in
  ``responsePayload``, which may be a handler error, a timeout, a crash or
  running out of memory.
- Describe: ``{"executionArn": ...}`` returns status, output or error and
  cause, and start and stop times from the execution record.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from heaviside.engine import DelayElapsed, FunctionFailed, TaskFailed, compile_program
from heaviside.runtime import envelope as envelopes
from heaviside.runtime import event_sources
from heaviside.runtime.driver import Driver, container_driver, deadline_ms
from heaviside.runtime.envelope import HeavisideContext
from heaviside.runtime.errors import RuntimeConfigurationError
from heaviside.runtime.stores.base import END_STATUSES, ExecutionRecord

logger = logging.getLogger(__name__)

# Execution names: 1 to 80 characters without whitespace, control characters,
# ":" or "/", which would break the execution ARN and the blob keys.
# NOTE: Step Functions also rejects brackets, wildcards and "#%\^|~`$&,;
# heaviside accepts them so that the placeholder names of recorded
# executions (such as "<ExecArnPart_0idx>") can be replayed.
_NAME = re.compile(r"^[^\s:/\x00-\x1f\x7f-\x9f]{1,80}$")


class InvalidStartRequest(ValueError):
    """A start event that names no known state machine or has an invalid execution name."""


# The fields of a start request; one without `stateMachine` and `definition`
# is recognised by having `input` and no other keys.
_START_FIELDS = frozenset({"input", "name", "roleArn", "executionType", "waitSeconds"})


def handler(event: Any, context: Any = None) -> Any:
    """The invoker's Lambda entry point."""
    driver = container_driver()
    if isinstance(event, dict):
        if event_sources.is_sqs_batch(event):
            return handle_sqs_batch(driver, event["Records"], context)
        if "requestContext" in event and "requestPayload" in event:
            return handle_destination_record(driver, event, context)
        if "stateMachine" in event or "definition" in event:
            return start_execution(driver, event, context)
        if "executionArn" in event:
            return describe_execution(driver, event["executionArn"])
        if "input" in event and set(event) <= _START_FIELDS:
            return start_execution(driver, event, context)
        if event_sources.is_api_gateway_event(event):
            return start_from_api_request(driver, event, context)
        if event_sources.is_eventbridge_event(event):
            return start_from_eventbridge(driver, event, context)
    raise InvalidStartRequest(
        "the invoker received an event it does not recognise; send {\"input\": ...} or "
        "{\"stateMachine\": name, \"input\": ...} or {\"definition\": ..., \"input\": ...} to start an execution, "
        "or {\"executionArn\": ...} to describe one; EventBridge events, API Gateway proxy requests "
        "and SQS records start the deployed machine with the event as input"
    )


def start_execution(driver: Driver, event: dict, context: Any = None) -> dict:
    """Start an execution (idempotent by name) and return its ARN, or its description after waiting."""
    from heaviside.asl.load import load_definition

    config = driver.config
    machine = event.get("stateMachine") or config.state_machine or "heaviside"
    definition = event.get("definition")
    if definition is None:
        if not config.definition and event.get("stateMachine") is None:
            raise InvalidStartRequest(
                "this invoker has no deployed state machine (HEAVISIDE_DEFINITION is not set); "
                "call the invoker of the machine you mean, or pass the definition in the 'definition' field"
            )
        if not config.definition or (config.state_machine and machine != config.state_machine):
            raise InvalidStartRequest(
                f"state machine {machine!r} is not known to this invoker (it runs {config.state_machine!r}); "
                "pass the definition in the 'definition' field or call that machine's invoker"
            )
        definition = config.definition
    text = definition if isinstance(definition, str) else json.dumps(definition, separators=(",", ":"))
    model = load_definition(text)
    if driver.stores.definitions is None:
        raise RuntimeConfigurationError("HEAVISIDE_BUCKET is not set; the invoker needs it to store definitions")
    digest = driver.stores.definitions.put_definition(text)
    program = compile_program(model)
    driver.remember_program(digest, program)

    name = event.get("name") or str(uuid.uuid4())
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidStartRequest(
            f"execution name {name!r} is invalid: use 1 to 80 characters without whitespace, ':' or '/'"
        )
    region, account = _region_and_account(context, config)
    execution_type = event.get("executionType") or config.execution_type
    if execution_type == "EXPRESS":
        execution_id = f"arn:aws:states:{region}:{account}:express:{machine}:{name}:{uuid.uuid4()}"
    else:
        execution_id = f"arn:aws:states:{region}:{account}:execution:{machine}:{name}"
    start_ms = int(time.time() * 1000)
    execution_input = event.get("input")
    heaviside_context = HeavisideContext(
        execution_id=execution_id,
        definition_digest=digest,
        cursor=None,
        start_time=start_ms,
        execution_input=execution_input,
        deadline=deadline_ms(start_ms, model.timeout_seconds),
        role_arn=event.get("roleArn"),
        execution_type=execution_type,
    )

    started = True
    if driver.stores.executions is not None:
        record = ExecutionRecord(
            execution_id=execution_id,
            name=name,
            state_machine=machine,
            definition_digest=digest,
            input=execution_input,
            start_time=start_ms,
        )
        stored, started = driver.stores.executions.create_execution(record)
        start_ms = stored.start_time
    elif driver.stores.hops is not None:
        started = driver.stores.hops.claim_hop(execution_id, "start")

    if started:
        logger.info("Starting execution %s of state machine %s", execution_id, machine)
        driver.start(heaviside_context, program, remaining_seconds=_remaining_seconds(context))
    else:
        logger.info("Execution %s was already started; returning it", execution_id)

    wait = event.get("waitSeconds")
    if wait and driver.stores.executions is not None:
        return wait_for_execution(driver, execution_id, float(wait))
    return {"executionArn": execution_id, "startDate": start_ms}


def wait_for_execution(driver: Driver, execution_id: str, timeout: float, *, interval: float = 0.05) -> dict:
    """Poll the execution record until the execution ends or `timeout` seconds pass; return its description."""
    deadline = time.monotonic() + timeout
    while True:
        description = describe_execution(driver, execution_id)
        if description["status"] in END_STATUSES or time.monotonic() >= deadline:
            return description
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 1.5, 1.0)


def describe_execution(driver: Driver, execution_id: str) -> dict:
    """Return the execution's record as DescribeExecution would; raise `NotFound`."""
    if driver.stores.executions is None:
        raise RuntimeConfigurationError(
            "execution records are off (HEAVISIDE_EXECUTION_RECORDS=false or HEAVISIDE_TABLE unset), "
            "so executions cannot be described"
        )
    return driver.stores.executions.get_execution(execution_id).to_json()


def resume_delays(driver: Driver, records: list, context: Any = None) -> dict:
    """Resume every due envelope of an SQS batch, re-queue the others; report failed records one by one."""
    failures = []
    for record in records:
        message_id = record.get("messageId", "")
        try:
            _resume_delay(driver, json.loads(record["body"]), context)
        except Exception:
            logger.exception("Resuming delay message %s failed; SQS will deliver it again", message_id)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def handle_sqs_batch(driver: Driver, records: list, context: Any = None) -> dict:
    """Resume the delay queue's records and start one execution per record of any other queue.

    Each other record's body is the execution input, and its message id is the
    execution name, so a record delivered again returns the first execution.
    Records that fail are reported in ``batchItemFailures``; SQS honours that
    only for event sources with ``FunctionResponseTypes: [ReportBatchItemFailures]``.
    """
    failures = []
    for record in records:
        message_id = record.get("messageId", "")
        try:
            if event_sources.is_delay_record(record, driver.config.delay_queue_url):
                _resume_delay(driver, json.loads(record["body"]), context)
            else:
                start = {"input": event_sources.sqs_record_input(record)}
                if _NAME.match(message_id):
                    start["name"] = message_id
                start_execution(driver, start, context)
        except Exception:
            logger.exception(
                "SQS message %s from %s failed; reporting it as a batch item failure",
                message_id, record.get("eventSourceARN"),
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def start_from_eventbridge(driver: Driver, event: dict, context: Any = None) -> dict:
    """Start the deployed machine with an EventBridge event (a rule's or a schedule's) as input.

    The event's ``id`` is the execution name, so a repeated delivery of the
    same event returns the first execution.
    """
    # NOTE: two rules of the same machine that match one event deliver the
    # same id, so they start one execution where Step Functions starts two.
    start = {"input": event}
    event_id = event.get("id")
    if isinstance(event_id, str) and _NAME.match(event_id):
        start["name"] = event_id
    return start_execution(driver, start, context)


def start_from_api_request(driver: Driver, event: dict, context: Any = None) -> dict:
    """Start the deployed machine with an API Gateway request's body as input; return a proxy response.

    The response is 200 with ``{"executionArn", "startDate"}``, or 400 with
    ``{"message"}`` when the body is not a JSON document.
    """
    try:
        execution_input = event_sources.api_gateway_input(event)
    except event_sources.InvalidRequestBody as error:
        request_id = (event.get("requestContext") or {}).get("requestId")
        logger.warning("Rejected API Gateway request %s: %s", request_id, error)
        return event_sources.api_gateway_response(400, {"message": str(error)})
    started = start_execution(driver, {"input": execution_input}, context)
    return event_sources.api_gateway_response(200, started)


def _resume_delay(driver: Driver, envelope: dict, context: Any) -> None:
    heaviside_context, _ = driver.decode(envelope)
    remaining = (heaviside_context.due or 0) / 1000 - time.time()
    if 0 < remaining <= driver.config.sleep_threshold_seconds:
        driver.sleep(remaining)
    elif remaining > 0:
        if driver.delays is None:
            raise RuntimeConfigurationError("HEAVISIDE_DELAY_QUEUE_URL is not set; a long delay cannot be re-queued")
        state = (heaviside_context.cursor or {}).get("s", "")
        driver.delays.send(envelope, remaining, execution_id=heaviside_context.execution_id, state=state)
        return
    if not driver.claim_hop(heaviside_context):
        return
    driver.resume(heaviside_context, DelayElapsed(), remaining_seconds=_remaining_seconds(context))


def handle_destination_record(driver: Driver, record: dict, context: Any = None) -> dict:
    """Apply the Task's Retry and Catch to a hop that Lambda gave up on (an OnFailure record)."""
    request_context = record.get("requestContext") or {}
    condition = request_context.get("condition")
    payload = record.get("requestPayload")
    if condition == "Success":
        return {"handled": False, "reason": "success records need no action"}
    if not envelopes.is_envelope(payload):
        logger.warning(
            "Destination record %s carries no heaviside envelope (condition %s); nothing to resume",
            request_context.get("requestId"), condition,
        )
        return {"handled": False, "reason": "the request payload is not a heaviside envelope"}
    heaviside_context, _ = driver.decode(payload)
    if not driver.claim_hop(heaviside_context, prefix="failure:"):
        return {"handled": False, "reason": "this failure was already handled"}

    response = record.get("responsePayload")
    request_id = request_context.get("requestId", "")
    if isinstance(response, dict) and "errorType" in response:
        event: Any = FunctionFailed(response, request_id)
    else:
        message = response.get("errorMessage") if isinstance(response, dict) else response
        event = TaskFailed("Lambda.Unknown", str(message if message is not None else condition))
    logger.info(
        "Resuming execution %s after the function failed (%s): %s",
        heaviside_context.execution_id, condition, getattr(event, "payload", None) or event,
    )
    driver.resume(
        heaviside_context,
        event,
        remaining_seconds=_remaining_seconds(context),
        history_key=f"failure:{heaviside_context.hop_id}",
    )
    return {"handled": True}


def _region_and_account(context: Any, config) -> tuple[str, str]:
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    if len(parts) >= 5 and parts[0] == "arn":
        return parts[3], parts[4]
    return config.region, config.account


def _remaining_seconds(context: Any):
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return lambda: remaining() / 1000
