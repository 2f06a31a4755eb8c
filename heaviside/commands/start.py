"""`heaviside start`: start an execution of a deployed state machine through its invoker.

The invoker is the Lambda function the macro creates for each
``Heaviside::StateMachine``. It is found by name (``--function-name``) or
through the stack output ``<Machine>InvokerName`` (``--stack``), and invoked
synchronously with boto3, using the usual AWS credentials and region.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
INVOKER_OUTPUT_SUFFIX = "InvokerName"


class CommandError(Exception):
    """A problem the user can fix; the message states what failed and what to do next."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_invoker_arguments(parser)
    parser.add_argument(
        "--input", metavar="JSON|@FILE", help="execution input as JSON text, or @FILE to read it from a file (default: {})"
    )
    parser.add_argument(
        "--name",
        metavar="NAME",
        help="execution name; starting again with the same name returns the first execution instead of a new one",
    )
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="wait up to SECONDS for the execution to end and print its description, like StartSyncExecution; "
        "the invoker's own timeout limits the wait",
    )


def add_invoker_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options that find the invoker function; `describe` shares them."""
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack", metavar="STACK", help="CloudFormation stack of the application")
    target.add_argument("--function-name", metavar="NAME", help="name or ARN of the machine's invoker function")
    parser.add_argument(
        "--machine",
        metavar="LOGICAL_ID",
        help="logical id of the state machine in the stack, when the stack has several",
    )
    parser.add_argument("--region", metavar="REGION", help="AWS region (default: from your AWS configuration)")
    parser.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="Lambda endpoint to call instead of AWS's, for example a local Lambda endpoint in tests",
    )


def main(args: argparse.Namespace) -> int:
    try:
        execution_input = read_json_option(args.input, "--input") if args.input is not None else {}
        if args.wait is not None and not args.wait > 0:
            raise CommandError(f"--wait must be a number of seconds greater than 0, got {args.wait}")
        invoker = find_invoker(args)
        request = start_request(execution_input, args.name, args.wait)
        response = invoke(invoker, request, args)
    except CommandError as error:
        print(f"heaviside start: {error}", file=sys.stderr)
        return EXIT_USAGE

    print(json.dumps(response, indent=2, ensure_ascii=False))
    status = response.get("status") if isinstance(response, dict) else None
    return EXIT_FAILED if status in ("FAILED", "TIMED_OUT", "ABORTED") else EXIT_OK


def start_request(execution_input: Any, name: str | None, wait_seconds: float | None) -> dict:
    """Build the invoker's start request.

    Without ``stateMachine`` the invoker starts the machine it was deployed
    for, whatever its ``Name``.
    """
    request: dict[str, Any] = {"input": execution_input}
    if name is not None:
        request["name"] = name
    if wait_seconds is not None:
        request["waitSeconds"] = wait_seconds
    return request


def find_invoker(args: argparse.Namespace) -> str:
    """Return the invoker's function name: `--function-name`, or the one the stack outputs name."""
    if args.function_name:
        return args.function_name

    outputs = _stack_outputs(args.stack, args.region)
    invokers = {
        key[: -len(INVOKER_OUTPUT_SUFFIX)]: value for key, value in outputs.items() if key.endswith(INVOKER_OUTPUT_SUFFIX)
    }
    if args.machine:
        if args.machine not in invokers:
            listed = ", ".join(sorted(invokers)) or "none"
            raise CommandError(
                f"stack {args.stack} has no output {args.machine}{INVOKER_OUTPUT_SUFFIX}; "
                f"its state machines are: {listed}"
            )
        return invokers[args.machine]
    if len(invokers) == 1:
        return next(iter(invokers.values()))
    if not invokers:
        raise CommandError(
            f"stack {args.stack} has no output ending in {INVOKER_OUTPUT_SUFFIX}; "
            "is it an application deployed with the Heaviside transform?"
        )
    raise CommandError(f"stack {args.stack} has several state machines ({', '.join(sorted(invokers))}); choose one with --machine")


def invoke(function_name: str, request: dict, args: argparse.Namespace) -> Any:
    """Invoke the invoker synchronously and return its JSON response.

    Raises `CommandError` when the call fails or the function raised.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client("lambda", args.region, getattr(args, "endpoint_url", None))
    try:
        response = client.invoke(
            FunctionName=function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(request).encode("utf-8"),
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise CommandError(f"function {function_name} not found; check the name, the region and --stack") from None
        raise CommandError(f"invoking {function_name} failed: {error}") from None
    except BotoCoreError as error:
        raise CommandError(f"invoking {function_name} failed: {error}") from None

    body = response["Payload"].read()
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        raise CommandError(f"{function_name} returned a response that is not JSON: {body[:200]!r}") from None
    if response.get("FunctionError"):
        message = payload.get("errorMessage") if isinstance(payload, dict) else payload
        error_type = payload.get("errorType") if isinstance(payload, dict) else "error"
        raise CommandError(f"{function_name} raised {error_type}: {message}")
    return payload


def read_json_option(value: str, option: str) -> Any:
    """Read an option value given as JSON text or as ``@FILE``."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{option} {value}: cannot read the file: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise CommandError(f"{option}: not valid JSON ({error}); pass JSON text or @FILE") from None


def _stack_outputs(stack: str, region: str | None) -> dict[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client("cloudformation", region, None)
    try:
        stacks = client.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise CommandError(f"cannot read stack {stack}: {message}") from None
    except BotoCoreError as error:
        raise CommandError(f"cannot read stack {stack}: {error}") from None
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def _client(service: str, region: str | None, endpoint_url: str | None):
    import boto3
    from botocore.exceptions import NoRegionError

    try:
        return boto3.client(service, region_name=region, endpoint_url=endpoint_url)
    except NoRegionError:
        raise CommandError("no AWS region configured; pass --region or set AWS_REGION") from None
