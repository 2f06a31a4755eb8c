"""Normalising an actual outcome and comparing it with a case's recorded outcome.

The recorder rewrote what AWS returned before saving it, so an actual outcome
goes through the same rewriting before the comparison:

1. the case's `normalize` regular expressions, applied in order to the JSON
   text of the output, the error and the cause;
2. a cause whose text is a JSON object is parsed where the recorder parsed
   it (the expected cause is an object, `"cause_format": "json"`);
3. global rules:
   - a string that is wholly an ISO-8601 date-time with a zone becomes `date`;
   - a member whose name contains `timestamp` (any case) and whose value is
     not such a date-time becomes `timestamp`;
   - a UUID in a member whose name ends in `id` (any case) becomes
     `<uuid:N>` wherever it appears;
   - in SDK metadata, `Date` under `SdkHttpMetadata` becomes `date`, the
     request-id and trace headers become their own names, and
     `SdkResponseMetadata.RequestId` becomes `RequestId`;
4. the case's `normalized_output_paths` overwrite those places of the output.

The global rules run on the expected side too. They leave a recorded value
unchanged, except one variant the recorder produced: `x-amzn-RequestId`
recorded as `["<uuid:N>"]` also becomes the member's name, so both forms match.

The comparison is structural. Inside an expected string, a token `<...>`
(such as `<uuid:1>` or `<ArnPart_0idx>`) and each of the case's
`runtime_value_placeholders` match any text. Strict mode (the default) distinguishes
an integer from a float of equal value; lenient mode treats them as equal,
compares strings that hold JSON documents as parsed JSON, and ignores
`stackTrace` in Lambda error payloads.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jsonpath

from heaviside.conformance.cases import Case

__all__ = ["normalize_outcome", "compare_outcome", "first_difference"]

_ISO_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)", re.ASCII
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WILDCARD_TOKEN = r"<[A-Za-z0-9_.:\-]+>"
_HEADERS_NAMED_FOR_THEMSELVES = frozenset({"x-amzn-RequestId", "x-amzn-requestid", "X-Amzn-Trace-Id", "x-amz-crc32"})
_OUTCOME_FIELDS = ("output", "error", "cause")
_MAX_SHOWN = 100


def normalize_outcome(case: Case, outcome: dict) -> dict:
    """Return a copy of `outcome` rewritten as the recorder rewrote AWS's results.

    `outcome` has the shape of `expected`: `status`, then `output`, or
    `error` and `cause` (each present only when it has a value).
    """
    result = {"status": outcome.get("status")}
    for name in _OUTCOME_FIELDS:
        if name in outcome:
            result[name] = _apply_case_patterns(case, outcome[name])

    # The corpus recorder parsed causes that contain a JSON object. Regression
    # cases keep such causes as text, so parse only where `expected` did.
    cause = result.get("cause")
    recorded_cause = case.expected.get("cause")
    if isinstance(cause, str) and cause.startswith("{") and not isinstance(recorded_cause, str):
        try:
            result["cause"] = json.loads(cause)
        except json.JSONDecodeError:
            pass

    _apply_global_rules(result)
    if "output" in result:
        result["output"] = _overwrite_output_paths(case, result["output"])
    return result


def compare_outcome(case: Case, actual: dict, *, lenient: bool = False) -> str | None:
    """Compare an actual outcome with the case's expected one after normalisation.

    Returns None when they match, else a one-line description of the first
    difference (`output.Payload: expected 0.0, got 0`).
    """
    expected = dict(case.expected)
    expected.pop("cause_format", None)
    _apply_global_rules(expected)
    actual = normalize_outcome(case, actual)
    placeholders = tuple(case.runtime_value_placeholders)

    if actual["status"] != expected["status"]:
        detail = ""
        if actual.get("error") is not None or actual.get("cause") is not None:
            detail = f" ({_shorten(actual.get('error'))}: {_shorten(actual.get('cause'))})"
        return f"status: expected {expected['status']}, got {actual['status']}{detail}"

    if expected["status"] == "SUCCEEDED":
        return first_difference(
            expected.get("output"), actual.get("output"), "output", lenient=lenient, placeholders=placeholders
        )

    for name in ("error", "cause"):
        if name in expected:
            difference = first_difference(
                expected[name], actual.get(name), name, lenient=lenient, placeholders=placeholders
            )
            if difference is not None:
                return difference
        elif actual.get(name) is not None:
            return f"{name}: expected none, got {_shorten(actual[name])}"
    return None


def first_difference(
    expected: Any, actual: Any, location: str, *, lenient: bool = False, placeholders: tuple[str, ...] = ()
) -> str | None:
    """Return where and how `actual` first differs from `expected`, or None when they match."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return _mismatch(location, expected, actual)
        ignored = {"stackTrace"} if lenient and _is_lambda_error(expected) and _is_lambda_error(actual) else set()
        for key in expected:
            if key in ignored:
                continue
            if key not in actual:
                return f"{location}.{key}: missing (expected {_shorten(expected[key])})"
            difference = first_difference(
                expected[key], actual[key], f"{location}.{key}", lenient=lenient, placeholders=placeholders
            )
            if difference is not None:
                return difference
        extra = [key for key in actual if key not in expected and key not in ignored]
        if extra:
            return f"{location}.{extra[0]}: not expected (got {_shorten(actual[extra[0]])})"
        return None

    if isinstance(expected, list):
        if not isinstance(actual, list):
            return _mismatch(location, expected, actual)
        for index, (expected_item, actual_item) in enumerate(zip(expected, actual)):
            difference = first_difference(
                expected_item, actual_item, f"{location}[{index}]", lenient=lenient, placeholders=placeholders
            )
            if difference is not None:
                return difference
        if len(expected) != len(actual):
            return f"{location}: expected {len(expected)} items, got {len(actual)}"
        return None

    if isinstance(expected, str):
        if isinstance(actual, str) and _string_matches(expected, actual, placeholders):
            return None
        if lenient and isinstance(actual, str):
            expected_document, actual_document = _parse_document(expected), _parse_document(actual)
            if expected_document is not None and actual_document is not None:
                return first_difference(
                    expected_document, actual_document, location, lenient=lenient, placeholders=placeholders
                )
        return _mismatch(location, expected, actual)

    if isinstance(expected, bool) or expected is None:
        return None if actual is expected else _mismatch(location, expected, actual)

    # A number: strict mode also requires the same JSON form (1 versus 1.0).
    if not isinstance(actual, (int, float)) or isinstance(actual, bool) or actual != expected:
        return _mismatch(location, expected, actual)
    if not lenient and type(actual) is not type(expected):
        return _mismatch(location, expected, actual)
    return None


