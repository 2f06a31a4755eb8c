"""Load a state machine definition from a dict, JSON text, or a JSON or YAML file.

`load_definition` is the entry point that the CLI, the runtime and the SAM
macro share: it parses, validates with `heaviside.asl.validate`, and returns
the model. `read_definition` only parses, for callers that report parse
errors and validation problems differently (the `validate` command).
"""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path
from typing import Any

from heaviside.asl.errors import InvalidDefinition, Problem
from heaviside.asl.model import build_definition

logger = logging.getLogger(__name__)


JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")


def load_definition(source: Any):
    """Parse, validate and build a definition.

    `source` is a dict, JSON text (str or bytes), a `pathlib.Path`, or a path
    string (ending in `.json`, `.yaml` or `.yml`, or naming an existing file,
    which is read as JSON). Raises `InvalidDefinition`
    listing every problem; a file that cannot be read or parsed gives one
    problem with code INVALID_JSON_DESCRIPTION.
    """
    # The validator is imported here, not at the top, so that code that only
    # reads definitions (`read_definition`) does not import it.
    from heaviside.asl.validate import validate

    raw = read_definition(source)
    problems = validate(raw)
    if problems:
        raise InvalidDefinition(problems)
    return build_definition(raw)


def read_definition(source: Any) -> Any:
    """Parse `source` into a JSON value without validating it.

    Raises `InvalidDefinition` with one INVALID_JSON_DESCRIPTION problem when
    a file cannot be read or its text is not valid JSON or YAML.
    """
    if isinstance(source, dict):
        return source
    if isinstance(source, Path):
        return _read_file(source)
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _parse_error(f"The definition is not UTF-8 text ({error}); save it as UTF-8.") from None
    if isinstance(source, str):
        if _looks_like_path(source):
            return _read_file(Path(source))
        return parse_json(source)
    raise TypeError(
        "load_definition expects a dict, JSON text, or a path to a .json, .yaml or .yml file, "
        f"not {type(source).__name__}"
    )


class ObjectWithDuplicateKeys(dict):
    """A parsed JSON object in which some keys appeared more than once.

    The last value of each key wins, as in `json.loads`. `duplicate_keys`
    lists the repeated keys so that validation can report them, because a
    repeated state name would otherwise hide a state.
    """

    duplicate_keys: tuple[str, ...] = ()


def parse_json(text: str, *, origin: str = "The definition") -> Any:
    """Parse JSON text as Step Functions does: NaN and Infinity are not JSON.

    Objects with repeated keys come back as `ObjectWithDuplicateKeys`.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_build_object)
    except json.JSONDecodeError as error:
        raise _parse_error(
            f"{origin} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except ValueError as error:
        raise _parse_error(f"{origin} is not valid JSON: {error}.") from None
    except RecursionError:
        raise _parse_error(f"{origin} is nested too deeply to parse.") from None


def parse_yaml(text: str, *, origin: str = "The definition") -> Any:
    """Parse YAML text into plain JSON values.

    Unquoted timestamps stay strings (YAML would otherwise turn them into
    datetime objects, which are not JSON values). PyYAML is imported here only,
    because the Lambda runtime never reads YAML.
    """
    try:
        import yaml
    except ModuleNotFoundError:
        raise _parse_error(
            f"Reading {origin} as YAML needs PyYAML; install it with `pip install 'heaviside-asl[cli]'`."
        ) from None

    loader_class = _json_compatible_loader(yaml)
    try:
        return yaml.load(text, Loader=loader_class)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise _parse_error(f"{origin} is not valid YAML: {error.problem}{where}.") from None
    except yaml.YAMLError as error:
        raise _parse_error(f"{origin} is not valid YAML: {error}.") from None
    except TypeError as error:
        # A complex key such as a list or a mapping cannot be a JSON object key.
        raise _parse_error(f"{origin} has a YAML key that is not a string ({error}); use plain keys.") from None
    except RecursionError:
        raise _parse_error(f"{origin} is nested too deeply to parse.") from None


def _read_file(path: Path) -> Any:
    try:
        # utf-8-sig also reads files that start with a byte order mark, as
        # some Windows editors write them.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _parse_error(f"The file '{path}' was not found; check the path.") from None
    except IsADirectoryError:
        raise _parse_error(f"'{path}' is a directory; pass a .json, .yaml or .yml file.") from None
    except UnicodeDecodeError as error:
        raise _parse_error(f"The file '{path}' is not UTF-8 text ({error}); save it as UTF-8.") from None
    except OSError as error:
        raise _parse_error(f"The file '{path}' could not be read: {error.strerror or error}.") from None

    logger.debug("Read definition file %s (%d characters)", path, len(text))
    origin = f"The file '{path}'"
    if not text.strip():
        raise _parse_error(f"{origin} is empty; write the state machine definition into it.")
    if path.suffix.lower() in YAML_SUFFIXES:
        return parse_yaml(text, origin=origin)
    return parse_json(text, origin=origin)


def _looks_like_path(text: str) -> bool:
    # JSON text of a definition starts with "{". Anything else that names a
    # definition file by its suffix, or names an existing file, is a path.
    stripped = text.strip()
    if stripped.startswith(("{", "[")) or "\n" in stripped:
        return False
    if os.path.splitext(stripped)[1].lower() in JSON_SUFFIXES + YAML_SUFFIXES:
        return True
    try:
        return os.path.isfile(stripped)
    except (OSError, ValueError):
        # ValueError: a NUL character, which no file name contains.
        return False


def _build_object(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    repeated: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    duplicated = ObjectWithDuplicateKeys(result)
    duplicated.duplicate_keys = tuple(repeated)
    return duplicated


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_error(message: str) -> InvalidDefinition:
    from heaviside.asl.validation.report import INVALID_JSON_DESCRIPTION

    return InvalidDefinition([Problem("$", INVALID_JSON_DESCRIPTION, message)])


@functools.cache
def _json_compatible_loader(yaml) -> type:
    class JsonCompatibleLoader(yaml.SafeLoader):
        """A SafeLoader that keeps timestamps as the strings they were written as."""

    JsonCompatibleLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(loader, node):
        # Built from the key-value pairs, like JSON objects, so that repeated
        # keys are recorded instead of silently overwritten.
        loader.flatten_mapping(node)
        pairs = [
            (loader.construct_object(key_node, deep=True), loader.construct_object(value_node, deep=True))
            for key_node, value_node in node.value
        ]
        return _build_object(pairs)

    JsonCompatibleLoader.add_constructor("tag:yaml.org,2002:map", construct_object)
    return JsonCompatibleLoader
