"""When a Wait state ends: Seconds, SecondsPath, Timestamp or TimestampPath."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Mapping

from heaviside.asl.errors import StatesError
from heaviside.asl.paths import PathNotFound
from heaviside.asl.timestamps import parse_timestamp


def wait_until(run, state, value: Any, context: Mapping | None, variables: Mapping, scope=None) -> datetime:
    """Return the time the Wait state ends; `scope` is the JSONata scope (None in JSONPath states)."""
    fields = state.fields
    if fields["seconds"] is not None:
        if scope is not None:
            seconds = scope.typed(fields["seconds"], "Seconds")
        else:
            seconds = fields["seconds"].evaluate()
        return run.now + timedelta(seconds=seconds)

    if fields["timestamp"] is not None:
        if scope is not None and fields["timestamp"].is_expression:
            return scope.typed(fields["timestamp"], "Timestamp")
        text = fields["timestamp"].evaluate()
        return _parse_or_raise(
            text,
            "States.Runtime",
            f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {_plain(text)}",
        )

    if fields["seconds_path"] is not None:
        path = fields["seconds_path"]
        seconds = _select(path, value, context, variables)
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise StatesError(
                "States.Runtime",
                f"The SecondsPath parameter cannot be parsed as a long value: {path.text} == {_plain(seconds)}",
            )
        if seconds < 0:
            raise StatesError(
                "States.Runtime",
                f"The SecondsPath parameter references a negative value: {path.text} == {seconds}",
            )
        return run.now + timedelta(seconds=seconds)

    path = fields["timestamp_path"]
    text = _select(path, value, context, variables)
    return _parse_or_raise(
        text,
        "States.Runtime",
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        f"date-time format string: {path.text} == {_plain(text)}",
    )


def _select(path, value, context, variables):
    try:
        return path.get(value, context, variables)
    except PathNotFound as error:
        raise StatesError("States.Runtime", str(error)) from None


def _parse_or_raise(text: Any, error: str, cause: str) -> datetime:
    try:
        if not isinstance(text, str):
            raise ValueError(text)
        return parse_timestamp(text)
    except ValueError:
        raise StatesError(error, cause) from None


def _plain(value: Any) -> str:
    """Show a value the way AWS's messages do: strings bare, other values as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
