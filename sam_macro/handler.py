"""The Lambda handler of the ``Heaviside`` CloudFormation macro.

CloudFormation sends the template (without its Transform section) as
`fragment`, with `requestId` and the evaluated `templateParameterValues`. The
response carries the same `requestId`, `status` ``success`` and the expanded
fragment, or ``failure`` and an `errorMessage` that CloudFormation shows in
the stack events.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sam_macro import contract
from sam_macro.errors import MacroError
from sam_macro.render import MacroCode
from sam_macro.settings import LOG_LEVELS
from sam_macro.sources import S3DefinitionSource

logger = logging.getLogger(__name__)
_level = os.environ.get(contract.LOG_LEVEL, "INFO").upper()
logger.setLevel(_level if _level in LOG_LEVELS else "INFO")


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Expand the Heaviside::StateMachine resources of the fragment in `event`."""
    from sam_macro import expand_template

    request_id = event.get("requestId")
    fragment = event.get("fragment")
    if not isinstance(fragment, dict):
        return _failure(request_id, "the macro event has no template fragment; it must come from CloudFormation")

    try:
        code = code_from_environment()
        rendering = expand_template(
            fragment,
            code=code,
            source=S3DefinitionSource(),
            parameter_values=event.get("templateParameterValues") or {},
        )
    except MacroError as error:
        logger.warning("Request %s: the template cannot be expanded: %s", request_id, error)
        return _failure(request_id, str(error))
    except Exception:
        logger.exception("Request %s: the heaviside macro failed", request_id)
        return _failure(
            request_id,
            f"the heaviside macro failed unexpectedly on request {request_id}; "
            "its CloudWatch log has the traceback",
        )

    logger.info("Request %s: expanded %d resources", request_id, len(rendering.template.get("Resources", {})))
    return {"requestId": request_id, "status": "success", "fragment": rendering.template}


def code_from_environment() -> MacroCode:
    """Read the runtime layer ARN, runtime and architecture set by the macro's stack."""
    layer_arn = os.environ.get(contract.MACRO_RUNTIME_LAYER_ARN)
    if not layer_arn:
        raise MacroError.configuration(
            f"the macro function has no {contract.MACRO_RUNTIME_LAYER_ARN}; deploy it with the root template.yaml"
        )
    return MacroCode(
        layer_arn=layer_arn,
        runtime=os.environ.get(contract.MACRO_INVOKER_RUNTIME, contract.DEFAULT_RUNTIME),
        architecture=os.environ.get(contract.MACRO_INVOKER_ARCHITECTURE, "arm64"),
    )


def _failure(request_id: Any, message: str) -> dict[str, Any]:
    return {"requestId": request_id, "status": "failure", "errorMessage": message}
