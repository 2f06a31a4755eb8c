"""Running cases: validation, the execution with fake functions, and the verdict.

A case runs in-process through `heaviside.local.run`, or through the Lambda
runtime with `heaviside.runtime.testing.run_through_lambda` (same signature).
Its definition is validated first: a definition that validation rejects gives
the outcome `INVALID_DEFINITION`, which passes only a case that expects it.

Delays shrink by a time scale (0.05 by default, so a 60-second Wait takes 3
seconds and a Task TimeoutSeconds of 5 fires after 0.25 seconds). The scale
keeps the shortest timeout in the corpus (1 second, 50 ms scaled) well above
the time an in-process fake function takes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from heaviside.asl.errors import HeavisideError, InvalidDefinition
from heaviside.conformance.cases import Case
from heaviside.conformance.compare import compare_outcome
from heaviside.conformance.fakes import BEHAVIOURS, build_functions

__all__ = ["CaseResult", "RunOptions", "RunnerUnavailable", "run_case", "run_cases", "load_executor"]

logger = logging.getLogger(__name__)

DEFAULT_TIME_SCALE = 0.05
DEFAULT_CASE_TIMEOUT_SECONDS = 60.0

# Names used where a case's `context_names` gives none (the recording did not
# normalise that name, so its value does not appear in the expected outcome).
DEFAULT_NAMES = {
    "state_machine": "ConformanceStateMachine",
    "execution": "conformance-execution",
    "role_arn": "arn:aws:iam::111111111111:role/conformance-sfn-role",
}

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


class RunnerUnavailable(HeavisideError):
    """The requested way of running cases is not available in this installation."""


@dataclass(frozen=True)
class RunOptions:
    """How to run cases: comparison mode, driver, delay scale and the per-case wall-clock limit."""

    lenient: bool = False
    through: str = "inprocess"
    time_scale: float = DEFAULT_TIME_SCALE
    case_timeout_seconds: float = DEFAULT_CASE_TIMEOUT_SECONDS


@dataclass
class CaseResult:
    """The verdict on one case, with the outcome that produced it."""

    case_id: str
    verdict: str
    features: tuple[str, ...] = ()
    query_language: str = "JSONPath"
    actual: dict | None = None
    difference: str | None = None
    skip_reason: str | None = None
    names: dict | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == PASSED

    def to_json(self) -> dict:
        """Return the results-file record: id and outcome (or the skip reason), the names, and the verdict."""
        if self.verdict == SKIPPED:
            return {"id": self.case_id, "skipped": self.skip_reason}
        record: dict[str, Any] = {"id": self.case_id}
        record.update(self.actual or {})
        record["names"] = self.names
        record["passed"] = self.passed
        return record


def load_executor(through: str) -> Callable[..., Any]:
    """Return the function that runs one execution for `--through` (`inprocess` or `lambda`).

    Raises RunnerUnavailable when the module that provides it is missing.
    """
    if through == "inprocess":
        try:
            from heaviside.local import run
        except ImportError as error:
            raise RunnerUnavailable(f"the local runner (heaviside.local.run) cannot be imported: {error}") from None
        return run
    if through == "lambda":
        try:
            from heaviside.runtime.testing import run_through_lambda
        except ImportError as error:
            raise RunnerUnavailable(
                "running cases through the Lambda runtime needs heaviside.runtime.testing.run_through_lambda, "
                f"which this installation does not provide ({error}); use --through inprocess"
            ) from None
        return run_through_lambda
    raise RunnerUnavailable(f"invalid --through value {through!r}; use inprocess or lambda")


def run_case(case: Case, options: RunOptions = RunOptions(), executor: Callable[..., Any] | None = None) -> CaseResult:
    """Run one case and compare its outcome with the recorded one.

    `executor` defaults to the one `options.through` names. Errors of the
    code under test (an exception from the runner, a run over the wall-clock
    limit) fail the case with a description instead of propagating.
    """
    started = time.perf_counter()
    result = CaseResult(case.id, FAILED, features=case.features, query_language=case.query_language)

    skip_reason = case.skip_reason(BEHAVIOURS)
    if skip_reason is not None:
        result.verdict, result.skip_reason = SKIPPED, skip_reason
        return result

    try:
        _run_and_compare(case, options, executor, result)
    finally:
        result.seconds = time.perf_counter() - started
    return result


def run_cases(
    cases: Iterable[Case],
    options: RunOptions = RunOptions(),
    *,
    jobs: int = 1,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run cases in order, or in `jobs` worker processes, and return their results in case order.

    `on_result` is called with each result as it arrives. Raises
    RunnerUnavailable before running anything when the driver is missing.
    """
    cases = list(cases)
    load_executor(options.through)
    if jobs <= 1 or len(cases) <= 1:
        results = []
        for case in cases:
            result = run_case(case, options)
            if on_result is not None:
                on_result(result)
            results.append(result)
        return results

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_case, case, options) for case in cases]
        results = []
        for future in futures:
            result = future.result()
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results


