"""Timestamps as Step Functions reads and writes them.

Step Functions reads the timestamps of Wait `Timestamp`/`TimestampPath` and of
the Choice operators `Timestamp*` and `IsTimestamp` as an "ISO-8601 extended
offset date-time" (AWS's error text), which is the format of Java's
`DateTimeFormatter.ISO_OFFSET_DATE_TIME`:

- a date `YYYY-MM-DD`, a `T`, a time `hh:mm`, optional `:ss`, and an optional
  fraction of 0 to 9 digits after a `.`;
- then an offset, which is required: `Z`, or `+hh`, `+hh:mm`, `+hhmm`,
  `+hh:mm:ss`, `+hhmmss` (or `-`), at most 18 hours;
- letters in any case (`t`, `z`), because that formatter parses case-insensitively;
- field values checked strictly: month 13, hour 25 or 30 February are invalid.

The executions recorded against AWS confirm the rejections of a missing `Z`, a
space instead of `T`, a day-first date, month 13 and hour 25, and the
acceptance of 0 and 9 fraction digits. Numeric offsets and lowercase letters
follow the Java formatter and were not recorded.

The context object shows times in UTC with milliseconds
(`2024-05-01T10:00:00.123Z`); `format_timestamp` writes that form.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_timestamp", "timestamp_sort_key", "format_timestamp"]


@functools.cache
def _timestamp_pattern() -> re.Pattern:
    # Compiled on first use: compiling takes about 0.2 ms, which a Lambda
    # function whose machine reads no timestamps should not pay at import.
    return re.compile(
        r"""
        (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
        [Tt]
        (?P<hour>\d{2}):(?P<minute>\d{2})
        (?::(?P<second>\d{2})(?:\.(?P<fraction>\d{0,9}))?)?
        (?:
            (?P<utc>[Zz])
          | (?P<sign>[+-])(?P<offset_hours>\d{2})
            (?::?(?P<offset_minutes>\d{2})(?::?(?P<offset_seconds>\d{2}))?)?
        )
        """,
        re.VERBOSE | re.ASCII,
    )


_MAX_OFFSET = timedelta(hours=18)


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp with Step Functions' rules into an aware `datetime`.

    Raises ValueError when `text` is not a string in the accepted format or
    names an impossible date or time. Python keeps microseconds, so digits of
    the fraction beyond the sixth are dropped; `timestamp_sort_key` keeps them.
    """
    moment, _nanoseconds = _parse(text)
    return moment


def timestamp_sort_key(text: str) -> tuple[datetime, int]:
    """Return a sort key for a timestamp that keeps all nine fraction digits.

    The key is the instant truncated to whole seconds, then the nanoseconds.
    Raises ValueError like `parse_timestamp`.
    """
    moment, nanoseconds = _parse(text)
    return moment.replace(microsecond=0), nanoseconds


def format_timestamp(moment: datetime) -> str:
    """Format a time as the context object shows it: UTC, milliseconds, `Z`.

    A naive `datetime` is taken as UTC. Sub-millisecond digits are truncated.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    milliseconds = moment.microsecond // 1000
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{milliseconds:03d}Z"


def _parse(text: str) -> tuple[datetime, int]:
    if not isinstance(text, str):
        raise ValueError(f"a timestamp must be a string, not {type(text).__name__}")
    match = _timestamp_pattern().fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not an ISO-8601 date-time with an offset, such as 2024-05-01T10:00:00Z"
        )

    fraction = match["fraction"] or ""
    nanoseconds = int(fraction.ljust(9, "0")) if fraction else 0
    offset = _parse_offset(match)
    try:
        # datetime() rejects month 13, hour 25, 30 February and the like, as
        # Java's strict resolver does.
        moment = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            nanoseconds // 1000,
            tzinfo=timezone(offset),
        )
    except ValueError as error:
        # NOTE: Java's formatter accepts year 0000 (proleptic ISO calendar),
        # but Python's datetime cannot hold it, so it is rejected here.
        raise ValueError(f"{text!r} is not a valid date-time: {error}") from None
    return moment, nanoseconds


def _parse_offset(match: re.Match) -> timedelta:
    if match["utc"]:
        return timedelta(0)
    hours = int(match["offset_hours"])
    minutes = int(match["offset_minutes"] or 0)
    seconds = int(match["offset_seconds"] or 0)
    if minutes > 59 or seconds > 59:
        raise ValueError(f"{match.string!r} has an invalid zone offset")
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if offset > _MAX_OFFSET:
        raise ValueError(f"{match.string!r} has a zone offset beyond 18 hours")
    return -offset if match["sign"] == "-" else offset
