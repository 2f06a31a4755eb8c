"""The envelope: how the heaviside context travels with a task's input.

An asynchronous Lambda invoke drops the ClientContext, so every hop carries
the heaviside context inside the payload. The envelope is one flat JSON
object with short keys (the full format and its JSON schema are in
docs/envelope.md):

    {"$heaviside": 1, "x": <execution id>, "d": <definition digest>,
     "c": <cursor>, "s": <start time, epoch ms>, "dl": <deadline, epoch ms>,
     "in": <execution input>, "r": <role ARN>, "t": "EXPRESS",
     "h": <hop id>, "to": <task timeout, seconds>, "u": <delay due, epoch ms>,
     "input": <effective input>, "refs": {<key>: <blob key>}}

Parts that would push the envelope over its budget are written to the blob
store and listed in ``refs`` instead. On synchronous invokes the same
context, without ``input``, is also accepted from the ClientContext
(``custom.heaviside``: base64 of the JSON), and the event itself is then the
effective input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from heaviside.runtime.errors import EnvelopeError, EnvelopeTooLarge

MARKER = "$heaviside"
VERSION = 1

# Lambda caps the ClientContext at 3,583 bytes of base64 text.
CLIENT_CONTEXT_LIMIT = 3_583

# Keys of the parts that may spill to the blob store, largest first when the
# envelope is over budget. The cursor contains the variables and the raw state
# input, so it can be large too.
_SPILLABLE = ("input", "c", "in")
_EXECUTION_TYPES = ("STANDARD", "EXPRESS")


class BlobWriter(Protocol):
    def put_blob(self, execution_id: str, data: bytes) -> str: ...


class BlobReader(Protocol):
    def get_blob(self, key: str) -> bytes: ...


@dataclass
class HeavisideContext:
    """The state of one thread of an execution that travels with every hop.

    `cursor` is the engine's `Cursor.to_json()`, opaque to the codec.
    `start_time`, `deadline` and `due` are milliseconds since the Unix epoch;
    a deadline of None means the execution has no TimeoutSeconds. The last
    three fields describe one hop: `hop_id` distinguishes repeated deliveries
    of a hop from new hops, `timeout_seconds` is the Task's TimeoutSeconds,
    and `due` is when a delayed hop may resume.
    """

    execution_id: str
    definition_digest: str
    cursor: Any
    start_time: int
    execution_input: Any = None
    deadline: int | None = None
    role_arn: str | None = None
    execution_type: str = "STANDARD"
    hop_id: str | None = None
    timeout_seconds: float | None = None
    due: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def execution_name(self) -> str:
        return _arn_part(self.execution_id, 7) or self.execution_id

    @property
    def state_machine_name(self) -> str:
        return _arn_part(self.execution_id, 6) or ""


def _arn_part(arn: str, position: int) -> str | None:
    # arn:aws:states:<region>:<account>:execution:<machine>:<name>, and for
    # Express executions arn:...:express:<machine>:<name>:<uuid>.
    parts = arn.split(":")
    if len(parts) >= 8 and parts[0] == "arn":
        return parts[position]
    return None


def is_envelope(event: Any) -> bool:
    """Return whether `event` is an envelope (of any version)."""
    return isinstance(event, dict) and MARKER in event


def encode(
    context: HeavisideContext,
    effective_input: Any,
    *,
    blobs: BlobWriter | None = None,
    budget: int | None = None,
    execution_input_inline_limit: int | None = None,
) -> dict:
    """Build the envelope for one hop, spilling parts to `blobs` to stay within `budget` bytes.

    Raises `EnvelopeTooLarge` when the envelope is over budget and no blob
    store was given, or when it is still over budget with every part spilled.
    """
    envelope = _context_fields(context)
    envelope["input"] = effective_input
    if budget is None and execution_input_inline_limit is None:
        return envelope

    parts = {key: _dumps(envelope[key]) for key in _SPILLABLE if key in envelope}
    spill: list[str] = []
    limit = execution_input_inline_limit
    if limit is not None and "in" in parts and len(parts["in"]) > limit:
        spill.append("in")

    if budget is not None:
        size = len(_dumps(envelope))
        for key in sorted(parts, key=lambda k: len(parts[k]), reverse=True):
            if size <= budget:
                break
            if key not in spill:
                spill.append(key)
                size -= len(parts[key])

    if not spill:
        return envelope
    if blobs is None:
        raise EnvelopeTooLarge(
            f"the envelope of execution {context.execution_id} is over its budget of {budget} bytes "
            "and no blob store is configured; set HEAVISIDE_BUCKET so that large parts can spill to S3"
        )
    refs = {}
    for key in spill:
        refs[key] = blobs.put_blob(context.execution_id, parts[key])
        del envelope[key]
    envelope["refs"] = refs

    if budget is not None:
        size = len(_dumps(envelope))
        if size > budget:
            raise EnvelopeTooLarge(
                f"the envelope of execution {context.execution_id} is {size} bytes with every large part "
                f"spilled, over its budget of {budget} bytes; raise HEAVISIDE_ENVELOPE_BUDGET"
            )
    return envelope


def decode(envelope: dict, *, blobs: BlobReader | None = None) -> tuple[HeavisideContext, Any]:
    """Return the heaviside context and the effective input of `envelope`, loading spilled parts.

    Raises `EnvelopeError` naming the field when the envelope is malformed.
    """
    if not isinstance(envelope, dict) or MARKER not in envelope:
        raise EnvelopeError(f"the event is not a heaviside envelope: it has no {MARKER!r} key")
    values = dict(envelope)
    refs = values.pop("refs", None) or {}
    if not isinstance(refs, dict):
        raise EnvelopeError(f"envelope field 'refs' must be an object of blob keys, not {refs!r}")
    for key, blob_key in refs.items():
        if key not in _SPILLABLE:
            raise EnvelopeError(f"envelope field 'refs' names {key!r}, which is not a part that can spill")
        if blobs is None:
            raise EnvelopeError(
                f"the envelope's {key!r} part is in blob {blob_key!r} but no blob store is configured; "
                "set HEAVISIDE_BUCKET"
            )
        values[key] = json.loads(blobs.get_blob(blob_key))
    if "input" not in values:
        raise EnvelopeError("envelope field 'input' is missing")
    return _context_from_fields(values), values["input"]


def context_to_client_context(context: HeavisideContext) -> str:
    """Return the base64 ClientContext (``custom.heaviside``) carrying `context` on a synchronous invoke.

    Raises `EnvelopeTooLarge` when the result is over Lambda's 3,583-byte limit.
    """
    # base64 is imported here and below because only synchronous invokes need it.
    import base64

    inner = base64.b64encode(_dumps(_context_fields(context))).decode("ascii")
    outer = base64.b64encode(_dumps({"custom": {"heaviside": inner}})).decode("ascii")
    if len(outer) > CLIENT_CONTEXT_LIMIT:
        raise EnvelopeTooLarge(
            f"the heaviside context of execution {context.execution_id} takes {len(outer)} bytes of "
            f"ClientContext, over Lambda's limit of {CLIENT_CONTEXT_LIMIT}; send it in an envelope instead"
        )
    return outer


def context_from_client_context(lambda_context: Any) -> HeavisideContext | None:
    """Return the heaviside context in a Lambda context's ``client_context.custom``, or None."""
    client_context = getattr(lambda_context, "client_context", None)
    custom = getattr(client_context, "custom", None)
    if not isinstance(custom, dict) or "heaviside" not in custom:
        return None
    import base64
    import binascii

    text = custom["heaviside"]
    try:
        values = json.loads(base64.b64decode(text, validate=True)) if isinstance(text, str) else text
    except (binascii.Error, ValueError) as error:
        raise EnvelopeError(f"ClientContext custom.heaviside is not base64 JSON: {error}") from None
    if not isinstance(values, dict) or MARKER not in values:
        raise EnvelopeError(f"ClientContext custom.heaviside has no {MARKER!r} key")
    return _context_from_fields(values)


