"""`heaviside validate FILE...`: check definitions the way AWS's validator does.

Prints one line per problem, `FILE: PATH: CODE: message`, or with
`--format json` one JSON document for tools. Exit status: 0 when every file is
valid, 1 when any is invalid, 2 when a file cannot be read or parsed (this
wins over 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from heaviside.asl.errors import InvalidDefinition, Problem
from heaviside.asl.load import read_definition
from heaviside.asl.validate import validate

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="state machine definition files (.json, .yaml or .yml; other names are read as JSON)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format: 'text' prints FILE: PATH: CODE: message per problem (default); "
        "'json' prints one JSON object with every file and its problems",
    )


def main(args: argparse.Namespace) -> int:
    results = []
    status = EXIT_VALID
    for file_name in args.files:
        readable, problems = _check_file(file_name)
        if not readable:
            status = EXIT_UNREADABLE
        elif problems and status == EXIT_VALID:
            status = EXIT_INVALID
        results.append((file_name, readable, problems))

    if args.format == "json":
        _print_json(results)
    else:
        _print_text(results)
    return status


def _check_file(file_name: str) -> tuple[bool, list[Problem]]:
    """Return whether the file could be read and parsed, and its problems."""
    try:
        raw = read_definition(Path(file_name))
    except InvalidDefinition as error:
        return False, error.errors
    return True, validate(raw)


def _print_text(results: list[tuple[str, bool, list[Problem]]]) -> None:
    for file_name, readable, problems in results:
        for problem in problems:
            print(f"{file_name}: {problem.path}: {problem.code}: {problem.message}")
        if readable and not problems:
            print(f"{file_name}: valid")
    unreadable = sum(1 for _, readable, _ in results if not readable)
    invalid = sum(1 for _, readable, problems in results if readable and problems)
    if invalid or unreadable:
        files = "1 file" if len(results) == 1 else f"{len(results)} files"
        print(f"{files} checked: {invalid} invalid, {unreadable} unreadable", file=sys.stderr)


def _print_json(results: list[tuple[str, bool, list[Problem]]]) -> None:
    document = {
        "valid": all(not problems for _, _, problems in results),
        "files": [
            {
                "file": file_name,
                "readable": readable,
                "valid": not problems,
                "problems": [
                    {"path": problem.path, "code": problem.code, "message": problem.message}
                    for problem in problems
                ],
            }
            for file_name, readable, problems in results
        ],
    }
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
