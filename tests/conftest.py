"""Shared pytest setup: where the conformance corpus and the regression cases are.

The corpus of executions recorded on AWS and the regression cases live in a
`shared` folder beside the repository (set HEAVISIDE_SHARED to use another
place). Without it, tests that need them are skipped, except under CI, where
a missing corpus is an error so that coverage is never lost silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HEAVISIDE_SHARED") or REPO.parent / "shared")
CONFORMANCE_CASES = SHARED / "asl-conformance" / "cases"
REGRESSIONS = SHARED / "regressions"
CORPUS_AVAILABLE = CONFORMANCE_CASES.is_dir() and REGRESSIONS.is_dir()
MISSING_CORPUS = (
    f"the conformance corpus was not found at {SHARED} (expected asl-conformance/cases and "
    "regressions there); set HEAVISIDE_SHARED to the folder that contains them"
)


def _modules_importing_corpus_paths() -> list[str]:
    # These modules read the corpus while they are collected, so they cannot
    # be skipped test by test.
    marker = "from tests.conftest import"
    tests_dir = Path(__file__).parent
    return [path.name for path in sorted(tests_dir.glob("test_*.py")) if marker in path.read_text(encoding="utf-8")]


collect_ignore = [] if CORPUS_AVAILABLE else _modules_importing_corpus_paths()


def pytest_configure(config):
    if not CORPUS_AVAILABLE and os.environ.get("CI"):
        raise pytest.UsageError(f"CI run: {MISSING_CORPUS}")


def pytest_report_header(config):
    if CORPUS_AVAILABLE:
        return f"conformance corpus: {SHARED}"
    return f"conformance corpus: not found, corpus tests skipped ({MISSING_CORPUS})"


@pytest.fixture(scope="session")
def conformance_cases_dir() -> Path:
    if not CORPUS_AVAILABLE:
        pytest.skip(MISSING_CORPUS)
    return CONFORMANCE_CASES


@pytest.fixture(scope="session")
def regressions_dir() -> Path:
    if not CORPUS_AVAILABLE:
        pytest.skip(MISSING_CORPUS)
    return REGRESSIONS
