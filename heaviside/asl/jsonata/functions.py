"""The functions Step Functions adds to JSONata: $partition, $range, $hash,
$random, $uuid and $parse.

Each is a plain Python function registered on every compiled expression.
Argument errors raise `FunctionError`; the evaluator reports its message the
way AWS reports an error without a JSONata error code.

NOTE: AWS documents what these functions return but not the text of their
argument errors, so the messages here are heaviside's own wording.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from typing import Any, Callable

__all__ = ["FunctionError", "STEP_FUNCTIONS_FUNCTIONS"]

# The digest names $hash accepts, mapped to hashlib's names.
HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


class FunctionError(Exception):
    """An invalid argument to one of the Step Functions functions."""


def partition(array: Any, size: Any) -> list:
    """Split `array` into chunks of `size` items; the last chunk may be shorter."""
    if not isinstance(array, list):
        raise FunctionError(f"The first argument of $partition must be an array, but was: {_json(array)}")
    if not _is_integer(size) or size < 1:
        raise FunctionError(f"The second argument of $partition must be a positive integer, but was: {_json(size)}")
    size = int(size)
    return [array[start : start + size] for start in range(0, len(array), size)]


def range_(start: Any, end: Any, step: Any) -> Any:
    """Return the numbers from `start` to `end` inclusive, `step` apart.

    The result is a JSONata sequence: one number comes back as that number
    (AWS returns 1 for ``$range(1, 9, 9)``) and no number as undefined.
    """
    for position, argument in (("first", start), ("second", end), ("third", step)):
        if not _is_integer(argument):
            raise FunctionError(f"The {position} argument of $range must be an integer, but was: {_json(argument)}")
    if step == 0:
        raise FunctionError("The third argument of $range (the step) must not be 0.")
    numbers = list(range(int(start), int(end) + (1 if step > 0 else -1), int(step)))
    if len(numbers) == 1:
        return numbers[0]
    if not numbers:
        # NOTE: an empty range returns undefined by the sequence rule above;
        # no AWS recording shows this case.
        return None
    return numbers


def hash_(data: Any, algorithm: Any) -> str:
    """Return the lowercase hex digest of the UTF-8 bytes of `data`."""
    if not isinstance(data, str):
        raise FunctionError(f"The first argument of $hash must be a string, but was: {_json(data)}")
    name = HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        supported = ", ".join(HASH_ALGORITHMS)
        raise FunctionError(f"The hashing algorithm {_json(algorithm)} is not supported; use one of {supported}.")
    return hashlib.new(name, data.encode("utf-8")).hexdigest()


def random_(seed: Any = None) -> float:
    """Return a number in [0, 1); with a `seed`, the same number on every call.

    A seeded call returns the first ``nextDouble()`` of ``java.util.Random``
    seeded with `seed`.
    NOTE: that generator is an assumption about AWS; no AWS recording of a
    seeded result was available to check it.
    """
    if seed is None:
        return random.random()
    if not _is_integer(seed):
        raise FunctionError(f"The seed of $random must be an integer, but was: {_json(seed)}")
    return _JavaRandom(int(seed)).next_double()


def uuid_() -> str:
    """Return a random (version 4) UUID."""
    return str(uuid.uuid4())


def parse(text: Any) -> Any:
    """Parse a JSON string."""
    # TODO: jlens turns a host function's None into undefined, so
    # `$parse('null')` returns undefined instead of null.
    if not isinstance(text, str):
        raise FunctionError(f"The argument of $parse must be a string, but was: {_json(text)}")
    try:
        return json.loads(text)
    except ValueError:
        raise FunctionError(f"The argument of $parse is not valid JSON: {text}") from None


# The functions registered on every expression, by JSONata name (without `$`).
STEP_FUNCTIONS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": partition,
    "range": range_,
    "hash": hash_,
    "random": random_,
    "uuid": uuid_,
    "parse": parse,
}

# JSONata signatures of the functions: jlens checks the argument count and
# types against them before a call and raises T0410 as for a built-in.
SIGNATURES = {
    "partition": "<an:a>",
    "range": "<nnn:x>",
    "hash": "<ss:s>",
    "random": "<n?:n>",
    "uuid": "<:s>",
    "parse": "<s:x>",
}


class _JavaRandom:
    """The linear congruential generator of ``java.util.Random``."""

    _MULTIPLIER = 0x5DEECE66D
    _MASK = (1 << 48) - 1

    def __init__(self, seed: int):
        self._seed = (seed ^ self._MULTIPLIER) & self._MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * self._MULTIPLIER + 0xB) & self._MASK
        return self._seed >> (48 - bits)

    def next_double(self) -> float:
        return ((self._next(26) << 27) + self._next(27)) * (1.0 / (1 << 53))


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
