"""The conformance corpus and the regression cases, one test per case.

Cases that fail today are listed with a reason in
`tests/conformance_known_failures.txt` and marked `xfail(strict=True)`, so a
fixed case fails the suite until its line is removed from the list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CONFORMANCE_CASES, REGRESSIONS
from heaviside.conformance.cases import load_cases
from heaviside.conformance.fakes import BEHAVIOURS
from heaviside.conformance.runner import PASSED, RunOptions, run_case

KNOWN_FAILURES_FILE = Path(__file__).with_name("conformance_known_failures.txt")


def read_known_failures(path: Path = KNOWN_FAILURES_FILE) -> dict[str, str]:
    """Read `case-id reason...` lines; blank lines and lines starting with # are ignored."""
    known: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        case_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: a known failure needs a reason after the case id")
        known[case_id] = reason.strip()
    return known


CASES = load_cases([CONFORMANCE_CASES, REGRESSIONS])
KNOWN_FAILURES = read_known_failures()


def case_parameters():
    for case in CASES:
        marks = []
        skip_reason = case.skip_reason(BEHAVIOURS)
        if skip_reason is not None:
            marks.append(pytest.mark.skip(reason=skip_reason))
        elif case.id in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case.id]))
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(case_parameters()))
def test_case(case):
    result = run_case(case, RunOptions())
    assert result.verdict == PASSED, result.difference


def test_known_failures_name_existing_cases():
    ids = {case.id for case in CASES}
    unknown = sorted(set(KNOWN_FAILURES) - ids)
    assert unknown == []


def test_known_failures_are_not_skipped():
    skipped = sorted(case.id for case in CASES if case.id in KNOWN_FAILURES and case.skip_reason(BEHAVIOURS))
    assert skipped == []


def test_every_behaviour_code_has_a_fake():
    codes = {code for case in CASES for code in (case.behaviours or {}).values()}
    assert codes - set(BEHAVIOURS) == set()


def _traced_run(*args, **kwargs):
    """`heaviside.local.run` with an observer, which makes the runner dispatch every Task as an action."""
    from heaviside.local import run

    return run(*args, observe=lambda record: None, **kwargs)


def dispatched_task_parameters():
    for parameter in case_parameters():
        case = parameter.values[0]
        if "Task" in case.features:
            yield parameter


@pytest.mark.parametrize("case", list(dispatched_task_parameters()))
def test_task_case_with_dispatched_tasks(case):
    """Untraced runs call Task handlers inline within the engine; this runs the same cases the other way."""
    result = run_case(case, RunOptions(), executor=_traced_run)
    assert result.verdict == PASSED, result.difference
