"""Shared pytest setup: where the conformance corpus and the regression cases are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CONFORMANCE_CASES = SHARED / "asl-conformance" / "cases"
REGRESSIONS = SHARED / "regressions"


@pytest.fixture(scope="session")
def conformance_cases_dir() -> Path:
    return CONFORMANCE_CASES


@pytest.fixture(scope="session")
def regressions_dir() -> Path:
    return REGRESSIONS
