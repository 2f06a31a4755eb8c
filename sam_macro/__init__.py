"""The CloudFormation macro that expands Heaviside::StateMachine resources.

`expand_template` is the whole transform: `build.build_model` reads the
template into a resource model (reporting every problem at once as
`MacroError`), and `render.render_template` turns the model into resources.
The Lambda handler of the macro is `sam_macro.handler.handler`; the CLI's
`heaviside expand` calls the same function with local code.
"""

from __future__ import annotations

from typing import Any

from sam_macro.build import DefinitionSource, build_model
from sam_macro.errors import MacroError, TemplateProblem
from sam_macro.render import LocalCode, MacroCode, Rendering, render_template

__all__ = [
    "DefinitionSource",
    "LocalCode",
    "MacroCode",
    "MacroError",
    "Rendering",
    "TemplateProblem",
    "expand_template",
]


def expand_template(
    template: dict[str, Any],
    *,
    code: MacroCode | LocalCode,
    source: DefinitionSource,
    parameter_values: dict[str, Any] | None = None,
) -> Rendering:
    """Expand every Heaviside::StateMachine of `template` (which is not modified)."""
    model = build_model(template, source=source, parameter_values=parameter_values, invoker_runtime=code.runtime)
    return render_template(template, model, code)