# Normalisation steps.


def _apply_case_patterns(case: Case, value: Any) -> Any:
    if not case.normalize:
        return value
    text = json.dumps(value, ensure_ascii=False)
    for pattern, replacement in case.normalize:
        text = _compiled(pattern).sub(replacement, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # NOTE: no corpus pattern breaks JSON text; if one did, the value is
        # compared without the case's patterns.
        return value


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _apply_global_rules(outcome: dict) -> None:
    uuids: dict[str, str] = {}
    for name in _OUTCOME_FIELDS:
        if name in outcome:
            _collect_uuids(outcome[name], uuids)
    for name in _OUTCOME_FIELDS:
        if name in outcome:
            outcome[name] = _rewrite(outcome[name], uuids, parent_key=None, in_http_metadata=False)


def _collect_uuids(value: Any, uuids: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key.lower().endswith("id"):
                for match in _UUID.finditer(item):
                    uuids.setdefault(match.group(0), f"<uuid:{len(uuids) + 1}>")
            _collect_uuids(item, uuids)
    elif isinstance(value, list):
        for item in value:
            _collect_uuids(item, uuids)


def _rewrite(value: Any, uuids: dict[str, str], parent_key: str | None, in_http_metadata: bool) -> Any:
    if isinstance(value, dict):
        rewritten = {}
        for key, item in value.items():
            rewritten[key] = _rewrite_member(key, item, uuids, parent_key, in_http_metadata)
        return rewritten
    if isinstance(value, list):
        return [_rewrite(item, uuids, parent_key, in_http_metadata) for item in value]
    if isinstance(value, str):
        if _ISO_DATE_TIME.fullmatch(value):
            return "date"
        for uuid, token in uuids.items():
            if uuid in value:
                value = value.replace(uuid, token)
        return value
    return value


def _rewrite_member(key: str, item: Any, uuids: dict[str, str], parent_key: str | None, in_http_metadata: bool) -> Any:
    if in_http_metadata and key == "Date":
        return "date"
    if in_http_metadata and key in _HEADERS_NAMED_FOR_THEMSELVES:
        return key
    if parent_key == "SdkResponseMetadata" and key == "RequestId":
        return "RequestId"
    if "timestamp" in key.lower() and not (isinstance(item, str) and _ISO_DATE_TIME.fullmatch(item)):
        return "timestamp"
    return _rewrite(item, uuids, key, in_http_metadata or key == "SdkHttpMetadata")


def _overwrite_output_paths(case: Case, output: Any) -> Any:
    for path, replacement in case.normalized_output_paths:
        for match in list(jsonpath.finditer(path, output)):
            if match.parent is None:
                output = replacement
                continue
            container = match.parent.obj
            container[match.parts[-1]] = replacement
    return output


# Comparison helpers.


@lru_cache(maxsize=4096)
def _wildcard_pattern(expected: str, placeholders: tuple[str, ...]) -> re.Pattern | None:
    alternatives = [_WILDCARD_TOKEN, *(re.escape(token) for token in placeholders)]
    splitter = re.compile("|".join(alternatives))
    pieces = splitter.split(expected)
    if len(pieces) == 1:
        return None
    return re.compile(".*?".join(re.escape(piece) for piece in pieces), re.DOTALL)


def _string_matches(expected: str, actual: str, placeholders: tuple[str, ...]) -> bool:
    if expected == actual:
        return True
    pattern = _wildcard_pattern(expected, placeholders)
    return pattern is not None and pattern.fullmatch(actual) is not None


def _parse_document(text: str) -> Any:
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _is_lambda_error(value: Any) -> bool:
    return isinstance(value, dict) and "errorType" in value and "errorMessage" in value


def _mismatch(location: str, expected: Any, actual: Any) -> str:
    if isinstance(expected, str) and isinstance(actual, str) and len(expected) + len(actual) > _MAX_SHOWN:
        return _string_mismatch(location, expected, actual)
    return f"{location}: expected {_shorten(expected)}, got {_shorten(actual)}"


def _string_mismatch(location: str, expected: str, actual: str) -> str:
    """Describe two long strings by where they start to differ, with a little context."""
    start = 0
    while start < min(len(expected), len(actual)) and expected[start] == actual[start]:
        start += 1
    context = max(0, start - 20)
    prefix = "..." if context else ""
    return (
        f"{location}: differs at character {start}: expected {prefix}{_shorten(expected[context:])}, "
        f"got {prefix}{_shorten(actual[context:])}"
    )


def _shorten(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
