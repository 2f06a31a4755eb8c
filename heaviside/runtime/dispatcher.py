"""Sending hops: asynchronous Lambda invokes and messages on the SQS delay queue."""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any, Callable

from heaviside.asl.errors import HeavisideError
from heaviside.runtime import clients

logger = logging.getLogger(__name__)

# Error codes with which Lambda rejects an invoke that may succeed later.
THROTTLE_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded", "ServiceException"}
)

# SQS delays a message by at most 15 minutes; longer delays are re-queued.
MAX_QUEUE_DELAY_SECONDS = 900


class FunctionNotFoundError(HeavisideError, LookupError):
    """The Task's function does not exist (Lambda returned ResourceNotFoundException)."""


class DispatchError(HeavisideError):
    """An invoke that failed for a reason other than a missing function, after every retry."""


class LambdaDispatcher:
    """Asynchronous Lambda invokes, with throttles retried under exponential backoff and full jitter.

    `max_attempts` counts the first attempt; `base_delay` and `max_delay` are
    seconds.
    """

    def __init__(
        self,
        *,
        max_attempts: int = 8,
        base_delay: float = 0.05,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep

    def invoke_event(self, function: str, payload: Any, *, execution_id: str, state: str) -> None:
        """Invoke `function` with `payload` (InvocationType Event); raise `FunctionNotFoundError`."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode("utf-8")
        lambda_client = clients.client("lambda")
        for attempt in range(1, self.max_attempts + 1):
            try:
                lambda_client.invoke(FunctionName=function, InvocationType="Event", Payload=body)
            except Exception as error:
                code = clients.error_code(error)
                if code == "ResourceNotFoundException":
                    raise FunctionNotFoundError(f"function {function} does not exist") from error
                if code not in THROTTLE_CODES or attempt == self.max_attempts:
                    raise DispatchError(
                        f"invoking {function} for state {state!r} of execution {execution_id} failed after "
                        f"{attempt} attempts: {error}"
                    ) from error
                import random  # only a throttled invoke needs it

                delay = random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
                logger.warning(
                    "Invoke of %s for state %r of execution %s was throttled (%s); retry %d in %.3f s",
                    function, state, execution_id, code, attempt, delay,
                )
                self._sleep(delay)
                continue
            logger.info("Dispatched state %r of execution %s to %s (%d bytes)", state, execution_id, function, len(body))
            return


class SqsDelayQueue:
    """The delay queue: each message is an envelope that the invoker resumes when it is due."""

    def __init__(self, queue_url: str):
        self.queue_url = queue_url

    def send(self, envelope: dict, delay_seconds: float, *, execution_id: str, state: str) -> None:
        """Queue `envelope` to arrive after `delay_seconds` (capped at 900; the invoker re-queues the rest)."""
        # SQS delays by whole seconds; rounding up makes the message arrive due, not early.
        delay = max(0, min(MAX_QUEUE_DELAY_SECONDS, math.ceil(delay_seconds)))
        clients.client("sqs").send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(envelope, separators=(",", ":")),
            DelaySeconds=delay,
        )
        logger.info("Queued state %r of execution %s to resume in %d s", state, execution_id, delay)
