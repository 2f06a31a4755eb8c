"""The validator against definitions whose outcome AWS recorded.

AWS ran every definition of the conformance corpus, so each must validate
without a problem. The regression cases with status INVALID_DEFINITION must
be rejected with AWS's code; every other regression definition is accepted.
"""

from __future__ import annotations

import json

import pytest

from heaviside.asl.validate import validate
from tests.conftest import CONFORMANCE_CASES, REGRESSIONS

CORPUS_FILES = sorted(CONFORMANCE_CASES.glob("*.json"))
REGRESSION_FILES = sorted(REGRESSIONS.glob("*.json"))


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _definition_cases():
    for path in REGRESSION_FILES:
        case = _load(path)
        if case.get("kind") == "template":
            continue
        yield pytest.param(case, id=path.stem)


def test_corpus_is_present():
    assert len(CORPUS_FILES) > 700


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[path.stem for path in CORPUS_FILES])
def test_corpus_definition_is_valid(path):
    definition = _load(path)["definition"]

    assert validate(definition) == []


@pytest.mark.parametrize("case", list(_definition_cases()))
def test_regression_verdict_matches_aws(case):
    problems = validate(case["definition"])
    expected = case["expected"]

    if expected["status"] != "INVALID_DEFINITION":
        assert problems == []
        return

    assert problems, "AWS rejects this definition"
    assert expected["error"] in {problem.code for problem in problems}


def test_regression_unreachable_state_location():
    case = _load(REGRESSIONS / "bug-039.json")

    [problem] = validate(case["definition"])

    assert problem.path == "$.States.Orphan"
    assert problem.code == "MISSING_TRANSITION_TARGET"


@pytest.mark.parametrize(
    ("case_id", "path"),
    [
        ("bug-040", "$.States.Pause.ResultPath"),
        ("bug-043", "$.States.Shape.OutputPath"),
        ("bug-044", "$.States['Fan Out'].MaxConcurrency"),
    ],
)
def test_regression_schema_problem_location(case_id, path):
    case = _load(REGRESSIONS / f"{case_id}.json")

    problems = validate(case["definition"])

    assert [(problem.path, problem.code) for problem in problems] == [(path, "SCHEMA_VALIDATION_FAILED")]
