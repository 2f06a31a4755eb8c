"""The resource model: what the macro found in a template, before anything is rendered.

`build.build_model` fills it from a template and reports every problem at
once; `render.render_template` turns it into CloudFormation and SAM resources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sam_macro.definition import PublishedDefinition

MACHINE_TYPE = "Heaviside::StateMachine"
SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
FUNCTION_TYPES = (SERVERLESS_FUNCTION, LAMBDA_FUNCTION)

# Logical ids of the resources the macro adds once per template.
BUCKET_ID = "HeavisideBucket"
BUCKET_POLICY_ID = "HeavisideBucketPolicy"
TABLE_ID = "HeavisideTable"
DELAY_QUEUE_ID = "HeavisideDelayQueue"
DELAY_DEAD_LETTER_QUEUE_ID = "HeavisideDelayDeadLetterQueue"
LAYER_ID = "HeavisideRuntimeLayer"


@dataclass(frozen=True)
class TaskTarget:
    """The Lambda function a Task state invokes.

    Exactly one of `logical_id` (a function of this template) and `arn` (a
    function outside it: an ARN string or an intrinsic that resolves to one)
    is set. `state_path` is the state's JSON path, for messages.
    """

    state_path: str
    logical_id: str | None = None
    arn: Any = None


@dataclass
class Machine:
    """One ``Heaviside::StateMachine`` resource.

    `environment` contains the heaviside settings shared with its task functions
    (environment variable name to value); `invoker_environment` those only the
    invoker gets. `function_properties` are passed to the invoker unchanged
    (Policies, Tags, Role, PermissionsBoundary ...), `role` is a ``Ref`` to the
    invoker's execution role, and `attributes` are the
    resource attributes (Condition, DependsOn, Metadata ...).
    """

    logical_id: str
    definition: PublishedDefinition
    targets: list[TaskTarget]
    role: dict[str, Any]
    name: Any = None
    events: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    invoker_environment: dict[str, Any] = field(default_factory=dict)
    function_properties: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    uses_jsonata: bool = False

    @property
    def function_ids(self) -> list[str]:
        """Logical ids of this template's functions that the machine's Task states invoke."""
        ids = []
        for target in self.targets:
            if target.logical_id and target.logical_id not in ids:
                ids.append(target.logical_id)
        return ids

    @property
    def foreign_arns(self) -> list[Any]:
        """ARNs (or intrinsics) of functions outside the template that the machine invokes."""
        arns: list[Any] = []
        for target in self.targets:
            if target.arn is not None and target.arn not in arns:
                arns.append(target.arn)
        return arns


@dataclass
class TaskFunction:
    """A function of this template that Task states invoke.

    `machines` lists the logical ids of the machines that use it, in template
    order; the first one's invoker is its OnFailure destination. `role` is how
    to attach the heaviside policy: a ``Ref`` to the execution role.
    """

    logical_id: str
    resource_type: str
    machines: list[str]
    role: dict[str, Any]
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def invoker(self) -> str:
        """Logical id of the invoker that receives this function's failed asynchronous invokes."""
        return self.machines[0]


@dataclass
class TemplateModel:
    """Everything the macro emits for one template."""

    machines: dict[str, Machine]
    functions: dict[str, TaskFunction]

    @property
    def delay_queue_consumer(self) -> str:
        """Logical id of the invoker that consumes the delay queue (any invoker can resume any execution)."""
        return next(iter(self.machines))
