"""A typed, immutable model of a state machine definition.

`build_definition(raw)` turns a definition that passed validation into frozen
dataclasses, one per construct of the Amazon States Language. The model keeps
expressions as text (paths, payload templates, Choice rules, JSONata strings)
and resolves every default that the language fixes:

- `query_language` of each state is the effective one (the state's own, else
  the enclosing machine's, else ``JSONPath``);
- InputPath, OutputPath and ResultPath are ``"$"`` when absent and None when
  the definition sets them to null (null discards the value);
- fields that are absent and have no default hold `ABSENT`, so that an explicit
  JSON null (a Pass `Result` of null, an `Output` of null) stays distinct.

The engine compiles the expressions once per definition
(`heaviside.engine.compile_program`). The model does not validate: it assumes
`heaviside.asl.validate` accepted the definition, and a field of the wrong type
ends up in the model as given.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping, dataclass_transform

JSONPATH = "JSONPath"
JSONATA = "JSONata"


class _Absent:
    """The type of `ABSENT`: a field that the definition leaves out."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Absent, ())


ABSENT: Any = _Absent()


@dataclass_transform(field_specifiers=(field,))
def record(cls=None, /, *, frozen: bool = False):
    """Make `cls` a dataclass whose methods are shared functions, not code compiled for it.

    `dataclass` compiles `__init__`, `__repr__` and `__eq__` (and for a frozen
    class `__hash__`, `__setattr__` and `__delattr__`) from source text for
    each class, when its module is imported. On CPython 3.11 that took about
    10 ms for this module's classes, a fifth of the import time of
    `heaviside.task` (`bench/extras.py imports`). A record is still a
    dataclass, so `dataclasses.fields` and `dataclasses.replace` work on it,
    and its methods behave like the generated ones. Arguments are taken by
    keyword or by position in field order, with defaults and default
    factories. Equality and, when frozen, the hash use the fields marked
    `compare`, and the repr uses those marked `repr`. A frozen record raises
    `FrozenInstanceError` on assignment, and a mutable one is unhashable.
    Methods that the class defines itself are kept. `__post_init__` and
    fields with ``init=False`` raise TypeError, and `InitVar` is not supported.

    Building an instance from 12 keyword arguments took 1.5 µs, against 2.5 µs
    for a frozen dataclass and 1.3 µs for a mutable one (`timeit`, CPython
    3.11), so the envelope's `HeavisideContext`, built on every hop, stays a
    plain dataclass.
    """

    def wrap(cls):
        cls = dataclass(init=False, repr=False, eq=False)(cls)
        record_fields = fields(cls)
        if hasattr(cls, "__post_init__") or not all(item.init for item in record_fields):
            raise TypeError(f"{cls.__name__}: record does not call __post_init__ or skip fields; use dataclass")
        cls._record_names = tuple(item.name for item in record_fields)
        cls._record_name_set = frozenset(cls._record_names)
        cls._record_defaults = {item.name: item.default for item in record_fields if item.default is not MISSING}
        cls._record_factories = tuple(
            (item.name, item.default_factory) for item in record_fields if item.default_factory is not MISSING
        )
        cls._record_compared = tuple(item.name for item in record_fields if item.compare)
        cls._record_shown = tuple(item.name for item in record_fields if item.repr)

        methods = {"__init__": _record_init, "__repr__": _record_repr, "__eq__": _record_eq}
        if frozen:
            methods.update(__hash__=_record_hash, __setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
        else:
            methods["__hash__"] = None
        for name, method in methods.items():
            if name not in cls.__dict__ or (name == "__hash__" and cls.__dict__[name] is None):
                setattr(cls, name, method)
        return cls

    return wrap if cls is None else wrap(cls)


def _record_init(self, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    if args:
        _add_positional(cls, args, kwargs)

    values = self.__dict__
    values.update(cls._record_defaults)
    values.update(kwargs)
    for name, factory in cls._record_factories:
        if name not in kwargs:
            values[name] = factory()

    # The defaults name only fields, so every field is set exactly when
    # the keyword arguments name only fields and the count matches.
    if len(values) != len(cls._record_names) or not kwargs.keys() <= cls._record_name_set:
        _reject_arguments(cls, kwargs)


def _record_repr(self) -> str:
    fields_text = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{type(self).__qualname__}({fields_text})"


def _record_eq(self, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _comparison_key(self) == _comparison_key(other)


def _record_hash(self) -> int:
    return hash(_comparison_key(self))


def _comparison_key(instance: Any) -> tuple:
    return tuple(getattr(instance, name) for name in instance._record_compared)


def _frozen_setattr(self, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _add_positional(cls, args: tuple, kwargs: dict) -> None:
    if len(args) > len(cls._record_names):
        count = len(cls._record_names)
        raise TypeError(f"{cls.__name__}() takes {count} positional arguments but {len(args)} were given")
    for name, value in zip(cls._record_names, args):
        if name in kwargs:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
        kwargs[name] = value


def _reject_arguments(cls, kwargs: dict) -> None:
    unknown = [name for name in kwargs if name not in cls._record_name_set]
    if unknown:
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {unknown[0]!r}")
    provided = {name for name, _ in cls._record_factories} | cls._record_defaults.keys() | kwargs.keys()
    missing = [name for name in cls._record_names if name not in provided]
    raise TypeError(f"{cls.__name__}() missing required arguments: {', '.join(map(repr, missing))}")


@record(frozen=True)
class Retrier:
    """One element of a state's Retry list, with AWS's defaults filled in."""

    error_equals: tuple[str, ...]
    interval_seconds: Any = 1
    max_attempts: Any = 3
    backoff_rate: Any = 2.0
    max_delay_seconds: Any = None
    jitter_strategy: str = "NONE"
    comment: str | None = None


@record(frozen=True)
class Catcher:
    """One element of a state's Catch list.

    `result_path` is ``"$"`` when absent (the error output replaces the state
    input) and None when null. `output` and `assign` are the JSONata-era fields.
    """

    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"
    output: Any = ABSENT
    assign: Any = ABSENT
    comment: str | None = None


@record(frozen=True)
class ChoiceBranch:
    """One element of a Choice state's Choices: a rule, its target and its optional Assign/Output.

    `rule` is the rule object as written (comparison, And/Or/Not, or a JSONata
    `Condition`), without Next, Assign, Output and Comment.
    """

    rule: Mapping[str, Any]
    next: str
    assign: Any = ABSENT
    output: Any = ABSENT
    comment: str | None = None


@record(frozen=True)
class ProcessorConfig:
    """A Map's ProcessorConfig: ``INLINE`` or ``DISTRIBUTED`` mode."""

    mode: str = "INLINE"
    execution_type: str | None = None


@record(frozen=True)
class StateMachineBody:
    """A set of states with a start: the whole machine, a Parallel branch or a Map ItemProcessor."""

    start_at: str
    states: Mapping[str, "State"]
    query_language: str = JSONPATH
    comment: str | None = None
    processor_config: ProcessorConfig | None = None


@record(frozen=True)
class State:
    """Fields every state type has (or ignores when they do not apply to it).

    `next` is None for a state with ``End: true`` and for Choice, Succeed and
    Fail states.
    """

    name: str
    type: str
    query_language: str = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    input_path: str | None = "$"
    output_path: str | None = "$"
    assign: Any = ABSENT
    output: Any = ABSENT

    @property
    def is_jsonata(self) -> bool:
        return self.query_language == JSONATA


@record(frozen=True)
class PassState(State):
    """A Pass state."""

    result: Any = ABSENT
    result_path: str | None = "$"
    parameters: Any = ABSENT


@record(frozen=True)
class TaskState(State):
    """A Task state. `timeout_seconds` and `heartbeat_seconds` are numbers or JSONata strings."""

    resource: str = ""
    parameters: Any = ABSENT
    arguments: Any = ABSENT
    result_selector: Any = ABSENT
    result_path: str | None = "$"
    timeout_seconds: Any = None
    timeout_seconds_path: str | None = None
    heartbeat_seconds: Any = None
    heartbeat_seconds_path: str | None = None
    credentials: Any = ABSENT
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@record(frozen=True)
class ChoiceState(State):
    """A Choice state: its branches in order and the Default target."""

    choices: tuple[ChoiceBranch, ...] = ()
    default: str | None = None


@record(frozen=True)
class WaitState(State):
    """A Wait state: exactly one of the four fields is set (Seconds may be a JSONata string)."""

    seconds: Any = None
    seconds_path: str | None = None
    timestamp: Any = None
    timestamp_path: str | None = None


@record(frozen=True)
class SucceedState(State):
    """A Succeed state."""


@record(frozen=True)
class FailState(State):
    """A Fail state: Error and Cause, each given as text or as a path."""

    error: Any = None
    error_path: str | None = None
    cause: Any = None
    cause_path: str | None = None


@record(frozen=True)
class ParallelState(State):
    """A Parallel state and its branches."""

    branches: tuple[StateMachineBody, ...] = ()
    parameters: Any = ABSENT
    arguments: Any = ABSENT
    result_selector: Any = ABSENT
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@record(frozen=True)
class MapState(State):
    """A Map state. `item_selector` is ItemSelector or, in older definitions, Parameters.

    `items` is the JSONata-era Items field (an array or a JSONata string);
    the numeric fields may be JSONata strings too.
    """

    item_processor: StateMachineBody | None = None
    items_path: str | None = "$"
    items: Any = ABSENT
    item_selector: Any = ABSENT
    max_concurrency: Any = 0
    max_concurrency_path: str | None = None
    tolerated_failure_count: Any = None
    tolerated_failure_count_path: str | None = None
    tolerated_failure_percentage: Any = None
    tolerated_failure_percentage_path: str | None = None
    item_reader: Any = ABSENT
    item_batcher: Any = ABSENT
    result_writer: Any = ABSENT
    label: str | None = None
    arguments: Any = ABSENT
    result_selector: Any = ABSENT
    result_path: str | None = "$"
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@record(frozen=True)
class Definition(StateMachineBody):
    """A whole state machine: the top-level body plus TimeoutSeconds and Version.

    `raw` is the definition as given, for tools that need the original text.
    """

    timeout_seconds: int | None = None
    version: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def iter_states(self):
        """Yield every state of the machine, nested branches and iterations included."""
        yield from _iter_states(self)


def build_definition(raw: dict) -> Definition:
    """Build the model of a definition that passed validation."""
    language = raw.get("QueryLanguage", JSONPATH)
    states = _build_states(raw.get("States", {}), language)
    return Definition(
        start_at=raw.get("StartAt", ""),
        states=states,
        query_language=language,
        comment=raw.get("Comment"),
        timeout_seconds=raw.get("TimeoutSeconds"),
        version=raw.get("Version"),
        raw=raw,
    )


def _iter_states(body: StateMachineBody):
    for state in body.states.values():
        yield state
        if isinstance(state, ParallelState):
            for branch in state.branches:
                yield from _iter_states(branch)
        elif isinstance(state, MapState) and state.item_processor is not None:
            yield from _iter_states(state.item_processor)


def _build_body(raw: Mapping[str, Any], inherited_language: str) -> StateMachineBody:
    # Nested machines inherit the enclosing state's language unless they set one.
    language = raw.get("QueryLanguage", inherited_language)
    config = raw.get("ProcessorConfig")
    processor_config = None
    if isinstance(config, Mapping):
        processor_config = ProcessorConfig(
            mode=config.get("Mode", "INLINE"), execution_type=config.get("ExecutionType")
        )
    return StateMachineBody(
        start_at=raw.get("StartAt", ""),
        states=_build_states(raw.get("States", {}), language),
        query_language=language,
        comment=raw.get("Comment"),
        processor_config=processor_config,
    )


def _build_states(raw_states: Mapping[str, Any], language: str) -> Mapping[str, State]:
    return MappingProxyType(
        {name: _build_state(name, raw_state, language) for name, raw_state in raw_states.items()}
    )


def _build_state(name: str, raw: Mapping[str, Any], machine_language: str) -> State:
    state_type = raw.get("Type", "")
    language = raw.get("QueryLanguage", machine_language)
    common: dict[str, Any] = {
        "name": name,
        "type": state_type,
        "query_language": language,
        "comment": raw.get("Comment"),
        "next": raw.get("Next"),
        "end": bool(raw.get("End", False)),
        "input_path": raw.get("InputPath", "$"),
        "output_path": raw.get("OutputPath", "$"),
        "assign": raw.get("Assign", ABSENT),
        "output": raw.get("Output", ABSENT),
    }
    builder = _BUILDERS.get(state_type)
    if builder is None:
        return State(**common)
    # Branches and ItemProcessors default to the machine's language, not to
    # the language of the Parallel or Map state that contains them.
    return builder(raw, common, machine_language)


def _build_pass(raw, common, language):
    return PassState(
        **common,
        result=raw.get("Result", ABSENT),
        result_path=raw.get("ResultPath", "$"),
        parameters=raw.get("Parameters", ABSENT),
    )


def _build_task(raw, common, language):
    return TaskState(
        **common,
        resource=raw.get("Resource", ""),
        parameters=raw.get("Parameters", ABSENT),
        arguments=raw.get("Arguments", ABSENT),
        result_selector=raw.get("ResultSelector", ABSENT),
        result_path=raw.get("ResultPath", "$"),
        timeout_seconds=raw.get("TimeoutSeconds"),
        timeout_seconds_path=raw.get("TimeoutSecondsPath"),
        heartbeat_seconds=raw.get("HeartbeatSeconds"),
        heartbeat_seconds_path=raw.get("HeartbeatSecondsPath"),
        credentials=raw.get("Credentials", ABSENT),
        retry=_build_retriers(raw.get("Retry", ())),
        catch=_build_catchers(raw.get("Catch", ())),
    )


def _build_choice(raw, common, language):
    branches = []
    for rule in raw.get("Choices", ()):
        condition = {
            key: value for key, value in rule.items() if key not in ("Next", "Assign", "Output", "Comment")
        }
        branches.append(
            ChoiceBranch(
                rule=MappingProxyType(condition),
                next=rule.get("Next", ""),
                assign=rule.get("Assign", ABSENT),
                output=rule.get("Output", ABSENT),
                comment=rule.get("Comment"),
            )
        )
    return ChoiceState(**common, choices=tuple(branches), default=raw.get("Default"))


def _build_wait(raw, common, language):
    return WaitState(
        **common,
        seconds=raw.get("Seconds"),
        seconds_path=raw.get("SecondsPath"),
        timestamp=raw.get("Timestamp"),
        timestamp_path=raw.get("TimestampPath"),
    )


def _build_succeed(raw, common, language):
    return SucceedState(**common)


def _build_fail(raw, common, language):
    return FailState(
        **common,
        error=raw.get("Error"),
        error_path=raw.get("ErrorPath"),
        cause=raw.get("Cause"),
        cause_path=raw.get("CausePath"),
    )


def _build_parallel(raw, common, language):
    return ParallelState(
        **common,
        branches=tuple(_build_body(branch, language) for branch in raw.get("Branches", ())),
        parameters=raw.get("Parameters", ABSENT),
        arguments=raw.get("Arguments", ABSENT),
        result_selector=raw.get("ResultSelector", ABSENT),
        result_path=raw.get("ResultPath", "$"),
        retry=_build_retriers(raw.get("Retry", ())),
        catch=_build_catchers(raw.get("Catch", ())),
    )


def _build_map(raw, common, language):
    # ItemProcessor replaced Iterator, and ItemSelector replaced Parameters;
    # AWS accepts both spellings.
    processor = raw.get("ItemProcessor", raw.get("Iterator"))
    return MapState(
        **common,
        item_processor=_build_body(processor, language) if isinstance(processor, Mapping) else None,
        items_path=raw.get("ItemsPath", "$"),
        items=raw.get("Items", ABSENT),
        item_selector=raw.get("ItemSelector", raw.get("Parameters", ABSENT)),
        max_concurrency=raw.get("MaxConcurrency", 0),
        max_concurrency_path=raw.get("MaxConcurrencyPath"),
        tolerated_failure_count=raw.get("ToleratedFailureCount"),
        tolerated_failure_count_path=raw.get("ToleratedFailureCountPath"),
        tolerated_failure_percentage=raw.get("ToleratedFailurePercentage"),
        tolerated_failure_percentage_path=raw.get("ToleratedFailurePercentagePath"),
        item_reader=raw.get("ItemReader", ABSENT),
        item_batcher=raw.get("ItemBatcher", ABSENT),
        result_writer=raw.get("ResultWriter", ABSENT),
        label=raw.get("Label"),
        arguments=raw.get("Arguments", ABSENT),
        result_selector=raw.get("ResultSelector", ABSENT),
        result_path=raw.get("ResultPath", "$"),
        retry=_build_retriers(raw.get("Retry", ())),
        catch=_build_catchers(raw.get("Catch", ())),
    )


def _build_retriers(raw_list) -> tuple[Retrier, ...]:
    return tuple(
        Retrier(
            error_equals=tuple(raw.get("ErrorEquals", ())),
            interval_seconds=raw.get("IntervalSeconds", 1),
            max_attempts=raw.get("MaxAttempts", 3),
            backoff_rate=raw.get("BackoffRate", 2.0),
            max_delay_seconds=raw.get("MaxDelaySeconds"),
            jitter_strategy=raw.get("JitterStrategy", "NONE"),
            comment=raw.get("Comment"),
        )
        for raw in raw_list
    )


def _build_catchers(raw_list) -> tuple[Catcher, ...]:
    return tuple(
        Catcher(
            error_equals=tuple(raw.get("ErrorEquals", ())),
            next=raw.get("Next", ""),
            result_path=raw.get("ResultPath", "$"),
            output=raw.get("Output", ABSENT),
            assign=raw.get("Assign", ABSENT),
            comment=raw.get("Comment"),
        )
        for raw in raw_list
    )


_BUILDERS = {
    "Pass": _build_pass,
    "Task": _build_task,
    "Choice": _build_choice,
    "Wait": _build_wait,
    "Succeed": _build_succeed,
    "Fail": _build_fail,
    "Parallel": _build_parallel,
    "Map": _build_map,
}
