"""The text report of a conformance run and its JSON-lines results file.

The report lists one line per failing case with its first difference, the
skipped cases with their reasons, the score per query-language group and per
feature, and ends with the line `N passed, M failed`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import IO

from heaviside.conformance.cases import JSONPATH_GROUP, QUERY_LANGUAGE_GROUPS
from heaviside.conformance.runner import FAILED, PASSED, SKIPPED, CaseResult

__all__ = ["write_report", "write_results", "summary_line", "LENIENT_DESCRIPTION"]

LENIENT_DESCRIPTION = (
    "lenient comparison: stackTrace in Lambda error payloads ignored, JSON text compared as parsed JSON, "
    "integers equal to floats of the same value"
)


def write_report(results: list[CaseResult], stream: IO[str], *, lenient: bool = False) -> None:
    """Write the report of `results` to `stream`."""
    failed = [result for result in results if result.verdict == FAILED]
    skipped = [result for result in results if result.verdict == SKIPPED]

    for result in failed:
        stream.write(f"FAIL {result.case_id}: {result.difference}\n")
    if failed:
        stream.write("\n")

    if skipped:
        stream.write(f"Skipped ({len(skipped)}):\n")
        for result in skipped:
            stream.write(f"  {result.case_id}: {result.skip_reason}\n")
        stream.write("\n")

    ran = [result for result in results if result.verdict != SKIPPED]
    if ran:
        stream.write("Score by query language:\n")
        for group, passed, total in _scores(ran, lambda result: [result.query_language], _group_order()):
            stream.write(f"  {group:<26} {passed:>4}/{total:<4} passed ({100.0 * passed / total:.1f}%)\n")

        feature_scores = _scores(ran, lambda result: result.features, order=None)
        with_failures = [row for row in feature_scores if row[1] < row[2]]
        stream.write("\nFeatures with failures:\n" if with_failures else "\nFeatures with failures: none\n")
        for feature, passed, total in with_failures:
            stream.write(f"  {feature:<40} {passed:>4}/{total:<4} passed\n")
        others = len(feature_scores) - len(with_failures)
        if with_failures and others:
            stream.write(f"  ({others} other features: every case passed)\n")
        stream.write("\n")

    stream.write(("Mode: " + LENIENT_DESCRIPTION if lenient else "Mode: strict comparison") + "\n")
    if skipped:
        stream.write(f"{len(skipped)} skipped\n")
    stream.write(summary_line(results) + "\n")


def summary_line(results: Iterable[CaseResult]) -> str:
    """Return `N passed, M failed` for `results` (skipped cases are counted in neither)."""
    verdicts = Counter(result.verdict for result in results)
    return f"{verdicts[PASSED]} passed, {verdicts[FAILED]} failed"


def write_results(results: Iterable[CaseResult], stream: IO[str]) -> None:
    """Write one JSON object per line for each result (see `CaseResult.to_json`)."""
    for result in results:
        stream.write(json.dumps(result.to_json(), ensure_ascii=False, default=_jsonable) + "\n")


def _jsonable(value: object) -> object:
    # Outcomes are JSON values, except when a runner returns something else
    # (bytes from a fake function, for example); the file then shows its repr.
    return repr(value)


def _group_order() -> list[str]:
    return [JSONPATH_GROUP, *(group for group, _tag in QUERY_LANGUAGE_GROUPS)]


def _scores(results: list[CaseResult], keys_of, order: list[str] | None) -> list[tuple[str, int, int]]:
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for result in results:
        for key in keys_of(result):
            total[key] += 1
            if result.verdict == PASSED:
                passed[key] += 1
    names = [name for name in order if name in total] if order is not None else sorted(total)
    return [(name, passed[name], total[name]) for name in names]
