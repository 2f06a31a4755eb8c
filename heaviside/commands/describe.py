"""`heaviside describe EXECUTION_ARN`: show an execution of a deployed state machine.

The machine's invoker reads the execution record (status, output or error and
cause, start and stop times in milliseconds since the epoch) and returns it. The invoker is found as for
`heaviside start`: by ``--function-name`` or through the stack's outputs.
"""

from __future__ import annotations

import argparse
import json
import sys

from heaviside.commands.start import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError, add_invoker_arguments, find_invoker, invoke


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution", metavar="EXECUTION_ARN", help="the executionArn that heaviside start printed")
    add_invoker_arguments(parser)


def main(args: argparse.Namespace) -> int:
    try:
        invoker = find_invoker(args)
        record = invoke(invoker, describe_request(args.execution), args)
    except CommandError as error:
        print(f"heaviside describe: {error}", file=sys.stderr)
        return EXIT_USAGE

    print(json.dumps(record, indent=2, ensure_ascii=False))
    status = record.get("status") if isinstance(record, dict) else None
    return EXIT_FAILED if status in ("FAILED", "TIMED_OUT", "ABORTED") else EXIT_OK


def describe_request(execution_arn: str) -> dict:
    """Build the invoker's describe request."""
    return {"executionArn": execution_arn}
