"""`heaviside graph FILE [MACHINE]`: print a state machine as a Graphviz dot graph.

Each state is a node labelled with its name and type. Edges are Next, Choice
targets (labelled with the rule's index) and Default. Catchers are dashed
edges, and retriers dotted self-loops, both labelled with their error names.
Parallel branches and Map item processors become clusters.
FILE is a definition or a SAM template; for a template with several
``Heaviside::StateMachine`` resources, MACHINE names one. Render with
`heaviside graph machine.asl.json | dot -Tsvg`.
"""

from __future__ import annotations

import argparse
import json
import sys

from heaviside.asl.errors import InvalidDefinition
from heaviside.asl.load import load_definition
from heaviside.asl.model import ChoiceState, MapState, ParallelState, StateMachineBody

SHAPES = {"Choice": "diamond", "Succeed": "doublecircle", "Fail": "doubleoctagon"}
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a state machine definition (.json, .yaml or .yml) or a SAM template")
    parser.add_argument(
        "machine",
        nargs="?",
        metavar="MACHINE",
        help="logical id or Name of the state machine to draw, when FILE is a template with several",
    )


def main(args: argparse.Namespace) -> int:
    if _looks_like_template(args.file):
        return _graph_template(args.file, args.machine)
    try:
        definition = load_definition(args.file)
    except InvalidDefinition as error:
        for problem in error.errors:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print(render_dot(definition))
    return 0


def _looks_like_template(file_name: str) -> bool:
    try:
        from heaviside.local.app import looks_like_template
    except ImportError:
        # Without the cli extra, templates cannot be read, and the file is read as a definition.
        return False
    return looks_like_template(file_name)


def _graph_template(file_name: str, machine: str | None) -> int:
    from heaviside.local.app import TemplateError, load_template

    try:
        app = load_template(file_name)
        if machine is None and len(app.machines) > 1:
            listed = ", ".join(sorted(app.machines))
            print(
                f"heaviside graph: {file_name} contains {len(app.machines)} state machines ({listed}); "
                f"name one: heaviside graph {file_name} MACHINE",
                file=sys.stderr,
            )
            return EXIT_UNREADABLE
        spec = app.machine(machine)
    except TemplateError as error:
        print(f"heaviside graph: {file_name}: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        definition = load_definition(spec.definition)
    except InvalidDefinition as error:
        for problem in error.errors:
            print(f"{file_name}: {spec.logical_id}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print(render_dot(definition))
    return 0


def render_dot(definition: StateMachineBody) -> str:
    """Return the dot text of a definition, nested bodies included."""
    lines = ["digraph StateMachine {", "  node [shape=box, fontname=Helvetica];", '  "__start" [shape=point];']
    lines.append(f'  "__start" -> {_quote(definition.start_at)};')
    _render_body(definition, lines, indent="  ")
    lines.append("}")
    return "\n".join(lines)


def _render_body(body: StateMachineBody, lines: list[str], indent: str) -> None:
    for name, state in body.states.items():
        shape = SHAPES.get(state.type, "box")
        label = _quote(f"{name}\n({state.type})")
        lines.append(f"{indent}{_quote(name)} [label={label}, shape={shape}];")

        if state.next is not None:
            lines.append(f"{indent}{_quote(name)} -> {_quote(state.next)};")
        if isinstance(state, ChoiceState):
            for index, branch in enumerate(state.choices):
                lines.append(f'{indent}{_quote(name)} -> {_quote(branch.next)} [label="rule {index}"];')
            if state.default is not None:
                lines.append(f'{indent}{_quote(name)} -> {_quote(state.default)} [label="Default"];')
        for retrier in getattr(state, "retry", ()):
            label = _quote("retry " + ", ".join(retrier.error_equals))
            lines.append(f"{indent}{_quote(name)} -> {_quote(name)} [style=dotted, label={label}];")
        for catcher in getattr(state, "catch", ()):
            label = ", ".join(catcher.error_equals)
            lines.append(f"{indent}{_quote(name)} -> {_quote(catcher.next)} [style=dashed, label={_quote(label)}];")

        children: list[StateMachineBody] = []
        if isinstance(state, ParallelState):
            children = list(state.branches)
        elif isinstance(state, MapState) and state.item_processor is not None:
            children = [state.item_processor]
        for index, child in enumerate(children):
            cluster = f"cluster_{name}_{index}"
            lines.append(f"{indent}subgraph {_quote(cluster)} {{")
            if isinstance(state, ParallelState):
                cluster_label = _quote(f"{name} branch {index}")
            else:
                # One cluster stands for every iteration, so it is named for the processor, not an index.
                cluster_label = _quote(f"{name} item processor")
            lines.append(f"{indent}  label={cluster_label};")
            lines.append(f"{indent}  style=dotted;")
            _render_body(child, lines, indent + "  ")
            lines.append(f"{indent}}}")
            lines.append(f"{indent}{_quote(name)} -> {_quote(child.start_at)} [style=dotted];")


def _quote(text: str) -> str:
    # JSON string quoting is a valid dot ID: double quotes with backslash escapes.
    return json.dumps(text)
