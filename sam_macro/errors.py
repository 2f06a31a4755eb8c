"""Errors the macro reports to CloudFormation and to `heaviside expand`."""

from __future__ import annotations

from dataclasses import dataclass

from heaviside.asl.errors import HeavisideError


@dataclass(frozen=True)
class TemplateProblem:
    """One problem in a template: the resource, its property, and what to change."""

    resource: str
    property: str
    message: str

    def __str__(self) -> str:
        if self.property:
            return f"resource {self.resource}, property {self.property}: {self.message}"
        return f"resource {self.resource}: {self.message}"


class MacroError(HeavisideError):
    """A template the macro cannot expand; `problems` lists every problem found."""

    def __init__(self, problems: list[TemplateProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))

    @classmethod
    def configuration(cls, message: str) -> "MacroError":
        """Report a problem in how the macro itself is deployed, not in the template."""
        return cls([TemplateProblem("Heaviside macro", "", message)])
