"""Rules for one state: its fields, their types and ranges, per state type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heaviside.asl.validation import fields as field_tables
from heaviside.asl.validation.choice import check_choices
from heaviside.asl.validation.expressions import (
    INPUT_AND_CONTEXT,
    WITH_ERROR_OUTPUT,
    WITH_RESULT,
    check_jsonata_template,
    check_jsonata_text,
    check_path,
    check_path_or_intrinsic,
    check_payload_template,
    check_reference_path,
    check_timestamp,
)
from heaviside.asl.validation.report import (
    JSONATA,
    JSONPATH,
    QUERY_LANGUAGES,
    Report,
    describe,
    is_integer,
    is_jsonata_text,
    is_number,
    join,
    quote,
)
from heaviside.asl.validation.variables import check_assign

if TYPE_CHECKING:
    from heaviside.asl.validation.machine import MachineChecker, Scope

STATES_ALL = "States.ALL"

# Upper bounds that Step Functions enforces on timing fields (seconds, counts).
MAX_SECONDS = 99_999_999
MAX_ATTEMPTS = 99_999_999
MAX_DELAY_SECONDS = 31_622_400
MAX_LABEL_LENGTH = 40
MAX_INPUT_BYTES_PER_BATCH = 262_144

# The intrinsic functions a Fail state's ErrorPath and CausePath may call,
# because their result must be a string (Step Functions developer guide, Fail state).
FAIL_PATH_FUNCTIONS = frozenset({
    "States.Format", "States.JsonToString", "States.ArrayGetItem", "States.Base64Encode",
    "States.Base64Decode", "States.Hash", "States.UUID",
})  # fmt: skip


def state_language(state: dict, scope: "Scope") -> str:
    """Return the query language of a state: its own QueryLanguage, else the machine's.

    As in AWS's validator, only the exact string "JSONPath" selects JSONPath;
    any other value that is present selects JSONata.
    """
    if "QueryLanguage" not in state:
        return scope.top_language
    return JSONPATH if state["QueryLanguage"] == JSONPATH else JSONATA


def check_state(checker: "MachineChecker", path: str, state: Any, scope: "Scope") -> None:
    report = checker.report
    if not isinstance(state, dict):
        report.add(path, f"A state must be an object with a \"Type\", not {describe(state)}.")
        return

    state_type = state.get("Type")
    if "Type" not in state:
        report.add(path, f"This state has no Type; add \"Type\" with one of {', '.join(field_tables.STATE_TYPES)}.")
        return
    if state_type not in field_tables.STATE_TYPES:
        report.add(join(path, "Type"), f"{_capitalize_first(describe(state_type))} is not a state type; use one of {', '.join(field_tables.STATE_TYPES)} (case-sensitive).")
        return

    if "QueryLanguage" in state and state["QueryLanguage"] not in QUERY_LANGUAGES:
        report.add(join(path, "QueryLanguage"), f"QueryLanguage must be \"JSONPath\" or \"JSONata\", not {describe(state['QueryLanguage'])}.")
    if state.get("QueryLanguage") == JSONPATH and scope.top_language == JSONATA:
        report.add(path, "A state cannot set \"QueryLanguage\": \"JSONPath\" when the state machine uses JSONata; write the state in JSONata, or set JSONPath at the top level and JSONata on the other states.")
    language = state_language(state, scope)

    _check_field_names(report, path, state, state_type, language, scope.top_language)
    _check_string_field(report, path, state, "Comment")
    if state_type not in ("Choice", "Succeed", "Fail"):
        _check_transition(report, path, state, state_type)

    # Only states that produce a result let Output and Assign read $states.result.
    available = WITH_RESULT if state_type in ("Task", "Parallel", "Map") else INPUT_AND_CONTEXT
    if language == JSONPATH:
        _check_jsonpath_input_output(report, path, state)
    else:
        if "Arguments" in state:
            _check_jsonata_object_or_expression(report, join(path, "Arguments"), state["Arguments"], "Arguments", require_object=True)
        if "Output" in state:
            check_jsonata_template(report, join(path, "Output"), state["Output"], available)

    if "Assign" in state:
        check_assign(report, join(path, "Assign"), state["Assign"], language, scope.outer_names, available)

    checks = _TYPE_CHECKS.get(state_type)
    if checks is not None:
        checks(checker, path, state, language, scope)


def _check_field_names(report: Report, path: str, state: dict, state_type: str, language: str, top_language: str) -> None:
    allowed = field_tables.fields_for(state_type, language)
    other = field_tables.fields_for(state_type, field_tables.other_language(language))
    for field in state:
        if field in allowed:
            continue
        field_path = join(path, field)
        if field in other and language == JSONATA:
            replacement = field_tables.JSONATA_REPLACEMENTS.get(field)
            instead = f"; use {replacement} instead" if replacement else "; remove it"
            # A JSONata machine cannot contain JSONPath states, so switching
            # the state's language is advice only in a JSONPath machine.
            switch = ", or set \"QueryLanguage\": \"JSONPath\" on the state" if top_language == JSONPATH else ""
            report.add(field_path, f"Field {quote(field)} is not supported in a JSONata state{instead}{switch}.")
        elif field in other:
            report.add(field_path, f"Field {quote(field)} is a JSONata field; set \"QueryLanguage\": \"JSONata\" on the state or the machine, or remove it.")
        else:
            report.add(field_path, f"Field {quote(str(field))} is not supported in a {state_type} state; remove it (field names are case-sensitive).")


def _check_transition(report: Report, path: str, state: dict, state_type: str) -> None:
    has_next = "Next" in state
    end = state.get("End")
    if "End" in state and not isinstance(end, bool):
        report.add(join(path, "End"), f"End must be true or false, not {describe(end)}.")
    if has_next and not isinstance(state["Next"], str):
        report.add(join(path, "Next"), f"Next must be a state name string, not {describe(state['Next'])}.")
    if has_next and end is True:
        report.add(path, f"A {state_type} state has either Next or \"End\": true, not both; remove one.")
    elif not has_next and end is not True:
        report.add(path, f"This {state_type} state has no transition; add \"Next\" with the name of the following state, or \"End\": true.")


def _check_jsonpath_input_output(report: Report, path: str, state: dict) -> None:
    for field in ("InputPath", "OutputPath"):
        if field in state:
            check_path(report, join(path, field), state[field], field, nullable=True)
    if "ResultPath" in state:
        _check_result_path(report, join(path, "ResultPath"), state["ResultPath"])
    for field in ("Parameters", "ResultSelector"):
        if field in state:
            _check_template_object(report, join(path, field), state[field], field)


def _check_result_path(report: Report, path: str, value: Any) -> None:
    if isinstance(value, str) and len(value) > 1 and value.startswith("$") and value[1] not in ".[":
        report.add(path, f"ResultPath {quote(value)} refers to a variable or the context object, but ResultPath can only write into the state output ('$' or '$.field'); use Assign to set a variable.")
        return
    check_reference_path(report, path, value, "ResultPath", nullable=True)


def _check_template_object(report: Report, path: str, value: Any, field: str) -> None:
    if not isinstance(value, dict):
        report.add(path, f"{field} must be an object (a payload template), not {describe(value)}.")
        return
    check_payload_template(report, path, value, field)


def _check_jsonata_object_or_expression(report: Report, path: str, value: Any, field: str, *, require_object: bool) -> None:
    if require_object and not isinstance(value, dict) and not is_jsonata_text(value):
        report.add(path, f"{field} must be an object or a JSONata expression string '{{% ... %}}', not {describe(value)}.")
        return
    check_jsonata_template(report, path, value)


def _check_string_field(report: Report, path: str, state: dict, field: str) -> None:
    if field in state and not isinstance(state[field], str):
        report.add(join(path, field), f"{field} must be a string, not {describe(state[field])}.")


def check_integer(
    report: Report,
    path: str,
    value: Any,
    field: str,
    language: str,
    *,
    minimum: int,
    maximum: int | None = None,
    path_field: str | None = None,
) -> bool:
    """Check an integer field that a JSONata state may also give as an expression.

    Returns True when the value is a literal integer in range.
    """
    if language == JSONATA and is_jsonata_text(value):
        check_jsonata_text(report, path, value)
        return False
    if not is_integer(value):
        hint = ""
        if path_field and isinstance(value, str) and value.startswith("$"):
            hint = f"; to read it from the input, use {path_field} instead"
        elif language == JSONATA:
            hint = "; a JSONata expression '{% ... %}' is also accepted"
        report.add(path, f"{field} must be an integer, not {describe(value)}{hint}.")
        return False
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        report.add(path, f"{field} must be {bounds}, not {value}.")
        return False
    return True


def _check_exclusive(report: Report, path: str, state: dict, first: str, second: str) -> None:
    if first in state and second in state:
        report.add(path, f"A state can have {first} or {second}, not both; remove one.")


# --- Task -------------------------------------------------------------------


def _check_task(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    if "Resource" not in state:
        report.add(path, "This Task state has no Resource; add the ARN of the function or service integration to call.")
    elif not isinstance(state["Resource"], str) or not state["Resource"]:
        report.add(join(path, "Resource"), f"Resource must be a non-empty ARN string, not {describe(state['Resource'])}.")
    elif is_jsonata_text(state["Resource"]):
        report.add(join(path, "Resource"), "Resource must be a constant ARN; JSONata expressions are not evaluated in Resource.")

    timeout = _check_timing(report, path, state, "TimeoutSeconds", language)
    heartbeat = _check_timing(report, path, state, "HeartbeatSeconds", language)
    if timeout is not None and heartbeat is not None and heartbeat >= timeout:
        report.add(join(path, "HeartbeatSeconds"), f"HeartbeatSeconds ({heartbeat}) must be smaller than TimeoutSeconds ({timeout}).")

    if "Credentials" in state:
        credentials_path = join(path, "Credentials")
        if not isinstance(state["Credentials"], dict):
            report.add(credentials_path, f"Credentials must be an object such as {{\"RoleArn\": \"arn:aws:iam::...\"}}, not {describe(state['Credentials'])}.")
        elif language == JSONATA:
            check_jsonata_template(report, credentials_path, state["Credentials"])
        else:
            check_payload_template(report, credentials_path, state["Credentials"], "Credentials")

    _check_retry_and_catch(checker, path, state, language, scope)


def _check_timing(report: Report, path: str, state: dict, field: str, language: str) -> int | None:
    path_field = field + "Path"
    _check_exclusive(report, path, state, field, path_field)
    if path_field in state:
        check_path(report, join(path, path_field), state[path_field], path_field)
    if field not in state:
        return None
    value = state[field]
    if check_integer(report, join(path, field), value, field, language, minimum=1, maximum=MAX_SECONDS, path_field=path_field):
        return value
    return None


# --- Retry and Catch ----------------------------------------------------------


def _check_retry_and_catch(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    if "Retry" in state:
        retry_path = join(path, "Retry")
        retriers = state["Retry"]
        if not isinstance(retriers, list):
            report.add(retry_path, f"Retry must be an array of retriers, not {describe(retriers)}.")
        else:
            for index, retrier in enumerate(retriers):
                _check_retrier(report, join(retry_path, index), retrier, language, is_last=index == len(retriers) - 1)

    if "Catch" in state:
        catch_path = join(path, "Catch")
        catchers = state["Catch"]
        if not isinstance(catchers, list):
            report.add(catch_path, f"Catch must be an array of catchers, not {describe(catchers)}.")
        else:
            for index, catcher in enumerate(catchers):
                _check_catcher(report, join(catch_path, index), catcher, language, scope, is_last=index == len(catchers) - 1)


def _check_retrier(report: Report, path: str, retrier: Any, language: str, *, is_last: bool) -> None:
    if not isinstance(retrier, dict):
        report.add(path, f"A retrier must be an object with ErrorEquals, not {describe(retrier)}.")
        return
    for field in retrier:
        if field not in field_tables.RETRIER_FIELDS:
            report.add(join(path, field), f"Field {quote(str(field))} is not supported in a retrier; remove it.")
    _check_error_equals(report, path, retrier, "retrier", is_last=is_last)

    if "IntervalSeconds" in retrier:
        check_integer(report, join(path, "IntervalSeconds"), retrier["IntervalSeconds"], "IntervalSeconds", JSONPATH, minimum=1, maximum=MAX_SECONDS)
    if "MaxAttempts" in retrier:
        check_integer(report, join(path, "MaxAttempts"), retrier["MaxAttempts"], "MaxAttempts", JSONPATH, minimum=0, maximum=MAX_ATTEMPTS)
    if "MaxDelaySeconds" in retrier:
        check_integer(report, join(path, "MaxDelaySeconds"), retrier["MaxDelaySeconds"], "MaxDelaySeconds", JSONPATH, minimum=1, maximum=MAX_DELAY_SECONDS)
    if "BackoffRate" in retrier:
        rate = retrier["BackoffRate"]
        if not is_number(rate):
            report.add(join(path, "BackoffRate"), f"BackoffRate must be a number of at least 1.0, not {describe(rate)}.")
        elif rate < 1.0:
            report.add(join(path, "BackoffRate"), f"BackoffRate must be at least 1.0, not {rate}.")
    if "JitterStrategy" in retrier and retrier["JitterStrategy"] not in ("FULL", "NONE"):
        report.add(join(path, "JitterStrategy"), f"JitterStrategy must be \"FULL\" or \"NONE\", not {describe(retrier['JitterStrategy'])}.")
    if "Comment" in retrier and not isinstance(retrier["Comment"], str):
        report.add(join(path, "Comment"), f"Comment must be a string, not {describe(retrier['Comment'])}.")


def _check_catcher(report: Report, path: str, catcher: Any, language: str, scope: "Scope", *, is_last: bool) -> None:
    if not isinstance(catcher, dict):
        report.add(path, f"A catcher must be an object with ErrorEquals and Next, not {describe(catcher)}.")
        return
    allowed = field_tables.CATCHER_FIELDS[language]
    for field in catcher:
        if field in allowed:
            continue
        if field in field_tables.CATCHER_FIELDS[field_tables.other_language(language)]:
            report.add(join(path, field), f"Field {quote(field)} is not supported in a catcher of a {language} state; remove it.")
        else:
            report.add(join(path, field), f"Field {quote(str(field))} is not supported in a catcher; remove it.")
    _check_error_equals(report, path, catcher, "catcher", is_last=is_last)

    if "Next" not in catcher:
        report.add(path, "This catcher has no Next; add \"Next\" with the name of the state that handles the error.")
    elif not isinstance(catcher["Next"], str):
        report.add(join(path, "Next"), f"Next must be a state name string, not {describe(catcher['Next'])}.")
    if "ResultPath" in catcher and language == JSONPATH:
        _check_result_path(report, join(path, "ResultPath"), catcher["ResultPath"])
    if "Output" in catcher and language == JSONATA:
        check_jsonata_template(report, join(path, "Output"), catcher["Output"], WITH_ERROR_OUTPUT)
    if "Assign" in catcher:
        check_assign(report, join(path, "Assign"), catcher["Assign"], language, scope.outer_names, WITH_ERROR_OUTPUT)
    if "Comment" in catcher and not isinstance(catcher["Comment"], str):
        report.add(join(path, "Comment"), f"Comment must be a string, not {describe(catcher['Comment'])}.")


def _check_error_equals(report: Report, path: str, handler: dict, kind: str, *, is_last: bool) -> None:
    if "ErrorEquals" not in handler:
        report.add(path, f"This {kind} has no ErrorEquals; add an array of error names such as [\"States.ALL\"].")
        return
    errors_path = join(path, "ErrorEquals")
    errors = handler["ErrorEquals"]
    if not isinstance(errors, list) or not errors:
        report.add(errors_path, f"ErrorEquals must be a non-empty array of error names, not {describe(errors)}.")
        return
    for index, error in enumerate(errors):
        if not isinstance(error, str):
            report.add(join(errors_path, index), f"An error name must be a string, not {describe(error)}.")
    if STATES_ALL in errors:
        if len(errors) > 1:
            report.add(errors_path, f"{STATES_ALL} must be the only error name in its ErrorEquals; move the other names to an earlier {kind}.")
        if not is_last:
            report.add(errors_path, f"A {kind} with {STATES_ALL} must be the last {kind} of the state; move it to the end.")


# --- Parallel and Map -----------------------------------------------------------


def _check_parallel(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    branches_path = join(path, "Branches")
    if "Branches" not in state:
        report.add(path, "This Parallel state has no Branches; add an array of branches, each with StartAt and States.")
    elif not isinstance(state["Branches"], list) or not state["Branches"]:
        report.add(branches_path, f"Branches must be a non-empty array of branches, not {describe(state['Branches'])}.")
    else:
        for index, branch in enumerate(state["Branches"]):
            checker.check_machine(join(branches_path, index), branch, field_tables.BRANCH_FIELDS, "branch", scope.inner(state))
    _check_retry_and_catch(checker, path, state, language, scope)


def _check_map(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    _check_item_processor(checker, path, state, scope)

    if "ItemsPath" in state:
        check_path(report, join(path, "ItemsPath"), state["ItemsPath"], "ItemsPath")
    if "Items" in state:
        items = state["Items"]
        if is_jsonata_text(items):
            check_jsonata_text(report, join(path, "Items"), items)
        elif isinstance(items, (list, dict)):
            check_jsonata_template(report, join(path, "Items"), items)
        else:
            report.add(join(path, "Items"), f"Items must be an array, an object or a JSONata expression string '{{% ... %}}', not {describe(items)}.")

    _check_exclusive(report, path, state, "ItemSelector", "Parameters")
    if "ItemSelector" in state:
        if language == JSONATA:
            _check_jsonata_object_or_expression(report, join(path, "ItemSelector"), state["ItemSelector"], "ItemSelector", require_object=True)
        else:
            _check_template_object(report, join(path, "ItemSelector"), state["ItemSelector"], "ItemSelector")

    _check_map_number(report, path, state, "MaxConcurrency", language, minimum=0)
    _check_map_number(report, path, state, "ToleratedFailureCount", language, minimum=0)
    _check_tolerated_percentage(report, path, state, language)

    if "Label" in state:
        label = state["Label"]
        if not isinstance(label, str):
            report.add(join(path, "Label"), f"Label must be a string, not {describe(label)}.")
        elif len(label) > MAX_LABEL_LENGTH:
            report.add(join(path, "Label"), f"Label has {len(label)} characters; the maximum is {MAX_LABEL_LENGTH}.")

    _check_item_reader(report, path, state, language)
    _check_item_batcher(report, path, state, language)
    _check_result_writer(report, path, state, language)
    _check_retry_and_catch(checker, path, state, language, scope)


def _check_item_processor(checker: "MachineChecker", path: str, state: dict, scope: "Scope") -> bool:
    """Check ItemProcessor (or the older Iterator) and return whether the Map is distributed."""
    report = checker.report
    has_processor = "ItemProcessor" in state
    has_iterator = "Iterator" in state
    if has_processor and has_iterator:
        report.add(path, "A Map state has ItemProcessor or the older Iterator, not both; keep ItemProcessor.")
    if not has_processor and not has_iterator:
        report.add(path, "This Map state has no ItemProcessor; add one with StartAt and States for each item.")
        return False

    field = "ItemProcessor" if has_processor else "Iterator"
    processor = state[field]
    processor_path = join(path, field)
    distributed = False
    if isinstance(processor, dict) and "ProcessorConfig" in processor:
        distributed = _check_processor_config(report, join(processor_path, "ProcessorConfig"), processor["ProcessorConfig"])

    checker.check_machine(processor_path, processor, field_tables.ITEM_PROCESSOR_FIELDS, field, scope.inner(state, distributed=distributed))
    return distributed


def _check_processor_config(report: Report, path: str, config: Any) -> bool:
    if not isinstance(config, dict):
        report.add(path, f"ProcessorConfig must be an object such as {{\"Mode\": \"INLINE\"}}, not {describe(config)}.")
        return False
    for field in config:
        if field not in field_tables.PROCESSOR_CONFIG_FIELDS:
            report.add(join(path, field), f"Field {quote(str(field))} is not supported in ProcessorConfig; use Mode and ExecutionType.")
    mode = config.get("Mode", "INLINE")
    if mode not in ("INLINE", "DISTRIBUTED"):
        report.add(join(path, "Mode"), f"Mode must be \"INLINE\" or \"DISTRIBUTED\", not {describe(mode)}.")
    if "ExecutionType" in config:
        if config["ExecutionType"] not in ("STANDARD", "EXPRESS"):
            report.add(join(path, "ExecutionType"), f"ExecutionType must be \"STANDARD\" or \"EXPRESS\", not {describe(config['ExecutionType'])}.")
        elif mode == "INLINE":
            report.add(join(path, "ExecutionType"), "ExecutionType applies only to a DISTRIBUTED Map; remove it or set \"Mode\": \"DISTRIBUTED\".")
    return mode == "DISTRIBUTED"


def _check_map_number(report: Report, path: str, state: dict, field: str, language: str, *, minimum: int) -> None:
    path_field = field + "Path"
    _check_exclusive(report, path, state, field, path_field)
    if path_field in state:
        _check_map_number_path(report, join(path, path_field), state[path_field], path_field)
    if field in state:
        check_integer(report, join(path, field), state[field], field, language, minimum=minimum, path_field=path_field)


def _check_map_number_path(report: Report, path: str, value: Any, field: str) -> None:
    # AWS rejects the context object in the ...Path fields of Map numbers with
    # "Value is not a Reference Path"; of the Map's paths only ItemsPath may read it.
    if isinstance(value, str) and value.startswith("$$"):
        report.add(path, f"{field} {quote(value)} reads the context object, which only ItemsPath may do in a Map state; use a path into the state input ('$.field') or a variable.")
        return
    check_path(report, path, value, field)


def _check_tolerated_percentage(report: Report, path: str, state: dict, language: str) -> None:
    field = "ToleratedFailurePercentage"
    path_field = field + "Path"
    _check_exclusive(report, path, state, field, path_field)
    if path_field in state:
        _check_map_number_path(report, join(path, path_field), state[path_field], path_field)
    if field not in state:
        return
    value = state[field]
    field_path = join(path, field)
    if language == JSONATA and is_jsonata_text(value):
        check_jsonata_text(report, field_path, value)
    elif not is_number(value):
        report.add(field_path, f"{field} must be a number from 0 to 100, not {describe(value)}.")
    elif not 0 <= value <= 100:
        report.add(field_path, f"{field} must be between 0 and 100, not {value}.")


def _check_object_fields(report: Report, path: str, value: Any, field: str, allowed: frozenset[str]) -> bool:
    if not isinstance(value, dict):
        report.add(path, f"{field} must be an object, not {describe(value)}.")
        return False
    for key in value:
        if key not in allowed:
            report.add(join(path, key), f"Field {quote(str(key))} is not supported in {field}; use {', '.join(sorted(allowed))}.")
    return True


def _check_resource_arguments(report: Report, path: str, value: dict, field: str, language: str) -> None:
    if "Resource" not in value:
        report.add(path, f"{field} has no Resource; add the S3 integration ARN it uses.")
    elif not isinstance(value["Resource"], str):
        report.add(join(path, "Resource"), f"Resource must be an ARN string, not {describe(value['Resource'])}.")
    if language == JSONATA and "Arguments" in value:
        _check_jsonata_object_or_expression(report, join(path, "Arguments"), value["Arguments"], "Arguments", require_object=True)
    if language == JSONPATH and "Parameters" in value:
        _check_template_object(report, join(path, "Parameters"), value["Parameters"], "Parameters")


def _check_item_reader(report: Report, path: str, state: dict, language: str) -> None:
    if "ItemReader" not in state:
        return
    reader_path = join(path, "ItemReader")
    reader = state["ItemReader"]
    if not _check_object_fields(report, reader_path, reader, "ItemReader", field_tables.ITEM_READER_FIELDS[language]):
        return
    _check_resource_arguments(report, reader_path, reader, "ItemReader", language)
    if "ReaderConfig" in reader:
        config_path = join(reader_path, "ReaderConfig")
        config = reader["ReaderConfig"]
        if _check_object_fields(report, config_path, config, "ReaderConfig", field_tables.READER_CONFIG_FIELDS):
            if "MaxItems" in config:
                check_integer(report, join(config_path, "MaxItems"), config["MaxItems"], "MaxItems", language, minimum=0, maximum=100_000_000, path_field="MaxItemsPath")
            if "MaxItemsPath" in config:
                _check_map_number_path(report, join(config_path, "MaxItemsPath"), config["MaxItemsPath"], "MaxItemsPath")


def _check_item_batcher(report: Report, path: str, state: dict, language: str) -> None:
    if "ItemBatcher" not in state:
        return
    batcher_path = join(path, "ItemBatcher")
    batcher = state["ItemBatcher"]
    if not _check_object_fields(report, batcher_path, batcher, "ItemBatcher", field_tables.ITEM_BATCHER_FIELDS):
        return
    limits = {"MaxItemsPerBatch": None, "MaxInputBytesPerBatch": MAX_INPUT_BYTES_PER_BATCH}
    for field, maximum in limits.items():
        path_field = field + "Path"
        _check_exclusive(report, batcher_path, batcher, field, path_field)
        if field in batcher:
            check_integer(report, join(batcher_path, field), batcher[field], field, language, minimum=1, maximum=maximum, path_field=path_field)
        if path_field in batcher:
            _check_map_number_path(report, join(batcher_path, path_field), batcher[path_field], path_field)
    if "BatchInput" in batcher:
        if language == JSONATA:
            _check_jsonata_object_or_expression(report, join(batcher_path, "BatchInput"), batcher["BatchInput"], "BatchInput", require_object=True)
        else:
            _check_template_object(report, join(batcher_path, "BatchInput"), batcher["BatchInput"], "BatchInput")


def _check_result_writer(report: Report, path: str, state: dict, language: str) -> None:
    if "ResultWriter" not in state:
        return
    writer_path = join(path, "ResultWriter")
    writer = state["ResultWriter"]
    if not _check_object_fields(report, writer_path, writer, "ResultWriter", field_tables.RESULT_WRITER_FIELDS[language]):
        return
    if "Resource" in writer or "Parameters" in writer or "Arguments" in writer:
        _check_resource_arguments(report, writer_path, writer, "ResultWriter", language)
    if "WriterConfig" in writer:
        _check_object_fields(report, join(writer_path, "WriterConfig"), writer["WriterConfig"], "WriterConfig", field_tables.WRITER_CONFIG_FIELDS)


# --- Wait, Choice, Fail ----------------------------------------------------------
# A Pass state needs no check of its own: its Result is free-form JSON, whose
# keys are data rather than fields, and whose "x.$" keys are copied literally.


def _check_wait(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    present = [field for field in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if field in state]
    if not present:
        options = "Seconds or Timestamp" if language == JSONATA else "Seconds, SecondsPath, Timestamp or TimestampPath"
        report.add(path, f"This Wait state has no duration; add exactly one of {options}.")
    elif len(present) > 1:
        report.add(path, f"A Wait state has exactly one of Seconds, SecondsPath, Timestamp and TimestampPath, but this one has {', '.join(present)}; keep one.")

    if "Seconds" in state:
        check_integer(report, join(path, "Seconds"), state["Seconds"], "Seconds", language, minimum=0, maximum=MAX_SECONDS, path_field="SecondsPath")
    if "Timestamp" in state:
        timestamp = state["Timestamp"]
        timestamp_path = join(path, "Timestamp")
        if language == JSONATA and is_jsonata_text(timestamp):
            check_jsonata_text(report, timestamp_path, timestamp)
        elif not isinstance(timestamp, str):
            report.add(timestamp_path, f"Timestamp must be a timestamp string such as '2026-03-14T01:59:00Z', not {describe(timestamp)}.")
        elif timestamp.startswith("$") and language == JSONPATH:
            report.add(timestamp_path, f"Timestamp {quote(timestamp)} looks like a path; use TimestampPath to read the timestamp from the input.")
        else:
            check_timestamp(report, timestamp_path, timestamp, "Timestamp")
    for field in ("SecondsPath", "TimestampPath"):
        if field in state:
            check_path(report, join(path, field), state[field], field)


def _check_choice(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    if "Choices" not in state:
        report.add(path, "This Choice state has no Choices; add an array of Choice rules, each with a Next.")
    else:
        check_choices(report, join(path, "Choices"), state["Choices"], language, scope.outer_names)
    if "Default" in state and not isinstance(state["Default"], str):
        report.add(join(path, "Default"), f"Default must be a state name string, not {describe(state['Default'])}.")


def _check_fail(checker: "MachineChecker", path: str, state: dict, language: str, scope: "Scope") -> None:
    report = checker.report
    for field in ("Error", "Cause"):
        path_field = field + "Path"
        _check_exclusive(report, path, state, field, path_field)
        if field in state:
            value = state[field]
            if language == JSONATA and is_jsonata_text(value):
                check_jsonata_text(report, join(path, field), value)
            elif not isinstance(value, str):
                report.add(join(path, field), f"{field} must be a string, not {describe(value)}.")
        if path_field in state:
            check_path_or_intrinsic(report, join(path, path_field), state[path_field], path_field, allowed_functions=FAIL_PATH_FUNCTIONS)


_TYPE_CHECKS = {
    "Task": _check_task,
    "Parallel": _check_parallel,
    "Map": _check_map,
    "Wait": _check_wait,
    "Choice": _check_choice,
    "Fail": _check_fail,
}


def _capitalize_first(text: str) -> str:
    # str.capitalize() would also lower-case the user's value ('Tsk' shown as 'tsk').
    return text[:1].upper() + text[1:]
