"""Rules for the Choices of a Choice state, in both query languages."""

from __future__ import annotations

from typing import Any

from heaviside.asl.validation.expressions import check_jsonata_template, check_jsonata_text, check_path
from heaviside.asl.validation.report import JSONATA, Report, describe, is_jsonata_text, is_number, join, quote
from heaviside.asl.validation.variables import check_assign

STRING_OPERATORS = (
    "StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals",
    "StringGreaterThanEquals", "StringMatches",
)  # fmt: skip
NUMERIC_OPERATORS = (
    "NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals",
    "NumericGreaterThanEquals",
)  # fmt: skip
TIMESTAMP_OPERATORS = (
    "TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals",
    "TimestampGreaterThanEquals",
)  # fmt: skip
TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")

# operator -> (expected JSON type, name of that type for messages)
VALUE_OPERATORS: dict[str, tuple[str, str]] = {
    **{name: ("string", "a string") for name in STRING_OPERATORS},
    **{name: ("number", "a number") for name in NUMERIC_OPERATORS},
    **{name: ("string", "a timestamp string") for name in TIMESTAMP_OPERATORS},
    "BooleanEquals": ("boolean", "a boolean"),
    **{name: ("boolean", "a boolean") for name in TYPE_TESTS},
}
# Every comparison except StringMatches and the type tests has a ...Path
# variant that compares with the value at another path.
PATH_OPERATORS = frozenset(
    name + "Path"
    for name in STRING_OPERATORS + NUMERIC_OPERATORS + TIMESTAMP_OPERATORS + ("BooleanEquals",)
    if name != "StringMatches"
)
COMPARISON_OPERATORS = frozenset(VALUE_OPERATORS) | PATH_OPERATORS
BOOLEAN_OPERATORS = ("And", "Or", "Not")

# Fields a top-level rule may have besides its condition.
_TOP_LEVEL_RULE_FIELDS = {"Next", "Assign", "Comment"}
_JSONATA_RULE_FIELDS = {"Condition", "Next", "Assign", "Output", "Comment"}


def check_choices(
    report: Report,
    path: str,
    choices: Any,
    language: str,
    outer_names: frozenset[str],
) -> None:
    """Check the Choices array of a Choice state; each top-level rule needs a Next."""
    if not isinstance(choices, list) or not choices:
        report.add(path, f"Choices must be a non-empty array of Choice rules, not {describe(choices)}.")
        return

    for index, rule in enumerate(choices):
        rule_path = join(path, index)
        if not isinstance(rule, dict):
            report.add(rule_path, f"A Choice rule must be an object, not {describe(rule)}.")
            continue
        if "Next" not in rule:
            report.add(rule_path, "This Choice rule has no Next; add \"Next\" with the name of the state to go to when it matches.")
        elif not isinstance(rule["Next"], str):
            report.add(join(rule_path, "Next"), f"Next must be a state name string, not {describe(rule['Next'])}.")
        if "Assign" in rule:
            check_assign(report, join(rule_path, "Assign"), rule["Assign"], language, outer_names)

        if language == JSONATA:
            _check_jsonata_rule(report, rule_path, rule)
        else:
            _check_jsonpath_rule(report, rule_path, rule, top_level=True)


def _check_jsonata_rule(report: Report, path: str, rule: dict) -> None:
    for field in rule:
        if field not in _JSONATA_RULE_FIELDS:
            hint = " (JSONata rules use Condition instead of Variable and comparison operators)" if field in COMPARISON_OPERATORS or field in BOOLEAN_OPERATORS or field == "Variable" else ""
            report.add(join(path, field), f"Field {quote(str(field))} is not supported in a JSONata Choice rule{hint}; remove it.")

    if "Condition" not in rule:
        report.add(path, "This JSONata Choice rule has no Condition; add \"Condition\": \"{% <boolean expression> %}\".")
    else:
        condition = rule["Condition"]
        condition_path = join(path, "Condition")
        if is_jsonata_text(condition):
            check_jsonata_text(report, condition_path, condition)
        elif not isinstance(condition, bool):
            report.add(condition_path, f"Condition must be a JSONata expression string '{{% ... %}}' or a boolean, not {describe(condition)}.")

    if "Output" in rule:
        check_jsonata_template(report, join(path, "Output"), rule["Output"])


