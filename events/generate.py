"""Write sample envelopes for the task functions of the order-processing example.

Usage: python events/generate.py [--input FILE] [--out DIR]
       python events/generate.py --client-context ENVELOPE

The script expands examples/order-processing/template.yaml with the macro's
transform, publishes the definition with each function ARN resolved to
``arn:aws:lambda:<region>:<account>:function:<logical id>`` (the names `sam
local start-lambda` serves), and walks one execution with the engine, calling
the example's real handlers in-process. Each time a Task is dispatched it
records the envelope that function would receive, once per function, as
``<logical id>.json``. It also writes ``definitions/<sha256>.json``, the
definition the envelopes name by digest, which must be in the bucket
(HEAVISIDE_BUCKET) before a hop can run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "order-processing"
REGION = "us-east-1"
ACCOUNT = "123456789012"
EXECUTION_NAME = "sample-order-0001"
# A fixed start time keeps the generated files identical from run to run.
START_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--input",
        type=Path,
        action="append",
        help="execution input file (repeatable; default: the example's order.json and order-card-declined.json, "
        "so that the compensation path runs too)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder to write to")
    parser.add_argument(
        "--client-context",
        type=Path,
        metavar="ENVELOPE",
        help="print the base64 ClientContext that carries ENVELOPE's heaviside context, then exit",
    )
    args = parser.parse_args(argv)

    if args.client_context:
        print(client_context(json.loads(args.client_context.read_text())))
        return 0

    inputs = args.input or [EXAMPLE / "events" / "order.json", EXAMPLE / "events" / "order-card-declined.json"]
    written = write_sample_envelopes([json.loads(path.read_text()) for path in inputs], args.out)
    for path in written:
        print(f"Wrote {path}")
    return 0


def client_context(envelope: dict) -> str:
    """Return the ClientContext for `aws lambda invoke --client-context` that carries the envelope's context."""
    from heaviside.runtime import envelope as envelopes

    context, _effective_input = envelopes.decode(envelope)
    return envelopes.context_to_client_context(context)


def write_sample_envelopes(execution_inputs: list[Any], out_dir: Path) -> list[Path]:
    """Walk one execution of the example per input and write the first envelope each task function receives."""
    from heaviside.runtime.stores.base import definition_digest

    definition_text, handlers = published_example()
    digest = definition_digest(definition_text)
    envelopes: dict[str, dict] = {}
    for execution_input in execution_inputs:
        for function_id, envelope in walk_execution(definition_text, digest, execution_input, handlers).items():
            envelopes.setdefault(function_id, envelope)

    written = []
    (out_dir / "definitions").mkdir(parents=True, exist_ok=True)
    definition_path = out_dir / "definitions" / f"{digest}.json"
    definition_path.write_text(definition_text)
    written.append(definition_path)
    for function_id, envelope in envelopes.items():
        path = out_dir / f"{function_id}.json"
        path.write_text(json.dumps(envelope, indent=2) + "\n")
        written.append(path)
    return written


def published_example() -> tuple[str, dict[str, Any]]:
    """Return the example's definition as an invoker would publish it, and its handlers by function ARN."""
    from heaviside.template import load_template
    from sam_macro import MacroCode, expand_template
    from sam_macro.definition import substitute
    from sam_macro.sources import LocalDefinitionSource

    template = load_template(EXAMPLE / "template.yaml")
    template.pop("Transform", None)
    code = MacroCode(layer_arn="unused", runtime="python3.12", architecture="x86_64")
    expanded = expand_template(template, code=code, source=LocalDefinitionSource(EXAMPLE)).template

    machine_id = next(name for name, resource in template["Resources"].items() if resource["Type"] == "Heaviside::StateMachine")
    text, variables = expanded["Resources"][machine_id]["Properties"]["InlineCode"]["Fn::Sub"]
    values = {name: _function_arn(_referenced_function(value)) for name, value in variables.items()}
    module_text = substitute(text, values)
    definition_text = module_text.split("r'''", 1)[1].split("'''", 1)[0].replace("\\u0027", "'")

    os.environ.setdefault("PAYMENT_FAILURE_RATE", "0")
    handlers = {}
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    sys.path.insert(0, str(EXAMPLE / "src"))
    try:
        for name, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            handler_name = resource["Properties"].get("Handler", globals_function.get("Handler"))
            module_name, function_name = handler_name.rsplit(".", 1)
            handlers[_function_arn(name)] = getattr(importlib.import_module(module_name), function_name)
    finally:
        sys.path.remove(str(EXAMPLE / "src"))
    return definition_text, handlers


def walk_execution(definition_text: str, digest: str, execution_input: Any, handlers: dict[str, Any]) -> dict[str, dict]:
    """Run one execution with the engine, calling handlers in-process; return the first envelope per function."""
    import heaviside
    from heaviside import engine
    from heaviside.runtime import envelope as envelopes
    from heaviside.runtime.envelope import HeavisideContext

    program = engine.compile_program(heaviside.load_definition(definition_text))
    machine_name = "order-processing"
    execution = engine.ExecutionInfo(
        id=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{EXECUTION_NAME}",
        name=EXECUTION_NAME,
        input=execution_input,
        start_time=START_TIME,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/heaviside-invoker",
        state_machine_id=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}",
        state_machine_name=machine_name,
    )

    recorded: dict[str, dict] = {}
    joins: dict[str, tuple[Any, dict[int, Any]]] = {}
    pending = list(engine.start(program, execution, START_TIME))
    while pending:
        action = pending.pop(0)
        if isinstance(action, engine.DispatchTask):
            function_id = action.function.rsplit(":", 1)[-1]
            if function_id not in recorded:
                context = HeavisideContext(
                    execution_id=execution.id,
                    definition_digest=digest,
                    cursor=action.cursor.to_json(),
                    start_time=int(START_TIME.timestamp() * 1000),
                    execution_input=execution_input,
                    role_arn=execution.role_arn,
                    hop_id=f"sample-{function_id}",
                    timeout_seconds=action.timeout_seconds,
                )
                recorded[function_id] = envelopes.encode(context, action.payload)
            request_id = f"sample-{len(recorded)}"
            try:
                event = engine.TaskSucceeded(handlers[action.function](action.payload, None), request_id)
            except Exception as error:  # the handler's failure goes to the state's Retry and Catch
                payload = {"errorMessage": str(error), "errorType": type(error).__name__, "requestId": request_id}
                event = engine.FunctionFailed(payload, request_id)
            pending.extend(engine.advance(program, execution, action.cursor, event, START_TIME))
        elif isinstance(action, engine.ScheduleDelay):
            pending.extend(engine.advance(program, execution, action.cursor, engine.DelayElapsed(), START_TIME))
        elif isinstance(action, engine.Fork):
            joins[action.join_id] = (action, {})
            for child in action.children:
                pending.extend(engine.advance(program, execution, child.cursor, engine.Enter(child.input), START_TIME))
        elif isinstance(action, engine.Arrive):
            fork, outputs = joins[action.join_id]
            if action.failed:
                raise RuntimeError(f"a branch of {fork.join_id} failed: {action.error}: {action.cause}")
            outputs[action.index] = action.output
            if len(outputs) == len(fork.children):
                completed = engine.JoinCompleted([outputs[index] for index in sorted(outputs)])
                pending.extend(engine.advance(program, execution, fork.cursor, completed, START_TIME))
    return recorded


def _referenced_function(value: Any) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    raise ValueError(f"the example's substitution {value!r} does not name a function of the template")


def _function_arn(function_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_id}"


if __name__ == "__main__":
    sys.exit(main())
