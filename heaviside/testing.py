"""Test helpers for state machines declared in a SAM template.

Run an execution of a ``Heaviside::StateMachine`` from your template with the
local runner, replace any Task state by a mock, then assert on the outcome
and on the path the execution took::

    from heaviside.testing import run_state_machine

    def test_declined_card_releases_stock():
        result = run_state_machine(
            "template.yaml",
            {"orderId": "A-1", ...},
            mocks={"ChargePayment": {"Throw": {"Error": "PaymentDeclined", "Cause": "card declined"}}},
        )
        result.assert_failed("PaymentDeclined")
        result.assert_entered("ReleaseInventory")

Or use the ``heaviside_runner`` pytest fixture, which adds the option
``--heaviside-through=lambda`` to run the same tests through the local Lambda
endpoint. Enable it with ``pytest_plugins = ["heaviside.testing"]`` in your
``conftest.py``. The option changes only the runs made through the fixture:
`run_state_machine` called directly runs through the path that its `through`
argument selects (in-process by default), whatever the option.

A mock is ``{"Return": value}``, ``{"Throw": {"Error": ..., "Cause": ...}}``,
a mapping from invocation numbers ("0", "1-2") to those, or any callable
``(event, context)``. By default (``time_scale=0.001``) Wait states, retry
delays and Task timeouts last a thousandth of their time, so pass a larger
`time_scale` to test a Task with a short ``TimeoutSeconds``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from heaviside.local.app import RunResult, StateMock, TemplateApp, load_template, parse_mock, run_machine

__all__ = ["ExecutionResult", "heaviside_runner", "run_state_machine"]

_UNSET = object()


@dataclass(frozen=True)
class ExecutionResult:
    """The outcome of an execution, with assertions that explain their failures.

    The path assertions (`assert_path`, `assert_entered`, `assert_not_entered`)
    work on both paths. Through the Lambda path the states entered come from
    the execution's history, and the states of concurrent branches and
    iterations interleave by the time each hop ran.
    """

    status: str
    output: Any
    error: str | None
    cause: str | None
    # None when the run did not record the path: a Lambda run with HEAVISIDE_HISTORY=false.
    states_entered: tuple[str, ...] | None

    def assert_succeeded(self, output: Any = _UNSET) -> None:
        """Assert that the execution succeeded, with `output` when given."""
        assert self.status == "SUCCEEDED", (
            f"expected the execution to succeed, but it ended {self.status} "
            f"with error {self.error!r} and cause {self.cause!r}; states entered: {self._path_text()}"
        )
        if output is not _UNSET:
            assert self.output == output, f"unexpected output:\n  actual:   {self.output!r}\n  expected: {output!r}"

    def assert_failed(self, error: str | None = None, cause: str | None = None) -> None:
        """Assert that the execution failed, with `error` and `cause` when given."""
        assert self.status == "FAILED", (
            f"expected the execution to fail, but it ended {self.status} with output {self.output!r}; "
            f"states entered: {self._path_text()}"
        )
        if error is not None:
            assert self.error == error, f"expected error {error!r}, got {self.error!r} (cause {self.cause!r})"
        if cause is not None:
            assert self.cause == cause, f"expected cause {cause!r}, got {self.cause!r}"

    def assert_path(self, states: Sequence[str]) -> None:
        """Assert that the execution entered these states in this order.

        Other states may come between them, so list the states that matter:
        ``["ValidateOrder", "ChargePayment", "OrderConfirmed"]``. States of
        concurrent branches and iterations may run in any order, so list at most
        one state from each concurrent part.
        """
        entered = self._recorded_path()
        position = 0
        for state in entered:
            if position < len(states) and state == states[position]:
                position += 1
        assert position == len(states), (
            f"expected the states {list(states)} in this order, but {states[position]!r} "
            f"was not entered after {list(states[:position])}; states entered: {list(entered)}"
        )

    def assert_entered(self, state: str, times: int | None = None) -> None:
        """Assert that the execution entered `state`, exactly `times` times when given."""
        entered = self._recorded_path()
        count = entered.count(state)
        if times is None:
            assert count > 0, f"state {state!r} was never entered; states entered: {list(entered)}"
        else:
            assert count == times, f"expected state {state!r} to be entered {times} times, it was entered {count} times"

    def assert_not_entered(self, state: str) -> None:
        """Assert that the execution never entered `state`."""
        entered = self._recorded_path()
        assert state not in entered, f"state {state!r} was entered; states entered: {list(entered)}"

    def _recorded_path(self) -> tuple[str, ...]:
        assert self.states_entered is not None, (
            "the path was not recorded: HEAVISIDE_HISTORY is false in the template's environment, "
            "so the Lambda path kept no history; remove that setting to assert on the path"
        )
        return self.states_entered

    def _path_text(self) -> str:
        return "not recorded" if self.states_entered is None else str(list(self.states_entered))


def run_state_machine(
    template: str | os.PathLike | TemplateApp,
    execution_input: Any = None,
    *,
    machine: str | None = None,
    mocks: Mapping[str, Any] | None = None,
    time_scale: float = 0.001,
    through: str = "inprocess",
) -> ExecutionResult:
    """Run one execution of a state machine from a SAM template and return its outcome.

    `machine` is the logical id or ``Name`` of the machine, needed when the
    template has several. `through` is ``inprocess`` or ``lambda``; the
    ``--heaviside-through`` option does not change it, because only the
    ``heaviside_runner`` fixture reads that option. Raises
    `heaviside.local.app.TemplateError` before the run when the template
    cannot run, for example when a Task calls a ``${Name}`` placeholder that
    no DefinitionSubstitutions entry sets.
    """
    app = template if isinstance(template, TemplateApp) else load_template(template)
    state_mocks = {state: _as_mock(state, spec) for state, spec in (mocks or {}).items()}
    result: RunResult = run_machine(
        app, execution_input, machine=machine, mocks=state_mocks, time_scale=time_scale, through=through
    )
    return ExecutionResult(result.status, result.output, result.error, result.cause, result.states_entered)


def _as_mock(state: str, spec: Any) -> StateMock | Callable:
    if isinstance(spec, StateMock) or callable(spec):
        return spec
    return parse_mock(state, spec, "mocks")


# ---------------------------------------------------------------------------
# pytest integration


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("heaviside")
    group.addoption(
        "--heaviside-through",
        choices=["inprocess", "lambda"],
        default="inprocess",
        help="how the heaviside_runner fixture runs executions: with the in-process runner (default) "
        "or through the local Lambda endpoint; run_state_machine called directly ignores this option",
    )


@pytest.fixture
def heaviside_runner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Callable[..., ExecutionResult]:
    """Return `run_state_machine`, isolated per test.

    Each test runs in its own temporary working directory, so files that
    handlers write do not outlive it, and through the path that
    ``--heaviside-through`` selects (in-process by default). Relative template
    paths are resolved against the directory the test started in.
    """
    through = _selected_through(request)
    # Relative template paths keep meaning the folder the test started in.
    start_dir = os.getcwd()
    monkeypatch.chdir(tmp_path)

    def run(template, execution_input=None, **options) -> ExecutionResult:
        options.setdefault("through", through)
        if isinstance(template, (str, os.PathLike)):
            template = os.path.join(start_dir, template)
        return run_state_machine(template, execution_input, **options)

    return run


def _selected_through(request: pytest.FixtureRequest) -> str:
    try:
        return request.config.getoption("--heaviside-through")
    except ValueError:
        # The option exists only when this module is loaded as a pytest plugin.
        return "inprocess"
