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
# botocore's data loader caches the parsed service models. Forked processes
# (the local Lambda endpoint's workers) keep the parent's loader, so each
# worker does not parse the same JSON models again.
_loader: Any = None
_session: Any = None
_preloaded: set[str] = set()


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

            global _session
            if _session is None:
                _session = boto3.session.Session(botocore_session=_botocore_session())
            session = _session

            # Throttles are retried by the dispatcher itself with its own
            # backoff, so that each retry is logged with the execution id.
            config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=70)
            if service == "lambda":
                config = config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
            if service == "s3":
                config = config.merge(Config(s3={"addressing_style": "path"}))
            found = session.client(service, region_name=region or "us-east-1", config=config)
            _clients[key] = found
    return found


def preload_models(services: tuple[str, ...] = ("s3", "dynamodb", "lambda", "sqs")) -> None:
    """Parse the service models of `services` now, so that processes forked later start faster."""
    import boto3

    # Building a client loads every file it needs (endpoints, partitions,
    # defaults, the service model and its endpoint rules). Explicit dummy
    # credentials keep the session from resolving and caching real ones.
    session = boto3.session.Session(botocore_session=_botocore_session())
    for service in services:
        if service in _preloaded:
            continue
        _preloaded.add(service)
        session.client(service, region_name="us-east-1", aws_access_key_id="preload", aws_secret_access_key="preload")


def _botocore_session():
    global _loader
    import botocore.session

    session = botocore.session.get_session()
    if _loader is None:
        _loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _loader)
    return session


def error_code(error: Exception) -> str | None:
    """Return the AWS error code of a botocore `ClientError`, or None for any other exception."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    return response.get("Error", {}).get("Code")


def reset() -> None:
    """Forget every cached client (tests use it after changing endpoints or credentials)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None


def _forget_after_fork() -> None:
    # A forked child must not share the parent's HTTP connections.
    global _lock, _session
    _lock = threading.Lock()
    _session = None
    _clients.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
