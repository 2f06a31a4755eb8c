"""`heaviside conformance DIR...`: run conformance cases and compare with AWS's recorded outcomes.

Exit status: 0 when no case failed, 1 when any failed, 2 when the cases or the
requested runner cannot be loaded.
"""

from __future__ import annotations

import argparse
import sys

from heaviside.conformance.cases import CaseFileError, load_cases
from heaviside.conformance.report import write_report, write_results
from heaviside.conformance.runner import DEFAULT_TIME_SCALE, RunnerUnavailable, RunOptions, run_cases


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "locations",
        nargs="+",
        metavar="DIR",
        help="a directory of case files (*.json), such as the corpus 'cases' directory or the "
        "regressions directory; single case files are accepted too",
    )
    parser.add_argument(
        "--feature",
        action="append",
        metavar="TAG",
        help="run only cases tagged TAG (for example Map, Choice:IsNull or QueryLanguage:JSONata); "
        "repeat to run cases with any of the tags",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="ignore stackTrace in Lambda error payloads, compare JSON text as parsed JSON, and "
        "treat an integer and a float of equal value as equal",
    )
    parser.add_argument(
        "--results",
        metavar="FILE",
        help="also write one JSON line per case to FILE: id, status, output or error and cause, "
        "and the names used; or id and the skip reason",
    )
    parser.add_argument(
        "--through",
        choices=("inprocess", "lambda"),
        default="inprocess",
        help="run each execution in-process with the local runner (default) or through the Lambda runtime",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="number of worker processes that run cases (default 1)",
    )
    parser.add_argument(
        "--time-scale",
        type=_positive_float,
        default=DEFAULT_TIME_SCALE,
        metavar="F",
        help=f"factor applied to Wait, retry and timeout durations (default {DEFAULT_TIME_SCALE})",
    )


def main(args: argparse.Namespace) -> int:
    try:
        cases = load_cases(args.locations)
    except CaseFileError as error:
        print(f"heaviside conformance: {error}", file=sys.stderr)
        return 2

    if args.feature:
        requested_features = set(args.feature)
        cases = [case for case in cases if requested_features.intersection(case.features)]
        if not cases:
            print(
                f"heaviside conformance: no case has the feature {', '.join(sorted(requested_features))}; "
                "feature tags are listed in each case file's 'features'",
                file=sys.stderr,
            )
            return 2

    options = RunOptions(lenient=args.lenient, through=args.through, time_scale=args.time_scale)
    try:
        results = run_cases(cases, options, jobs=args.jobs)
    except RunnerUnavailable as error:
        print(f"heaviside conformance: {error}", file=sys.stderr)
        return 2

    if args.results:
        try:
            with open(args.results, "w", encoding="utf-8") as stream:
                write_results(results, stream)
        except OSError as error:
            print(f"heaviside conformance: cannot write {args.results}: {error.strerror}", file=sys.stderr)
            return 2

    write_report(results, sys.stdout, lenient=args.lenient)
    return 1 if any(result.verdict == "failed" for result in results) else 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number greater than 0, got {text}")
    return value