def _run_and_compare(case: Case, options: RunOptions, executor: Callable[..., Any] | None, result: CaseResult) -> None:
    from heaviside.asl.load import load_definition

    try:
        definition = load_definition(case.definition)
    except InvalidDefinition as rejection:
        result.actual = _rejection_outcome(rejection)
        result.verdict, result.difference = _judge_rejection(case, rejection, options.lenient)
        return

    if case.expects_invalid_definition:
        result.actual = {"status": "VALID_DEFINITION"}
        result.difference = f"validation accepted the definition; expected it to fail with {case.expected.get('error')}"
        return

    names = _names_for(case)
    result.names = names
    run = executor or load_executor(options.through)
    # Setting wake_up after the run ends the sleep of fakes whose Task timed out.
    wake_up = threading.Event()
    functions = build_functions(case.behaviours or {}, options.time_scale, wake_up)

    try:
        outcome, problem = _run_with_limit(
            case.id,
            lambda: run(
                definition,
                case.input,
                functions=functions,
                time_scale=options.time_scale,
                names=names,
                execution_type=case.execution_type,
            ),
            options.case_timeout_seconds,
        )
    finally:
        wake_up.set()
    if problem is not None:
        result.actual = {"status": "CRASHED", "error": "HarnessError", "cause": problem}
        result.difference = problem
        return

    result.actual = _outcome_of(outcome)
    result.difference = compare_outcome(case, result.actual, lenient=options.lenient)
    result.verdict = PASSED if result.difference is None else FAILED


def _names_for(case: Case) -> dict:
    return {key: case.context_names.get(key) or default for key, default in DEFAULT_NAMES.items()}


def _run_with_limit(case_id: str, call: Callable[[], Any], limit_seconds: float) -> tuple[Any, str | None]:
    """Call `call` in a daemon thread; return (its value, None) or (None, what went wrong).

    A thread cannot be stopped, so a run over the limit keeps running in the
    background while the next case starts.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # noqa: BLE001 - reported as the case's failure
            box["error"] = error

    worker = threading.Thread(target=target, name="conformance-case", daemon=True)
    worker.start()
    worker.join(limit_seconds)
    if worker.is_alive():
        logger.info("case %s timed out after %s s; its run continues in the background", case_id, limit_seconds)
        return None, f"the run did not finish within {limit_seconds:g} s of wall-clock time"
    if "error" in box:
        description = f"the runner raised {_describe_exception(box['error'])}"
        logger.info("case %s failed: %s", case_id, description, exc_info=box["error"])
        return None, description
    return box.get("value"), None


def _describe_exception(error: BaseException) -> str:
    location = ""
    frames = []
    traceback_entry = error.__traceback__
    while traceback_entry is not None:
        frames.append(traceback_entry)
        traceback_entry = traceback_entry.tb_next
    if frames:
        code = frames[-1].tb_frame.f_code
        location = f" at {code.co_filename.rsplit('/heaviside/', 1)[-1]}:{frames[-1].tb_lineno} in {code.co_name}"
    return f"{type(error).__name__}: {error}{location}"


def _outcome_of(execution: Any) -> dict:
    """Return the outcome of an execution in the shape of a case's `expected`."""
    status = getattr(execution, "status", None)
    outcome: dict[str, Any] = {"status": status}
    if status == "SUCCEEDED":
        outcome["output"] = getattr(execution, "output", None)
        return outcome
    for name in ("error", "cause"):
        value = getattr(execution, name, None)
        if value is not None:
            outcome[name] = value
    return outcome


def _rejection_outcome(rejection: InvalidDefinition) -> dict:
    first = rejection.errors[0] if rejection.errors else None
    return {
        "status": "INVALID_DEFINITION",
        "error": first.code if first else None,
        "cause": "; ".join(str(problem) for problem in rejection.errors),
    }


def _judge_rejection(case: Case, rejection: InvalidDefinition, lenient: bool) -> tuple[str, str | None]:
    codes = [problem.code for problem in rejection.errors]
    if not case.expects_invalid_definition:
        return FAILED, f"validation rejected the definition: {'; '.join(map(str, rejection.errors))[:300]}"
    expected_code = case.expected.get("error")
    if lenient or expected_code is None or expected_code in codes:
        return PASSED, None
    return FAILED, f"error: expected {expected_code}, got {', '.join(codes) or 'no code'}"
