"""`heaviside run TEMPLATE --through lambda` prints the states entered once the run ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVISIDE = Path(sys.executable).with_name("heaviside")
EXAMPLE = REPO / "examples" / "order-processing"


def test_lambda_run_prints_states_entered(tmp_path):
    completed = subprocess.run(
        [
            str(HEAVISIDE), "run", str(EXAMPLE / "template.yaml"),
            "--input", f"@{EXAMPLE / 'events' / 'order.json'}",
            "--through", "lambda", "--time-scale", "0.01", "--state-dir", str(tmp_path / "state"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stderr
    entered = [words[2] for words in map(str.split, completed.stderr.splitlines()) if _is_progress_line(words)]
    assert entered[0] == "ValidateOrder"
    assert entered[-1] == "OrderConfirmed"
    assert "ChargePayment" in entered
    assert "ReserveLineItems" in entered
    assert "Traceback" not in completed.stderr


def _is_progress_line(words: list[str]) -> bool:
    """Tell whether a split stderr line is `<seconds>s <type> <state>`."""
    if len(words) != 3 or not words[0].endswith("s"):
        return False
    try:
        float(words[0][:-1])
    except ValueError:
        return False
    return True
