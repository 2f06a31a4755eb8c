"""`heaviside run DEFINITION`: run one execution with the in-process runner.

DEFINITION is a state machine definition (JSON or YAML), or a SAM template
(a file with a top-level ``Resources``), which goes to
`heaviside.local.app.run_template`. The outcome is printed as JSON on
stdout. The exit status is 0 when the execution succeeded, 1 when it failed
or timed out, and 2 when the definition, the input or the functions module
cannot be used.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("definition", metavar="DEFINITION", help="definition file (.json, .yaml, .yml) or SAM template")
    parser.add_argument(
        "machine",
        nargs="?",
        metavar="MACHINE",
        help="logical id of the state machine to run, when DEFINITION is a template with several",
    )
    parser.add_argument(
        "--input",
        metavar="JSON|@FILE",
        help="execution input as JSON text, or @FILE to read it from a file (default: {})",
    )
    parser.add_argument(
        "--functions",
        metavar="MODULE",
        help="Python module (dotted name or .py file) whose FUNCTIONS dict maps function names or ARNs "
        "to handlers; without FUNCTIONS, every top-level function named in a Task is used",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print one line per state entered, retry, caught or uncaught error, and Map started to stderr "
        "(template runs print these without --trace too, but fold the states inside Map iterations into progress lines)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply Wait and retry delays and timeouts by F (default 1.0; 0.01 runs a 60 s Wait in 0.6 s)",
    )
    parser.add_argument("--mock", action="append", metavar="STATE=JSON|@FILE", help="template runs: mock a Task state")
    parser.add_argument("--mock-file", metavar="FILE", help="template runs: mocks for several Task states")
    parser.add_argument("--execution-name", metavar="NAME", help="execution name in the context object")
    try:
        from heaviside.local.app import add_template_arguments
    except ImportError:
        # Template runs are unavailable, which _run_template reports when one is requested.
        return
    add_template_arguments(parser)


def main(args: argparse.Namespace) -> int:
    path = Path(args.definition)
    if not path.exists():
        print(f"heaviside run: {path}: file not found; check the path", file=sys.stderr)
        return EXIT_USAGE
    if _looks_like_template(path):
        return _run_template(args)
    document = _read_document(path)
    if document is None:
        return EXIT_USAGE
    if isinstance(document, dict) and "Resources" in document:
        return _run_template(args)

    from heaviside.asl.errors import InvalidDefinition
    from heaviside.local import SUCCEEDED, run

    try:
        _reject_template_options(args)
        execution_input = _read_input(args.input)
        functions = _load_functions(args.functions) if args.functions else {}
    except UsageError as error:
        print(f"heaviside run: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not args.time_scale > 0:
        print(f"heaviside run: --time-scale must be greater than 0, got {args.time_scale}", file=sys.stderr)
        return EXIT_USAGE

    unresolved = _describe_unresolved_placeholders(document)
    if unresolved:
        print(f"heaviside run: {path}: {unresolved}", file=sys.stderr)
        return EXIT_USAGE

    observe = _print_trace if args.trace else None
    names = {"execution": args.execution_name} if args.execution_name else None
    try:
        execution = run(
            document, execution_input, functions=functions, time_scale=args.time_scale, names=names, observe=observe
        )
    except InvalidDefinition as error:
        print(f"heaviside run: {path}: {_describe_invalid(error)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # a fault in heaviside itself, reported without a traceback
        logger.debug("heaviside run failed on %s", path, exc_info=True)
        print(
            f"heaviside run: {path}: internal error {type(error).__name__}: {error}. "
            "This is a fault in heaviside; please report it with the definition and the input.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(json.dumps(execution.to_json(), indent=2, ensure_ascii=False))
    return EXIT_SUCCEEDED if execution.status == SUCCEEDED else EXIT_FAILED


class UsageError(Exception):
    """An option value that cannot be used; the message names the option and the reason."""


def _reject_template_options(args: argparse.Namespace) -> None:
    """Raise `UsageError` for an option that only a SAM template run uses."""
    template_only = [
        ("--mock", bool(getattr(args, "mock", None))),
        ("--mock-file", getattr(args, "mock_file", None) is not None),
        ("--through lambda", getattr(args, "through", None) == "lambda"),
        ("--state-dir", getattr(args, "state_dir", None) is not None),
    ]
    for option, is_set in template_only:
        if is_set:
            raise UsageError(
                f"{option} applies to SAM templates only, and {args.definition} is a definition; "
                "run the template that declares the machine instead"
            )


def _read_document(path: Path) -> Any:
    from heaviside.asl.errors import InvalidDefinition
    from heaviside.asl.load import read_definition

    try:
        return read_definition(path)
    except InvalidDefinition as error:
        print(f"heaviside run: {path}: {_describe_invalid(error)}", file=sys.stderr)
    except OSError as error:
        print(f"heaviside run: cannot read {path}: {error.strerror or error}", file=sys.stderr)
    return None


def _describe_invalid(error) -> str:
    """Describe an `InvalidDefinition`: one problem on the same line, several on lines of their own."""
    if len(error.errors) == 1:
        return f"invalid state machine definition: {error.errors[0]}"
    lines = "".join(f"\n  {problem}" for problem in error.errors)
    return f"invalid state machine definition ({len(error.errors)} problems):{lines}"


def _looks_like_template(path: Path) -> bool:
    """Return whether `path` is a SAM or CloudFormation template.

    Templates use CloudFormation tags (``!Ref``, ``!GetAtt``) that a plain YAML
    parser rejects, so they are recognised before the definition is parsed.
    """
    try:
        from heaviside.local.app import looks_like_template
    except ImportError:
        # Without template support, a YAML file with a top-level Resources key is still recognised.
        if path.suffix.lower() not in (".yaml", ".yml"):
            return False
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        return re.search(r"^Resources\s*:", text, re.MULTILINE) is not None
    return looks_like_template(path)


def _describe_unresolved_placeholders(document: Any) -> str | None:
    """Describe the ``${Name}`` placeholders left in Task functions of a definition, or return None."""
    try:
        from heaviside.local.app import find_function_placeholders
    except ImportError:
        return None
    found = find_function_placeholders(document)
    if not found:
        return None
    places = "; ".join(f"state {item.state!r} calls {item.placeholder} ({item.path})" for item in found)
    return (
        f"the definition has an unresolved substitution: {places}. DefinitionSubstitutions apply only "
        "to a template, so run the template that declares the machine (heaviside run template.yaml), "
        "or write the function's name or ARN in place of the placeholder."
    )


def _run_template(args: argparse.Namespace) -> int:
    try:
        from heaviside.local.app import run_template
    except ImportError:
        print(
            f"heaviside run: {args.definition} is a SAM template, but template runs are not available "
            "in this installation (heaviside.local.app is missing); run a definition file instead",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return run_template(args)


def _read_input(value: str | None) -> Any:
    if value is None:
        return {}
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"--input {value}: cannot read the file: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(f"--input: not valid JSON ({error}); pass JSON text or @FILE") from None


def _load_functions(spec: str) -> dict[str, Callable]:
    """Import the functions module and return its map of function names to handlers."""
    try:
        if spec.endswith(".py"):
            module = _import_file(Path(spec))
        else:
            module = importlib.import_module(spec)
    except (ImportError, OSError, SyntaxError) as error:
        raise UsageError(f"--functions {spec}: cannot import it: {error}") from None
    functions = getattr(module, "FUNCTIONS", None)
    if functions is None:
        functions = {
            name: value
            for name, value in vars(module).items()
            if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        }
    if not isinstance(functions, dict):
        raise UsageError(f"--functions {spec}: FUNCTIONS must be a dict of function names to handlers")
    return functions


def _import_file(path: Path):
    import importlib.util

    if not path.is_file():
        raise ImportError(f"no such file {path}")
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module


def _print_trace(record) -> None:
    """Print a trace record of `heaviside.local.trace` to stderr, leaving out per-iteration counts."""
    from heaviside.local.trace import IterationEnded, format_record

    if not isinstance(record, IterationEnded):
        print(format_record(record), file=sys.stderr, flush=True)
