"""`heaviside graph FILE`: print a state machine as a Graphviz dot graph.

Each state is a node labelled with its name and type; edges are Next, Choice
targets (labelled with the rule's index), Default, and catchers (dashed,
labelled with their error names). Parallel branches and Map item processors
become clusters. Render with `heaviside graph machine.asl.json | dot -Tsvg`.
"""

from __future__ import annotations

import argparse
import json
import sys

from heaviside.asl.errors import InvalidDefinition
from heaviside.asl.load import load_definition
from heaviside.asl.model import ChoiceState, MapState, ParallelState, StateMachineBody

SHAPES = {"Choice": "diamond", "Succeed": "doublecircle", "Fail": "doubleoctagon"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a state machine definition (.json, .yaml or .yml)")


def main(args: argparse.Namespace) -> int:
    try:
        definition = load_definition(args.file)
    except InvalidDefinition as error:
        for problem in error.errors:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 1
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
            kind = "branch" if isinstance(state, ParallelState) else "iteration"
            cluster_label = _quote(f"{name} {kind} {index}")
            lines.append(f"{indent}  label={cluster_label};")
            lines.append(f"{indent}  style=dotted;")
            _render_body(child, lines, indent + "  ")
            lines.append(f"{indent}}}")
            lines.append(f"{indent}{_quote(name)} -> {_quote(child.start_at)} [style=dotted];")


def _quote(text: str) -> str:
    # JSON string quoting is a valid dot ID: double quotes with backslash escapes.
    return json.dumps(text)
