"""A moto server on 127.0.0.1 for tests of the AWS stores and the runtime.

Import the fixtures into a test module with
``from tests.fixtures_aws import moto_server, aws_env, aws_resources``.
The server runs as a separate process that handles one request at a time
(`heaviside.runtime.testing.start_moto_server` explains why). So it uses its own
CPU, and the test process stays free of server threads, which matters
because the local Lambda endpoint forks worker processes.
Credentials are dummy values; nothing reaches any host but 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from heaviside.runtime.testing import start_moto_server, stop_process

DUMMY_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_moto_server():
    """Start a moto server on 127.0.0.1 and a free port; yield its URL; stop it afterwards."""
    url, process = start_moto_server()
    try:
        yield url
    finally:
        stop_process(process)


@contextmanager
def patched_environment(values: dict[str, str]):
    """Set environment variables for the block and restore the previous values afterwards."""
    from heaviside.runtime import clients

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    clients.reset()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clients.reset()


@pytest.fixture(scope="session")
def moto_server():
    """URL of a moto server shared by the whole test session."""
    with running_moto_server() as url:
        yield url


@pytest.fixture
def aws_env(moto_server):
    """Dummy credentials, and S3, DynamoDB and SQS pointed at the moto server."""
    values = dict(DUMMY_ENVIRONMENT)
    for service in ("S3", "DYNAMODB", "SQS"):
        values[f"AWS_ENDPOINT_URL_{service}"] = moto_server
    with patched_environment(values):
        yield moto_server


@dataclass
class AwsResources:
    bucket: str
    table: str
    queue_url: str
    endpoint: str


def create_resources(endpoint: str) -> AwsResources:
    """Create a fresh bucket, table and delay queue with unique names on the moto server."""
    from heaviside.runtime import clients
    from heaviside.runtime.stores.aws import create_table

    suffix = uuid.uuid4().hex[:10]
    bucket = f"heaviside-test-{suffix}"
    table = f"heaviside-test-{suffix}"
    clients.client("s3").create_bucket(Bucket=bucket)
    create_table(table)
    queue_url = clients.client("sqs").create_queue(QueueName=f"heaviside-delays-{suffix}")["QueueUrl"]
    return AwsResources(bucket=bucket, table=table, queue_url=queue_url, endpoint=endpoint)


@pytest.fixture
def aws_resources(aws_env):
    """A fresh bucket, table and delay queue for one test."""
    return create_resources(aws_env)
