"""The embedded default: an in-process runner with local stores.

`run(definition, input, *, functions=None, time_scale=1.0, names=None,
execution_type="STANDARD", trace=None)` runs one execution through the same
engine the Lambda runtime uses and returns an `Execution` with `status`
(SUCCEEDED, FAILED or TIMED_OUT), `output`, `error` and `cause`.
"""

from heaviside.local.runner import FAILED, SUCCEEDED, TIMED_OUT, Execution, LambdaContext, run

__all__ = ["Execution", "FAILED", "LambdaContext", "SUCCEEDED", "TIMED_OUT", "run"]
