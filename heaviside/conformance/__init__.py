"""Conformance cases: executions recorded against AWS Step Functions, replayed locally.

A case file contains a definition, an input, the Lambda functions the definition
calls (with a behaviour code each), and the outcome AWS recorded. This package
runs each case through heaviside's local runner and compares the outcome with
the recording after the same normalisation the recorder applied.

- `cases`: loading case files, query-language groups, skip reasons;
- `fakes`: the fake Lambda functions for each behaviour code;
- `compare`: normalising an actual result and comparing it with `expected`,
  strictly or leniently;
- `runner`: running one case or many and collecting `CaseResult`s;
- `report`: the text report and the JSON-lines results file.

`heaviside conformance DIR...` (`heaviside.commands.conformance`) drives it.
"""

from heaviside.conformance.cases import Case, CaseFileError, load_cases
from heaviside.conformance.compare import compare_outcome
from heaviside.conformance.runner import CaseResult, run_case, run_cases

__all__ = [
    "Case",
    "CaseFileError",
    "CaseResult",
    "compare_outcome",
    "load_cases",
    "run_case",
    "run_cases",
]
