"""Fake Lambda functions for the behaviour codes of the case files.

Each code names what a function did when AWS ran the recorded execution (the
functions ran on the Python 3.12 Lambda runtime). A fake must fail the way
that function failed, because error causes are compared: the Lambda runtime
reports an exception as `{"errorMessage", "errorType", "requestId",
"stackTrace"}`, and the stack trace names `/var/task/handler.py`, the line
and the source text. So the raising fakes are compiled from a small source
text under that file name, with each `raise` on the line the recordings show:
line 2 for `raise_exception` and line 9 for `raise_custom_exception`. The
module's loader returns that text, so `traceback` can print the source lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["BEHAVIOURS", "FUNCTION_ARN_PREFIX", "build_functions", "make_function"]

# Corpus functions live in this account and region.
FUNCTION_ARN_PREFIX = "arn:aws:lambda:us-east-1:111111111111:function:"

HANDLER_FILE = "/var/task/handler.py"

# Both raising handlers share one file, so that the source lines a traceback
# prints match the recordings for either of them.
_HANDLER_SOURCE = '''\
def handler(event, context):
    raise Exception("Some exception was raised.")


raise_exception_handler = handler


def handler(event, context):
    raise CustomException()


class CustomException(Exception):
    """An exception raised without a message, so its errorMessage is empty."""
'''


class _HandlerSourceLoader:
    """Loader that gives `linecache` the text of the fake handler module."""

    def get_source(self, name: str) -> str:
        return _HANDLER_SOURCE


def _load_raising_handlers() -> tuple[Callable, Callable]:
    namespace: dict[str, Any] = {"__name__": "handler", "__file__": HANDLER_FILE, "__loader__": _HandlerSourceLoader()}
    exec(compile(_HANDLER_SOURCE, HANDLER_FILE, "exec"), namespace)
    return namespace["raise_exception_handler"], namespace["handler"]


_raise_exception, _raise_custom_exception = _load_raising_handlers()


def _echo(event: Any, context: Any) -> Any:
    return event


def _return_hello_world_object(event: Any, context: Any) -> Any:
    return {"Return": "HelloWorld"}


def _return_hello_world_bytes(event: Any, context: Any) -> bytes:
    return b'"HelloWorld!"'


def _return_257_kib_bytes(event: Any, context: Any) -> bytes:
    return b"a" * (257 * 1024)


def _sleep_then_echo(time_scale: float, wake_up: threading.Event) -> Callable[[Any, Any], Any]:
    def handler(event: Any, context: Any) -> Any:
        wake_up.wait(60 * time_scale)
        return event

    return handler


def _constant(handler: Callable[[Any, Any], Any]) -> Callable[[float, threading.Event], Callable[[Any, Any], Any]]:
    return lambda time_scale, wake_up: handler


# Behaviour code -> factory taking the time scale and a wake-up event. Only
# `sleep_60_then_echo` uses them: its 60 seconds shrink like every other delay
# of the run, and setting the event ends the sleep early.
BEHAVIOURS: dict[str, Callable[[float, threading.Event], Callable[[Any, Any], Any]]] = {
    "echo": _constant(_echo),
    "return_hello_world_object": _constant(_return_hello_world_object),
    "raise_exception": _constant(_raise_exception),
    "raise_custom_exception": _constant(_raise_custom_exception),
    "return_hello_world_bytes": _constant(_return_hello_world_bytes),
    "return_257_kib_bytes": _constant(_return_257_kib_bytes),
    "sleep_60_then_echo": _sleep_then_echo,
}


def make_function(
    code: str, time_scale: float = 1.0, wake_up: threading.Event | None = None
) -> Callable[[Any, Any], Any]:
    """Return the fake Lambda handler for a behaviour code. Raises KeyError for an unknown code.

    Setting `wake_up` ends the sleep of a sleeping fake, so a run that has
    already timed out leaves no thread sleeping behind it.
    """
    return BEHAVIOURS[code](time_scale, wake_up or threading.Event())


def build_functions(
    behaviours: Mapping[str, str], time_scale: float = 1.0, wake_up: threading.Event | None = None
) -> dict[str, Callable[[Any, Any], Any]]:
    """Map each function's name and ARN to its fake handler, as `heaviside.local.run` takes them.

    A name that is already an ARN is registered as given and under its
    function name. `wake_up` is passed to `make_function`.
    """
    functions: dict[str, Callable[[Any, Any], Any]] = {}
    for name, code in behaviours.items():
        handler = make_function(code, time_scale, wake_up)
        function_name = name.rsplit(":function:", 1)[-1] if ":function:" in name else name
        functions[function_name] = handler
        functions[FUNCTION_ARN_PREFIX + function_name] = handler
        functions[name] = handler
    return functions
