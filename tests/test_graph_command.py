"""`heaviside graph`: dot output of a definition, through the console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from heaviside.asl.load import load_definition
from heaviside.commands.graph import render_dot

HEAVISIDE = Path(sys.executable).with_name("heaviside")

DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fan"}],
            "Default": "Stop",
        },
        "Fan": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Stop"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Stop": {"Type": "Fail", "Error": "Stopped"},
    },
}


def test_render_dot_edges():
    dot = render_dot(load_definition(DEFINITION))

    assert dot.startswith("digraph StateMachine {")
    assert '"__start" -> "Check";' in dot
    assert '"Check" -> "Fan" [label="rule 0"];' in dot
    assert '"Check" -> "Stop" [label="Default"];' in dot
    assert '"Fan" -> "Stop" [style=dashed, label="States.ALL"];' in dot
    assert '"Fan" -> "Done";' in dot
    assert 'subgraph "cluster_Fan_0"' in dot
    assert '"Stop" [label="Stop\\n(Fail)", shape=doubleoctagon];' in dot


def test_graph_command_prints_dot(tmp_path):
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(DEFINITION))

    completed = subprocess.run([str(HEAVISIDE), "graph", str(path)], capture_output=True, text=True)

    assert completed.returncode == 0
    assert '"Fan" -> "Done";' in completed.stdout


def test_graph_command_invalid_definition(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": True}}}))

    completed = subprocess.run([str(HEAVISIDE), "graph", str(path)], capture_output=True, text=True)

    assert completed.returncode == 1
    assert "MISSING_TRANSITION_TARGET" in completed.stderr
    assert "Traceback" not in completed.stderr
