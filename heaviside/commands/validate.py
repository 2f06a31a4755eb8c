"""`heaviside validate FILE...`: check definitions the way AWS's validator does.

Prints one line per problem, `FILE: PATH: CODE: message`, or with
`--format json` one JSON document for tools. A FILE that is a SAM template
has every ``Heaviside::StateMachine`` in it checked, with its definition
substitutions applied, and its problems print as `FILE: RESOURCE: PATH:
CODE: message`. Exit status: 0 when every file is valid, 1 when any is
invalid, 2 when a file cannot be read or parsed (this wins over 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from heaviside.asl.errors import InvalidDefinition, Problem
from heaviside.asl.load import read_definition
from heaviside.asl.validate import validate

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2

# The code of a Task whose function is still a ${Name} placeholder after DefinitionSubstitutions.
UNRESOLVED_SUBSTITUTION = "UNRESOLVED_SUBSTITUTION"


@dataclass
class FileResult:
    """The outcome of checking one file."""

    file: str
    readable: bool
    # (template resource or None for a definition file, problem)
    problems: list[tuple[str | None, Problem]] = field(default_factory=list)
    # Why the file could not be checked, when that is not a problem inside a definition.
    error: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="state machine definition files (.json, .yaml or .yml; other names are read as JSON) "
        "or SAM templates, whose Heaviside::StateMachine resources are all checked",
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
        result = _check_file(file_name)
        if not result.readable:
            status = EXIT_UNREADABLE
        elif result.problems and status == EXIT_VALID:
            status = EXIT_INVALID
        results.append(result)

    if args.format == "json":
        _print_json(results)
    else:
        _print_text(results)
    return status


def _check_file(file_name: str) -> FileResult:
    path = Path(file_name)
    if not path.exists():
        return FileResult(file_name, False, error="file not found; check the path")
    if _looks_like_template(path):
        return _check_template(file_name)
    try:
        raw = read_definition(path)
    except InvalidDefinition as error:
        return FileResult(file_name, False, [(None, problem) for problem in error.errors])
    return FileResult(file_name, True, [(None, problem) for problem in validate(raw)])


def _looks_like_template(path: Path) -> bool:
    try:
        from heaviside.local.app import looks_like_template
    except ImportError:
        # Without the cli extra, templates cannot be read, and the file is read as a definition.
        return False
    return looks_like_template(path)


def _check_template(file_name: str) -> FileResult:
    """Validate every ``Heaviside::StateMachine`` of a SAM template."""
    from heaviside.local.app import TemplateError, find_function_placeholders, load_template

    try:
        app = load_template(file_name)
    except TemplateError as error:
        return FileResult(file_name, False, error=f"{error}")

    problems: list[tuple[str | None, Problem]] = []
    for logical_id, spec in app.machines.items():
        problems.extend((logical_id, problem) for problem in validate(spec.definition))
        for item in find_function_placeholders(spec.definition):
            message = (
                f"State {item.state!r} calls {item.placeholder}, which no DefinitionSubstitutions entry sets; "
                f"add {item.name} to the DefinitionSubstitutions of {logical_id}."
            )
            problems.append((logical_id, Problem(item.path, UNRESOLVED_SUBSTITUTION, message)))
    return FileResult(file_name, True, problems)


def _print_text(results: list[FileResult]) -> None:
    for result in results:
        if result.error is not None:
            print(f"{result.file}: {result.error}")
        for resource, problem in result.problems:
            place = f"{result.file}: {resource}" if resource is not None else result.file
            print(f"{place}: {problem.path}: {problem.code}: {problem.message}")
        if result.readable and not result.problems:
            print(f"{result.file}: valid")
    unreadable = sum(1 for result in results if not result.readable)
    invalid = sum(1 for result in results if result.readable and result.problems)
    if invalid or unreadable:
        files = "1 file" if len(results) == 1 else f"{len(results)} files"
        print(f"{files} checked: {invalid} invalid, {unreadable} unreadable", file=sys.stderr)


def _print_json(results: list[FileResult]) -> None:
    document = {
        "valid": all(result.readable and not result.problems for result in results),
        "files": [_file_json(result) for result in results],
    }
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _file_json(result: FileResult) -> dict:
    entry: dict = {
        "file": result.file,
        "readable": result.readable,
        "valid": result.readable and not result.problems,
        "problems": [],
    }
    if result.error is not None:
        entry["error"] = result.error
    for resource, problem in result.problems:
        item = {"path": problem.path, "code": problem.code, "message": problem.message}
        if resource is not None:
            item["resource"] = resource
        entry["problems"].append(item)
    return entry
