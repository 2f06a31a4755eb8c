"""Events that AWS services send to an invoker, recognised by shape and turned into execution inputs.

The macro wires a machine's `Events` (Schedule, ScheduleV2, EventBridgeRule,
Api, SQS) to its invoker as SAM function events, so the invoker receives them
exactly as the service sends them:

- EventBridge rules and schedules (and CloudWatch Events) send the event
  object with ``source`` and ``detail-type``; EventBridge Scheduler's default
  notification has the same shape. The whole event is the input.
- API Gateway REST APIs (proxy integration, payload format 1.0) and HTTP APIs
  (payload format 2.0) send the request. Its body is the input: a JSON
  document, base64 encoded when ``isBase64Encoded`` is true. The caller
  receives a proxy response.
- SQS event source mappings send ``{"Records": [...]}``; each record's body is
  the input of one execution, unless the record comes from the delay queue.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from heaviside.runtime import envelope as envelopes


class InvalidRequestBody(ValueError):
    """An API Gateway request whose body is not a JSON document."""


def is_sqs_batch(event: Any) -> bool:
    """Return whether `event` is a batch from an SQS event source mapping."""
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and isinstance(records[0], dict)
        and records[0].get("eventSource") == "aws:sqs"
    )


def is_delay_record(record: dict, delay_queue_url: str | None) -> bool:
    """Return whether an SQS record comes from the delay queue rather than from a queue in the machine's `Events`.

    The record's ``eventSourceARN`` ends with the queue's name, and so does the
    delay queue's URL. An invoker without a delay queue setting treats a record
    as a delay when its body is a heaviside envelope.
    """
    if delay_queue_url:
        queue_name = delay_queue_url.rstrip("/").rsplit("/", 1)[-1]
        source_arn = record.get("eventSourceARN") or ""
        return source_arn.rsplit(":", 1)[-1] == queue_name
    try:
        body = json.loads(record.get("body") or "")
    except ValueError:
        return False
    return envelopes.is_envelope(body)


def sqs_record_input(record: dict) -> Any:
    """Return the execution input of an SQS record: its body as JSON, or the body text when it is not JSON."""
    body = record.get("body")
    if body is None:
        return {}
    try:
        return json.loads(body)
    except ValueError:
        return body


def is_eventbridge_event(event: Any) -> bool:
    """Return whether `event` is an EventBridge (or CloudWatch Events) event, such as a rule's or a schedule's."""
    return isinstance(event, dict) and "detail-type" in event and "source" in event


def is_api_gateway_event(event: Any) -> bool:
    """Return whether `event` is an API Gateway proxy request (REST payload 1.0 or HTTP API payload 2.0)."""
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return False
    if "httpMethod" in event:
        return True
    return event.get("version") == "2.0" and "routeKey" in event


def api_gateway_input(event: dict) -> Any:
    """Return the request body as the execution input; an empty body is ``{}``.

    Raises `InvalidRequestBody` when the body is not valid base64 (when
    ``isBase64Encoded`` is true), not UTF-8 or not JSON.
    """
    body = event.get("body")
    if body is None or body == "":
        return {}
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestBody("the request body is marked as base64 but is not valid base64") from None
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequestBody("the request body is not UTF-8 text; send a JSON document") from None
    try:
        return json.loads(body)
    except ValueError as error:
        raise InvalidRequestBody(
            f"the request body is not valid JSON ({error}); send the execution input as a JSON document"
        ) from None


def api_gateway_response(status_code: int, body: dict) -> dict:
    """Build an API Gateway proxy response with a JSON body; REST and HTTP APIs both accept this shape."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json"},
        "isBase64Encoded": False,
        "body": json.dumps(body, separators=(",", ":")),
    }
