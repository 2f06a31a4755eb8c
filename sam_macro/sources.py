"""Readers of the definitions that DefinitionUri and AWS::Include name.

The deployed macro reads ``s3://`` URIs (CloudFormation has already inlined
AWS::Include, and `sam package` does not upload a Heaviside::StateMachine's
local DefinitionUri). `heaviside expand` reads local files relative to the
template, and ``s3://`` URIs with the caller's credentials.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)


class S3DefinitionSource:
    """Reads DefinitionUri values that name S3 objects, as the deployed macro must."""

    def __init__(self, get_object: Callable[[str, str, str | None], bytes] | None = None):
        self._get_object = get_object or _get_s3_object

    def read_uri(self, uri: Any) -> Any:
        bucket, key, version = _s3_location(uri)
        if bucket is None:
            raise ValueError(
                f"{uri!r} is a local path, and sam package does not upload it for a Heaviside::StateMachine; "
                "use an s3:// URI, an inline Definition (Fn::Transform AWS::Include reads a file that sam "
                "package uploads), or run heaviside expand, which reads local files"
            )
        return parse_definition_text(self._read(bucket, key, version), f"s3://{bucket}/{key}")

    def read_include(self, location: Any) -> Any:
        bucket, key, version = _s3_location(location)
        if bucket is None:
            raise ValueError(f"the AWS::Include location {location!r} must be an s3:// URI")
        return parse_definition_text(self._read(bucket, key, version), f"s3://{bucket}/{key}")

    def _read(self, bucket: str, key: str, version: str | None) -> str:
        try:
            data = self._get_object(bucket, key, version)
        except Exception as error:  # boto3 raises ClientError and several connection errors
            logger.warning("Cannot read s3://%s/%s: %s", bucket, key, error)
            raise ValueError(f"cannot read s3://{bucket}/{key}: {error}") from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"s3://{bucket}/{key} is not UTF-8 text") from None


class LocalDefinitionSource(S3DefinitionSource):
    """Reads local files relative to `base_dir`, and s3:// URIs like the macro."""

    def __init__(self, base_dir: Path, get_object: Callable[[str, str, str | None], bytes] | None = None):
        super().__init__(get_object)
        self.base_dir = Path(base_dir)

    def read_uri(self, uri: Any) -> Any:
        if _s3_location(uri)[0] is not None:
            return super().read_uri(uri)
        return parse_definition_text(self._read_file(uri), str(uri))

    def read_include(self, location: Any) -> Any:
        if _s3_location(location)[0] is not None:
            return super().read_include(location)
        from heaviside.template import TemplateError, parse_template

        # An included file may use short-form intrinsics (!GetAtt ...), like a template.
        try:
            return parse_template(self._read_file(location), source=str(location))
        except TemplateError as error:
            raise ValueError(str(error)) from None

    def _read_file(self, path: Any) -> str:
        if not isinstance(path, str):
            raise ValueError(f"{path!r} is neither a file path nor an s3:// URI")
        full = self.base_dir / path
        try:
            return full.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError(f"file not found: {full}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read {full}: {error}") from None


def parse_definition_text(text: str, source: str) -> Any:
    """Parse a definition file's text, JSON or YAML."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{source} is neither valid JSON nor valid YAML: {error}") from None


def _s3_location(uri: Any) -> tuple[str | None, str | None, str | None]:
    """Split ``s3://bucket/key`` or ``{Bucket, Key, Version}``; (None, None, None) for anything else."""
    if isinstance(uri, str) and uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://") :].partition("/")
        if bucket and key:
            return bucket, key, None
    if isinstance(uri, dict) and isinstance(uri.get("Bucket"), str) and isinstance(uri.get("Key"), str):
        return uri["Bucket"], uri["Key"], uri.get("Version")
    return None, None, None


def _get_s3_object(bucket: str, key: str, version: str | None) -> bytes:
    import boto3

    arguments = {"Bucket": bucket, "Key": key}
    if version:
        arguments["VersionId"] = version
    return boto3.client("s3").get_object(**arguments)["Body"].read()
