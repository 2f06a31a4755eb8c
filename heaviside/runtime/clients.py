"""boto3 clients, one per service and container, created on first use.

boto3 is imported here and only here, lazily, so that importing the runtime
costs nothing in a Lambda that never touches AWS (and on hosts without
boto3). Endpoints come from boto3's own ``AWS_ENDPOINT_URL[_<SERVICE>]``
variables, so the cache key includes them: a test that points a service at
another endpoint gets a new client.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_clients: dict[tuple[str, str | None, str | None], Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    """Return the container's boto3 client for `service` ("s3", "dynamodb", "sqs", "lambda")."""
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, endpoint, region)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            import boto3
            from botocore.config import Config

            # Throttles are retried by the dispatcher itself with its own
            # backoff, so that each retry is logged with the execution id.
            config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=70)
            if service == "s3":
                config = config.merge(Config(s3={"addressing_style": "path"}))
            found = boto3.client(service, region_name=region or "us-east-1", config=config)
            _clients[key] = found
    return found


def error_code(error: Exception) -> str | None:
    """Return the AWS error code of a botocore `ClientError`, or None for any other exception."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    return response.get("Error", {}).get("Code")


def reset() -> None:
    """Forget every cached client (tests use it after changing endpoints or credentials)."""
    with _lock:
        _clients.clear()


def _forget_after_fork() -> None:
    # A forked child must not share the parent's HTTP connections.
    global _lock
    _lock = threading.Lock()
    _clients.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
