"""`heaviside expand TEMPLATE [-o OUT]`: run the Heaviside macro's transform locally.

The output template has no Heaviside transform, so `sam build`, `sam validate
--lint`, `sam local` and the Serverless Application Repository (which ignore
or reject custom macros) work on it, and no macro stack is needed. The
invoker's entry point and a copy of the heaviside package (the runtime layer)
are written to a folder next to the output, `<OUT name>.heaviside/`, which
`sam build` packages like any local CodeUri.

With `--layer-arn` the output is instead exactly what the deployed macro would
emit: the runtime layer by ARN and the invoker's entry point inline.

Exit status: 0 on success, 1 when the template has problems (listed on
stderr), 2 when the template cannot be read.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from sam_macro import contract, runtimes

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2

HEAVISIDE_TRANSFORM = "Heaviside"
MACHINE_TYPE = "Heaviside::StateMachine"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
DISTRIBUTION = "heaviside-asl"
# Written into the support folder, so that a rerun may delete only folders it wrote.
SUPPORT_MARKER = ".written-by-heaviside-expand"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", metavar="TEMPLATE", help="SAM template with Heaviside::StateMachine resources")
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="file to write the expanded template to, or '-' for standard output "
        "(default: .heaviside/expand/template.yaml next to TEMPLATE)",
    )
    parser.add_argument(
        "--format", choices=("yaml", "json"), default=None, help="output format (default: from OUT's suffix, else yaml)"
    )
    parser.add_argument(
        "--runtime",
        default=contract.DEFAULT_RUNTIME,
        choices=contract.LAYER_RUNTIMES,
        help="Lambda runtime of the invokers and the runtime layer (default: %(default)s); "
        "sam build needs this Python version on the PATH. With python3.11 the layer has no "
        "JSONata engine, so JSONata state machines are rejected",
    )
    parser.add_argument(
        "--architecture",
        choices=("x86_64", "arm64"),
        default="x86_64",
        help="instruction set of the invokers and the runtime layer (default: %(default)s)",
    )
    parser.add_argument(
        "--layer-arn",
        metavar="ARN",
        help="emit what the deployed macro would: this runtime layer version ARN and inline invoker code",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter value, used to check definitions (repeatable; defaults fill the rest)",
    )


def main(args: argparse.Namespace) -> int:
    from heaviside.template import TemplateError, dump_template, load_template
    from sam_macro import LocalCode, MacroError, expand_template
    from sam_macro.sources import LocalDefinitionSource

    template_path = Path(args.template)
    try:
        template = load_template(template_path)
        parameter_values = _parameter_values(args.parameter)
    except (TemplateError, ValueError) as error:
        print(f"heaviside expand: {error}", file=sys.stderr)
        return EXIT_UNREADABLE

    try:
        transforms = _remaining_transforms(template.get("Transform"))
    except ValueError as error:
        print(f"heaviside expand: {template_path}: {error}", file=sys.stderr)
        return EXIT_INVALID

    output, output_dir, support_dir = _output_paths(args.output, template_path)
    code = _code(args, support_dir, output_dir)
    fragment = {key: value for key, value in template.items() if key != "Transform"}
    relocate_local_paths(fragment, template_path.parent, output_dir)
    try:
        rendering = expand_template(
            fragment,
            code=code,
            source=LocalDefinitionSource(template_path.parent),
            parameter_values=parameter_values,
        )
    except MacroError as error:
        for problem in error.problems:
            print(f"{template_path}: {problem}", file=sys.stderr)
        return EXIT_INVALID

    if rendering.files:
        _write_support_folder(support_dir, rendering.files, include_runtime=isinstance(code, LocalCode))

    output_format = args.format or ("json" if output is not None and output.suffix == ".json" else "yaml")
    text = dump_template(_with_transforms(rendering.template, transforms), output_format=output_format)
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {output}", file=sys.stderr)
    return EXIT_OK


def _output_paths(output_argument: str | None, template_path: Path) -> tuple[Path | None, Path, Path]:
    """Return the output file (None for standard output), the folder paths are relative to, and the support folder."""
    if output_argument == "-":
        return None, Path.cwd(), Path.cwd() / "template.heaviside"
    output = Path(output_argument or template_path.parent / ".heaviside" / "expand" / "template.yaml")
    return output, output.parent, output.parent / f"{output.stem}.heaviside"


def _code(args: argparse.Namespace, support_dir: Path, output_dir: Path) -> Any:
    from sam_macro import LocalCode, MacroCode

    if args.layer_arn:
        return MacroCode(layer_arn=args.layer_arn, runtime=args.runtime, architecture=args.architecture)
    return LocalCode(
        support_dir=_relative(support_dir, output_dir),
        runtime=args.runtime,
        architecture=args.architecture,
        requirements=tuple(runtime_requirements()),
    )


def _with_transforms(expanded: dict[str, Any], transforms: list[Any]) -> dict[str, Any]:
    """Put the remaining transforms back, after AWSTemplateFormatVersion, where templates usually have them."""
    if not transforms:
        return expanded
    result = {}
    if "AWSTemplateFormatVersion" in expanded:
        result["AWSTemplateFormatVersion"] = expanded["AWSTemplateFormatVersion"]
    result["Transform"] = transforms[0] if len(transforms) == 1 else transforms
    result.update((key, value) for key, value in expanded.items() if key != "AWSTemplateFormatVersion")
    return result


def runtime_requirements() -> list[str]:
    """Return the runtime layer's requirements.txt lines: heaviside's dependencies without extras.

    The JSONata engine's line has a marker that leaves it out of a layer built for python3.11.
    """
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        logger.warning("The %s distribution is not installed; the runtime layer gets no dependencies", DISTRIBUTION)
        return []
    return runtimes.layer_requirements(requirement for requirement in requirements if "extra ==" not in requirement)


def relocate_local_paths(template: dict[str, Any], source_dir: Path, output_dir: Path) -> None:
    """Rewrite relative local paths (CodeUri, ContentUri, DefinitionUri, AWS::Include) for `output_dir`, in place.

    Heaviside::StateMachine resources keep their paths: the transform reads
    their files relative to the template.
    """
    if source_dir.resolve() == output_dir.resolve():
        return

    def move(value: Any) -> Any:
        if not isinstance(value, str) or value.startswith("s3://") or os.path.isabs(value):
            return value
        return _relative(source_dir / value, output_dir)

    globals_function = (template.get("Globals") or {}).get("Function") or {}
    if "CodeUri" in globals_function:
        globals_function["CodeUri"] = move(globals_function["CodeUri"])

    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") == MACHINE_TYPE:
            continue
        properties = resource.get("Properties") or {}
        for name in ("CodeUri", "ContentUri", "DefinitionUri"):
            if name in properties:
                properties[name] = move(properties[name])
        _relocate_includes(properties, move)
    _relocate_includes(template.get("Outputs"), move)


def _relocate_includes(value: Any, move: Any) -> None:
    if isinstance(value, dict):
        transform = value.get("Fn::Transform")
        if isinstance(transform, dict) and transform.get("Name") == "AWS::Include":
            parameters = transform.get("Parameters") or {}
            if "Location" in parameters:
                parameters["Location"] = move(parameters["Location"])
        for item in value.values():
            _relocate_includes(item, move)
    elif isinstance(value, list):
        for item in value:
            _relocate_includes(item, move)


def _remaining_transforms(transform: Any) -> list[Any]:
    """Return the Transform list without Heaviside; raise ValueError when SAM does not follow it."""
    if transform is None:
        transforms = []
    elif isinstance(transform, list):
        transforms = transform
    else:
        transforms = [transform]
    names = [item.get("Name") if isinstance(item, dict) else item for item in transforms]
    if HEAVISIDE_TRANSFORM in names and SAM_TRANSFORM in names:
        if names.index(SAM_TRANSFORM) < names.index(HEAVISIDE_TRANSFORM):
            raise ValueError(
                f"Transform lists {SAM_TRANSFORM} before {HEAVISIDE_TRANSFORM}; list {HEAVISIDE_TRANSFORM} first, "
                "because it emits AWS::Serverless resources that the SAM transform then expands"
            )
    if SAM_TRANSFORM not in names:
        raise ValueError(
            f"Transform must list {SAM_TRANSFORM} after {HEAVISIDE_TRANSFORM}, because heaviside emits "
            f"AWS::Serverless resources; write Transform: [{HEAVISIDE_TRANSFORM}, {SAM_TRANSFORM}]"
        )
    return [item for item, name in zip(transforms, names) if name != HEAVISIDE_TRANSFORM]


def _parameter_values(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise ValueError(f"--parameter {pair!r} is invalid; write NAME=VALUE")
        values[name] = value
    return values


def _write_support_folder(support_dir: Path, files: dict[str, str], *, include_runtime: bool) -> None:
    from sam_macro.render import LAYER_DIR

    if support_dir.exists():
        if not (support_dir / SUPPORT_MARKER).exists():
            raise SystemExit(
                f"heaviside expand: {support_dir} exists and was not written by heaviside expand; "
                "move it away or choose another output file"
            )
        shutil.rmtree(support_dir)
    support_dir.mkdir(parents=True)
    (support_dir / SUPPORT_MARKER).write_text("Generated by heaviside expand; rewritten on every run.\n")

    for relative_path, text in files.items():
        path = support_dir / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    if include_runtime:
        import heaviside

        package_dir = Path(heaviside.__file__).parent
        shutil.copytree(
            package_dir,
            support_dir / LAYER_DIR / "heaviside",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