def encoded_size(envelope: dict) -> int:
    """Return the size in bytes of `envelope` as it travels (compact UTF-8 JSON)."""
    return len(_dumps(envelope))


def dumps(value: Any) -> bytes:
    """Serialise `value` the way envelopes and blobs are written: compact UTF-8 JSON."""
    return _dumps(value)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _context_fields(context: HeavisideContext) -> dict:
    fields: dict[str, Any] = {
        MARKER: VERSION,
        "x": context.execution_id,
        "d": context.definition_digest,
        "c": context.cursor,
        "s": context.start_time,
    }
    if context.deadline is not None:
        fields["dl"] = context.deadline
    if context.execution_input is not None:
        fields["in"] = context.execution_input
    if context.role_arn:
        fields["r"] = context.role_arn
    if context.execution_type != "STANDARD":
        fields["t"] = context.execution_type
    if context.hop_id is not None:
        fields["h"] = context.hop_id
    if context.timeout_seconds is not None:
        fields["to"] = context.timeout_seconds
    if context.due is not None:
        fields["u"] = context.due
    for key, value in context.extra.items():
        fields.setdefault(key, value)
    return fields


def _context_from_fields(values: dict) -> HeavisideContext:
    version = values.get(MARKER)
    if version != VERSION:
        raise EnvelopeError(
            f"envelope version {version!r} is not supported by this runtime (it reads version {VERSION}); "
            "deploy the same heaviside version to every function of the state machine"
        )
    for key, kind in (("x", str), ("d", str), ("s", int)):
        if not isinstance(values.get(key), kind) or isinstance(values.get(key), bool):
            raise EnvelopeError(f"envelope field {key!r} is missing or not a {kind.__name__}: {values.get(key)!r}")
    if "c" not in values:
        raise EnvelopeError("envelope field 'c' (the cursor) is missing")

    deadline = values.get("dl")
    if deadline is not None and (not isinstance(deadline, int) or isinstance(deadline, bool)):
        raise EnvelopeError(f"envelope field 'dl' must be milliseconds since the epoch, not {deadline!r}")
    execution_type = values.get("t", "STANDARD")
    if execution_type not in _EXECUTION_TYPES:
        raise EnvelopeError(f"envelope field 't' must be one of {_EXECUTION_TYPES}, not {execution_type!r}")

    for key in ("h",):
        if key in values and not isinstance(values[key], str):
            raise EnvelopeError(f"envelope field {key!r} must be a string, not {values[key]!r}")
    for key in ("to", "u"):
        if key in values and (not isinstance(values[key], (int, float)) or isinstance(values[key], bool)):
            raise EnvelopeError(f"envelope field {key!r} must be a number, not {values[key]!r}")

    known = {MARKER, "x", "d", "c", "s", "dl", "in", "r", "t", "h", "to", "u", "input", "refs"}
    return HeavisideContext(
        execution_id=values["x"],
        definition_digest=values["d"],
        cursor=values["c"],
        start_time=values["s"],
        execution_input=values.get("in"),
        deadline=deadline,
        role_arn=values.get("r"),
        execution_type=execution_type,
        hop_id=values.get("h"),
        timeout_seconds=values.get("to"),
        due=values.get("u"),
        extra={key: value for key, value in values.items() if key not in known},
    )
