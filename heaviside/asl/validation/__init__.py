"""Static validation of state machine definitions, equivalent to AWS's
ValidateStateMachineDefinition.

`validate(raw)` returns every problem at once as `Problem(path, code,
message)`; it never raises. The rules are split by what they check:

- `machine`: StartAt, States, unique names, transitions, reachability, terminal states;
- `states`: the fields of each state type, their types and ranges, Retry and Catch;
- `choice`: Choice rules;
- `variables`: Assign, variable names and scopes;
- `expressions`: paths, intrinsic functions, payload templates, JSONata;
- `values`: the definition is plain JSON;
- `fields`: the tables of allowed fields.
"""

from heaviside.asl.validation.machine import validate

__all__ = ["validate"]
