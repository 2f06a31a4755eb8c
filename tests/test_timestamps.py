"""Timestamp parsing and formatting with Step Functions' rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from heaviside.asl.timestamps import format_timestamp, parse_timestamp, timestamp_sort_key

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-03-14T01:59:00Z", datetime(2016, 3, 14, 1, 59, 0, tzinfo=UTC)),
        ("2016-03-05T21:29:29.243167252Z", datetime(2016, 3, 5, 21, 29, 29, 243167, tzinfo=UTC)),
        ("2016-03-05T21:29:29.5Z", datetime(2016, 3, 5, 21, 29, 29, 500000, tzinfo=UTC)),
        ("2016-03-05T21:29Z", datetime(2016, 3, 5, 21, 29, tzinfo=UTC)),
        ("2012-10-09T19:00:55+01:00", datetime(2012, 10, 9, 18, 0, 55, tzinfo=UTC)),
        ("2012-10-09T19:00:55-0230", datetime(2012, 10, 9, 21, 30, 55, tzinfo=UTC)),
        ("2012-10-09T19:00:55+05", datetime(2012, 10, 9, 14, 0, 55, tzinfo=UTC)),
        ("2012-10-09t19:00:55z", datetime(2012, 10, 9, 19, 0, 55, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_parse_accepts(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Recorded against AWS as invalid.
        "2016-12-05T21:29:29",
        "2016-12-05T21:29:29.000",
        "2016-12-05T21:29:29.000000",
        "2016-12-05 21:29:29Z",
        "05-12-2016T21:29:29Z",
        "2016-13-05T21:29:29Z",
        "2016-12-05T25:29:29Z",
        # Outside the format or the calendar.
        "2023-02-24",
        "2023-02-29T00:00:00Z",
        "2016-12-05T21:29:29.1234567890Z",
        "2016-12-05T21:60:00Z",
        "2016-12-05T24:00:00Z",
        "2016-12-05T21:29:29+19:00",
        "2016-12-05T21:29:29+01:60",
        "2016-1-05T21:29:29Z",
        " 2016-12-05T21:29:29Z",
        "2016-12-05T21:29:29Z ",
        "",
        "HelloWorld",
    ],
)
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


@pytest.mark.parametrize("value", [None, 0, 1.5, True, [], {}])
def test_parse_rejects_non_strings(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)


def test_parse_error_names_the_text():
    with pytest.raises(ValueError, match="2016-12-05T21:29:29"):
        parse_timestamp("2016-12-05T21:29:29")


def test_sort_key_keeps_nanoseconds():
    earlier = timestamp_sort_key("2016-03-05T21:29:29.243167252Z")
    later = timestamp_sort_key("2016-03-05T21:29:29.243167253Z")
    assert earlier < later
    assert parse_timestamp("2016-03-05T21:29:29.243167252Z") == parse_timestamp("2016-03-05T21:29:29.243167253Z")


def test_sort_key_compares_across_offsets():
    assert timestamp_sort_key("2012-10-09T19:00:55+01:00") == timestamp_sort_key("2012-10-09T18:00:55Z")
    assert timestamp_sort_key("2012-10-09T19:00:55+01:00") < timestamp_sort_key("2012-10-09T19:00:55Z")


def test_format_uses_milliseconds_and_z():
    moment = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert format_timestamp(moment) == "2024-05-01T10:00:00.123Z"


def test_format_pads_whole_seconds():
    assert format_timestamp(datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)) == "2024-05-01T10:00:00.000Z"


def test_format_converts_to_utc():
    moment = datetime(2024, 5, 1, 12, 0, 0, 5000, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(moment) == "2024-05-01T10:00:00.005Z"


def test_format_takes_naive_as_utc():
    assert format_timestamp(datetime(2024, 5, 1, 10, 0, 0)) == "2024-05-01T10:00:00.000Z"


def test_format_output_parses_back():
    moment = datetime(2031, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert parse_timestamp(format_timestamp(moment)) == moment
