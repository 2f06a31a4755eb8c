"""Fault-injection points for tests: named places where a test can stop the process.

The runtime calls `checkpoint(name)` at a few places where a crash is worth
testing; with no hook installed a checkpoint does nothing. The local Lambda
endpoint installs hooks in its worker processes on request, for example to
kill a task's process after its handler returned and before the next hop
was dispatched.
"""

from __future__ import annotations

from typing import Callable

AFTER_HANDLER = "after_handler"

_hooks: dict[str, Callable[[], None]] = {}


def install(name: str, hook: Callable[[], None]) -> None:
    """Run `hook` at every `checkpoint(name)` in this process."""
    _hooks[name] = hook


def clear() -> None:
    """Remove every installed hook."""
    _hooks.clear()


def checkpoint(name: str) -> None:
    """Run the hook installed for `name`, if any."""
    hook = _hooks.get(name)
    if hook is not None:
        hook()
