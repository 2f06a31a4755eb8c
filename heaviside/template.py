"""Load and write CloudFormation and SAM templates.

Templates are read with cfn-flip's YAML loader, which turns the short forms of
intrinsic functions (``!GetAtt Fn.Arn``, ``!Ref X``, ``!Sub ...``) into their
long JSON forms (``{"Fn::GetAtt": ["Fn", "Arn"]}``), so the rest of heaviside
receives a template exactly as CloudFormation and the SAM translator do: plain
dicts, lists and scalars. cfn-flip is a CLI dependency; nothing in a Lambda
imports this module.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from heaviside.asl.errors import HeavisideError

__all__ = ["TemplateError", "dump_template", "is_intrinsic", "load_template", "parse_template"]

# The keys that make a one-key mapping an intrinsic function or a condition
# function, as CloudFormation and the SAM translator read them.
_INTRINSIC_KEYS = frozenset(
    {
        "Ref",
        "Condition",
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::FindInMap",
        "Fn::ForEach",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Length",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
        "Fn::ToJsonString",
        "Fn::Transform",
        "Fn::And",
        "Fn::Equals",
        "Fn::If",
        "Fn::Not",
        "Fn::Or",
    }
)


class TemplateError(HeavisideError):
    """A template that cannot be read: missing file, invalid YAML or JSON, or not a mapping."""


def load_template(path: str | Path) -> dict[str, Any]:
    """Read a CloudFormation or SAM template (YAML or JSON) from a file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"template file not found: {path}") from None
    except OSError as error:
        raise TemplateError(f"cannot read the template {path}: {error.strerror}") from None
    return parse_template(text, source=str(path))


def parse_template(text: str, *, source: str = "<template>") -> dict[str, Any]:
    """Parse template text (YAML with or without short-form tags, or JSON) into plain values."""
    import yaml
    from cfn_tools import load_yaml

    # JSON is a subset of YAML 1.2 but not always of PyYAML's YAML 1.1 (tabs,
    # long lines), so JSON is tried first, as cfn-flip itself does.
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = load_yaml(text)
        except yaml.YAMLError as error:
            raise TemplateError(f"invalid YAML in {source}: {error}") from None

    if not isinstance(data, dict):
        raise TemplateError(f"{source} is not a template: its top level must be a mapping with a Resources section")
    return _plain(data)


def dump_template(template: dict[str, Any], *, output_format: str = "yaml") -> str:
    """Render a template as YAML with short-form tags (cfn-flip's dumper) or as JSON."""
    if output_format == "json":
        return json.dumps(template, indent=2) + "\n"
    if output_format != "yaml":
        raise ValueError(f"unknown template format {output_format!r}; use 'yaml' or 'json'")

    from cfn_flip import dump_yaml
    from cfn_tools.odict import ODict

    # cfn-flip writes short-form tags (!Ref, !GetAtt) only for its own ordered
    # dict type; plain dicts would come out in long form with sorted keys.
    def ordered(value: Any) -> Any:
        if isinstance(value, dict):
            return ODict((key, ordered(item)) for key, item in value.items())
        if isinstance(value, list):
            return [ordered(item) for item in value]
        return value

    return dump_yaml(ordered(template))


def is_intrinsic(value: Any) -> bool:
    """Tell whether `value` is an intrinsic function call such as ``{"Ref": "X"}``."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _INTRINSIC_KEYS


def _plain(value: Any) -> Any:
    """Turn cfn-flip's ordered dicts into dicts, and YAML dates into the strings CloudFormation reads."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value
