"""JSONata in Step Functions: expressions, templates, typed fields and the
functions Step Functions adds.

Public entry points:

- `is_jsonata(value)`: is this a ``{% ... %}`` field string;
- `compile_jsonata(text)` -> `JsonataExpression` with
  ``evaluate(states, variables, field=...)``;
- `compile_jsonata_template(obj, field_name)` -> `JsonataTemplate` for
  Arguments, Output, Assign and ItemSelector;
- `evaluate_field(expression, field, states, variables)` for the fields whose
  result must have one type (TimeoutSeconds, Items, Timestamp ...), and
  `map_input_items(value)` for a Map state without Items.

Compile errors are `JsonataSyntaxError` (a `DefinitionSyntaxError` with AWS's
diagnostic `code`); evaluation errors are `StatesError`
``States.QueryEvaluationError``, mostly `JsonataEvaluationError`.
"""

from heaviside.asl.jsonata.expression import (
    INVALID_JSONATA_EXPRESSION,
    QUERY_EVALUATION_ERROR,
    STATES_FIELDS,
    JsonataEngineUnavailable,
    UNSUPPORTED_JSONATA_EXPRESSION,
    JsonataEvaluationError,
    JsonataExpression,
    JsonataSyntaxError,
    compile_jsonata,
    is_jsonata,
)
from heaviside.asl.jsonata.fields import TYPED_FIELDS, check_field_value, evaluate_field, map_input_items
from heaviside.asl.jsonata.functions import STEP_FUNCTIONS_FUNCTIONS
from heaviside.asl.jsonata.template import JsonataTemplate, compile_jsonata_template

__all__ = [
    "INVALID_JSONATA_EXPRESSION",
    "QUERY_EVALUATION_ERROR",
    "STATES_FIELDS",
    "STEP_FUNCTIONS_FUNCTIONS",
    "TYPED_FIELDS",
    "UNSUPPORTED_JSONATA_EXPRESSION",
    "JsonataEngineUnavailable",
    "JsonataEvaluationError",
    "JsonataExpression",
    "JsonataSyntaxError",
    "JsonataTemplate",
    "check_field_value",
    "compile_jsonata",
    "compile_jsonata_template",
    "evaluate_field",
    "is_jsonata",
    "map_input_items",
]