def _check_jsonpath_rule(report: Report, path: str, rule: dict, *, top_level: bool) -> None:
    allowed_extra = _TOP_LEVEL_RULE_FIELDS if top_level else {"Comment"}
    operators = [field for field in rule if field in COMPARISON_OPERATORS]
    combinators = [field for field in rule if field in BOOLEAN_OPERATORS]

    for field in rule:
        if field in COMPARISON_OPERATORS or field in BOOLEAN_OPERATORS or field == "Variable" or field in allowed_extra:
            continue
        if field in _TOP_LEVEL_RULE_FIELDS:
            report.add(join(path, field), f"Field {quote(field)} is only allowed in a top-level Choice rule, not inside And, Or or Not; remove it.")
        elif field == "Condition":
            report.add(join(path, field), "Condition is a JSONata field; use Variable with a comparison operator, or set \"QueryLanguage\": \"JSONata\" on the state.")
        elif field == "StringMatchesPath":
            report.add(join(path, field), "StringMatches has no ...Path variant, so StringMatchesPath is not supported; compare with a literal pattern in StringMatches.")
        else:
            report.add(join(path, field), f"Field {quote(str(field))} is not supported in a Choice rule; remove it.")

    if combinators:
        if len(combinators) > 1 or operators or "Variable" in rule:
            report.add(path, "A Choice rule must be either one comparison (Variable with one operator) or exactly one of And, Or, Not; split this rule.")
        for combinator in combinators:
            _check_combinator(report, join(path, combinator), combinator, rule[combinator])
        return

    if not operators:
        report.add(path, "This Choice rule has no comparison operator; add one such as \"StringEquals\" with \"Variable\", or use And, Or or Not.")
    elif len(operators) > 1:
        report.add(path, f"A Choice rule must have exactly one comparison operator, but this one has {len(operators)} ({', '.join(operators)}); split it with And or Or.")
    if "Variable" not in rule:
        if operators:
            report.add(path, "This Choice rule has no Variable; add \"Variable\" with the path of the value to compare, such as \"$.status\".")
    else:
        check_path(report, join(path, "Variable"), rule["Variable"], "Variable")
    for operator in operators:
        _check_operator_value(report, join(path, operator), operator, rule[operator])


def _check_combinator(report: Report, path: str, combinator: str, value: Any) -> None:
    if combinator == "Not":
        if not isinstance(value, dict):
            report.add(path, f"Not must be one Choice rule object, not {describe(value)}.")
            return
        _check_jsonpath_rule(report, path, value, top_level=False)
        return

    if not isinstance(value, list) or not value:
        report.add(path, f"{combinator} must be a non-empty array of Choice rules, not {describe(value)}.")
        return
    for index, nested in enumerate(value):
        nested_path = join(path, index)
        if not isinstance(nested, dict):
            report.add(nested_path, f"A Choice rule must be an object, not {describe(nested)}.")
            continue
        _check_jsonpath_rule(report, nested_path, nested, top_level=False)


def _check_operator_value(report: Report, path: str, operator: str, value: Any) -> None:
    if operator in PATH_OPERATORS:
        check_path(report, path, value, operator)
        return

    expected, expected_name = VALUE_OPERATORS[operator]
    valid = (
        (expected == "string" and isinstance(value, str))
        or (expected == "number" and is_number(value))
        or (expected == "boolean" and isinstance(value, bool))
    )
    if not valid:
        report.add(path, f"{operator} must be {expected_name}, not {describe(value)}.")
