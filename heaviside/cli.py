"""The `heaviside` command line.

Each subcommand lives in `heaviside.commands.<name>` and is imported only when
it runs, so that one command's dependencies never slow down another.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# name -> one-line help; the module heaviside.commands.<name> implements it.
COMMANDS = {
    "validate": "check state machine definitions (JSON or YAML) like AWS's validator",
    "run": "run a state machine from a definition or a SAM template with the local runner",
    "conformance": "run ASL conformance cases and compare with AWS's recorded outcomes",
    "expand": "expand Heaviside::StateMachine resources of a SAM template locally",
    "graph": "print a state machine as a Graphviz dot graph",
    "start": "start an execution of a deployed machine through its invoker",
    "describe": "show the status and result of an execution of a deployed machine",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="heaviside",
        description="Run Amazon States Language state machines inside AWS Lambda.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True

    argv = sys.argv[1:] if argv is None else argv
    # Only the chosen command's module is imported; the others appear in the
    # help text by name.
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, help_text in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = _load_command(name)
            if module is None:
                parser.exit(2, f"heaviside: the command '{name}' is not available in this version\n")
            module.add_arguments(subparser)
            subparser.set_defaults(handler=module.main)

    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`heaviside graph ... | head`).
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _load_command(name: str):
    try:
        return importlib.import_module(f"heaviside.commands.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"heaviside.commands.{name}":
            return None
        raise


if __name__ == "__main__":
    sys.exit(main())
