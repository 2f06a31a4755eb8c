"""Each validation rule with a definition that breaks it and one that keeps it.

A failing case names the JSON path and the code of the problem it must
produce; a passing case must produce no problem at all.
"""

from __future__ import annotations

import copy

import pytest

from heaviside.asl.validate import validate


def machine(states: dict, start: str | None = None, **top_level) -> dict:
    """Build a definition whose StartAt is the first state unless `start` is given."""
    return {"StartAt": start or next(iter(states)), "States": states, **top_level}


def passing(**fields) -> dict:
    return {"Type": "Pass", "End": True, **fields}


def task(**fields) -> dict:
    return {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": True, **fields}


def map_state(**fields) -> dict:
    state = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Item", "States": {"Item": passing()}},
        "End": True,
    }
    if "Next" in fields:
        del state["End"]
    state.update(fields)
    return state


def parallel(*branches: dict, **fields) -> dict:
    return {"Type": "Parallel", "Branches": list(branches), "End": True, **fields}


def branch(states: dict) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


def choice(rules: list, **fields) -> dict:
    return {"Type": "Choice", "Choices": rules, "Default": "Done", **fields}


def with_done(states: dict) -> dict:
    return {**states, "Done": {"Type": "Succeed"}}


def jsonata(states: dict) -> dict:
    return machine(states, QueryLanguage="JSONata")


# (case id, definition, JSON path of the problem, code)
INVALID = [
    # structure of the machine
    ("top level not an object", ["StartAt"], "$", "SCHEMA_VALIDATION_FAILED"),
    ("unknown top-level field", machine({"A": passing()}, Version="1.0", Extra=1), "$.Extra", "SCHEMA_VALIDATION_FAILED"),
    ("StartAt missing", {"States": {"A": passing()}}, "$", "SCHEMA_VALIDATION_FAILED"),
    ("StartAt names no state", machine({"A": passing()}, start="B"), "$.StartAt", "MISSING_TRANSITION_TARGET"),
    ("States empty", {"StartAt": "A", "States": {}}, "$.States", "SCHEMA_VALIDATION_FAILED"),
    ("top-level TimeoutSeconds zero", machine({"A": passing()}, TimeoutSeconds=0), "$.TimeoutSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("QueryLanguage unknown", machine({"A": passing()}, QueryLanguage="XPath"), "$.QueryLanguage", "SCHEMA_VALIDATION_FAILED"),
    ("Comment not a string", machine({"A": passing()}, Comment=5), "$.Comment", "SCHEMA_VALIDATION_FAILED"),
    # states
    ("state not an object", machine({"A": "Pass"}), "$.States.A", "SCHEMA_VALIDATION_FAILED"),
    ("Type missing", machine({"A": {"End": True}}), "$.States.A", "SCHEMA_VALIDATION_FAILED"),
    ("Type unknown", machine({"A": {"Type": "pass", "End": True}}), "$.States.A.Type", "SCHEMA_VALIDATION_FAILED"),
    ("ResultPath on Wait", machine({"A": {"Type": "Wait", "Seconds": 1, "ResultPath": None, "End": True}}), "$.States.A.ResultPath", "SCHEMA_VALIDATION_FAILED"),
    ("TimeoutSeconds on Map", machine({"M": map_state(TimeoutSeconds=5)}), "$.States.M.TimeoutSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("TimeoutSeconds on Parallel", machine({"P": parallel(branch({"B": passing()}), TimeoutSeconds=5)}), "$.States.P.TimeoutSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("Retry on Pass", machine({"A": passing(Retry=[])}), "$.States.A.Retry", "SCHEMA_VALIDATION_FAILED"),
    ("field name in wrong case", machine({"A": passing(resultPath="$.x")}), "$.States.A.resultPath", "SCHEMA_VALIDATION_FAILED"),
    ("Parameters in JSONata state", jsonata({"A": task(Parameters={})}), "$.States.A.Parameters", "SCHEMA_VALIDATION_FAILED"),
    ("Arguments in JSONPath state", machine({"A": task(Arguments={})}), "$.States.A.Arguments", "SCHEMA_VALIDATION_FAILED"),
    ("Output in JSONPath state", machine({"A": passing(Output={})}), "$.States.A.Output", "SCHEMA_VALIDATION_FAILED"),
    ("state QueryLanguage unknown", machine({"A": passing(QueryLanguage="jsonata")}), "$.States.A.QueryLanguage", "SCHEMA_VALIDATION_FAILED"),
    ("unknown QueryLanguage means JSONata", machine({"A": passing(QueryLanguage="jsonata", Result=1)}), "$.States.A.Result", "SCHEMA_VALIDATION_FAILED"),
    ("JSONPath state in JSONata machine", jsonata({"A": passing(QueryLanguage="JSONPath")}), "$.States.A", "SCHEMA_VALIDATION_FAILED"),
    ("QueryLanguage on ItemProcessor", machine({"M": map_state(ItemProcessor={"QueryLanguage": "JSONata", "StartAt": "I", "States": {"I": passing()}})}), "$.States.M.ItemProcessor.QueryLanguage", "SCHEMA_VALIDATION_FAILED"),
    ("inner state inherits machine language", machine({"M": map_state(QueryLanguage="JSONata", ItemProcessor={"StartAt": "I", "States": {"I": passing(Output={})}})}), "$.States.M.ItemProcessor.States.I.Output", "SCHEMA_VALIDATION_FAILED"),
    ("Next and End", machine({"A": passing(Next="B"), "B": passing()}), "$.States.A", "SCHEMA_VALIDATION_FAILED"),
    ("neither Next nor End", machine({"A": {"Type": "Pass"}, "B": passing()}), "$.States.A", "SCHEMA_VALIDATION_FAILED"),
    ("End not a boolean", machine({"A": {"Type": "Pass", "End": "true"}}), "$.States.A.End", "SCHEMA_VALIDATION_FAILED"),
    ("Next on Succeed", machine({"A": {"Type": "Succeed", "Next": "A"}}), "$.States.A.Next", "SCHEMA_VALIDATION_FAILED"),
    # transitions
    ("Next target missing", machine({"A": {"Type": "Pass", "Next": "Nowhere"}, "B": passing()}), "$.States.A.Next", "MISSING_TRANSITION_TARGET"),
    ("Default target missing", machine({"C": {**choice([{"Variable": "$.x", "IsPresent": True, "Next": "B"}]), "Default": "Nowhere"}, "B": passing()}), "$.States.C.Default", "MISSING_TRANSITION_TARGET"),
    ("Choice rule target missing", machine(with_done({"C": choice([{"Variable": "$.x", "IsPresent": True, "Next": "Nowhere"}])})), "$.States.C.Choices[0].Next", "MISSING_TRANSITION_TARGET"),
    ("Catch target missing", machine({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}])}), "$.States.T.Catch[0].Next", "MISSING_TRANSITION_TARGET"),
    ("Next leaves a branch", machine({"P": parallel(branch({"B": {"Type": "Pass", "Next": "After"}})), "After": passing()}, start="P"), "$.States.P.Branches[0].States.B.Next", "MISSING_TRANSITION_TARGET"),
    ("unreachable state", machine({"A": passing(), "Orphan": passing()}), "$.States.Orphan", "MISSING_TRANSITION_TARGET"),
    ("unreachable state in Map", machine({"M": map_state(ItemProcessor={"StartAt": "I", "States": {"I": passing(), "J": passing()}})}), "$.States.M.ItemProcessor.States.J", "MISSING_TRANSITION_TARGET"),
    ("no terminal state", machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}), "$", "MISSING_END_STATE"),
    ("missing target and no terminal", machine({"A": {"Type": "Pass", "Next": "Nope"}}), "$.States.A.Next", "MISSING_TRANSITION_TARGET"),
    ("no terminal after missing target", machine({"A": {"Type": "Pass", "Next": "Nope"}}), "$", "MISSING_END_STATE"),
    ("unreachable terminal after a loop", machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}, "C": passing()}), "$.States.C", "MISSING_TRANSITION_TARGET"),
    ("no terminal state in branch", machine({"P": parallel(branch({"B": {"Type": "Pass", "Next": "B"}}))}), "$.States.P.Branches[0]", "MISSING_END_STATE"),
    # state names
    ("name reused in a branch", machine({"A": parallel(branch({"A": passing()}))}), "$.States.A.Branches[0].States.A", "DUPLICATE_STATE_NAME"),
    ("name reused across Map processors", machine({"M": map_state(Next="N"), "N": map_state()}), "$.States.N.ItemProcessor.States.Item", "DUPLICATE_STATE_NAME"),
    ("name of 81 characters", machine({"x" * 81: passing()}), "$.States." + "x" * 81, "INVALID_STATE_NAME"),
    # Retry and Catch
    ("States.ALL with other names", machine({"T": task(Retry=[{"ErrorEquals": ["States.ALL", "Custom"]}])}), "$.States.T.Retry[0].ErrorEquals", "SCHEMA_VALIDATION_FAILED"),
    ("States.ALL retrier not last", machine({"T": task(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}])}), "$.States.T.Retry[0].ErrorEquals", "SCHEMA_VALIDATION_FAILED"),
    ("States.ALL catcher not last", machine(with_done({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}, {"ErrorEquals": ["Custom"], "Next": "Done"}])})), "$.States.T.Catch[0].ErrorEquals", "SCHEMA_VALIDATION_FAILED"),
    ("ErrorEquals empty", machine({"T": task(Retry=[{"ErrorEquals": []}])}), "$.States.T.Retry[0].ErrorEquals", "SCHEMA_VALIDATION_FAILED"),
    ("ErrorEquals missing", machine({"T": task(Retry=[{"MaxAttempts": 1}])}), "$.States.T.Retry[0]", "SCHEMA_VALIDATION_FAILED"),
    ("catcher without Next", machine({"T": task(Catch=[{"ErrorEquals": ["States.ALL"]}])}), "$.States.T.Catch[0]", "SCHEMA_VALIDATION_FAILED"),
    ("MaxAttempts negative", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": -1}])}), "$.States.T.Retry[0].MaxAttempts", "SCHEMA_VALIDATION_FAILED"),
    ("BackoffRate below one", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "BackoffRate": 0.5}])}), "$.States.T.Retry[0].BackoffRate", "SCHEMA_VALIDATION_FAILED"),
    ("IntervalSeconds zero", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 0}])}), "$.States.T.Retry[0].IntervalSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("IntervalSeconds fractional", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 1.5}])}), "$.States.T.Retry[0].IntervalSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("MaxDelaySeconds zero", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}])}), "$.States.T.Retry[0].MaxDelaySeconds", "SCHEMA_VALIDATION_FAILED"),
    ("JitterStrategy unknown", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}])}), "$.States.T.Retry[0].JitterStrategy", "SCHEMA_VALIDATION_FAILED"),
    ("unknown retrier field", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "Next": "T"}])}), "$.States.T.Retry[0].Next", "SCHEMA_VALIDATION_FAILED"),
    ("MaxAttempts a boolean", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": True}])}), "$.States.T.Retry[0].MaxAttempts", "SCHEMA_VALIDATION_FAILED"),
    # Task
    ("Resource missing", machine({"T": {"Type": "Task", "End": True}}), "$.States.T", "SCHEMA_VALIDATION_FAILED"),
    ("Task TimeoutSeconds zero", machine({"T": task(TimeoutSeconds=0)}), "$.States.T.TimeoutSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("HeartbeatSeconds not below timeout", machine({"T": task(TimeoutSeconds=10, HeartbeatSeconds=10)}), "$.States.T.HeartbeatSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("TimeoutSeconds and its Path", machine({"T": task(TimeoutSeconds=10, TimeoutSecondsPath="$.t")}), "$.States.T", "SCHEMA_VALIDATION_FAILED"),
    ("TimeoutSecondsPath not a path", machine({"T": task(TimeoutSecondsPath="t")}), "$.States.T.TimeoutSecondsPath", "SCHEMA_VALIDATION_FAILED"),
    ("Credentials not an object", machine({"T": task(Credentials="arn")}), "$.States.T.Credentials", "SCHEMA_VALIDATION_FAILED"),
    # Map and Parallel
    ("MaxConcurrency a path string", machine({"M": map_state(MaxConcurrency="$.limit")}), "$.States.M.MaxConcurrency", "SCHEMA_VALIDATION_FAILED"),
    ("MaxConcurrency negative", machine({"M": map_state(MaxConcurrency=-1)}), "$.States.M.MaxConcurrency", "SCHEMA_VALIDATION_FAILED"),
    ("MaxConcurrency fractional", machine({"M": map_state(MaxConcurrency=1.5)}), "$.States.M.MaxConcurrency", "SCHEMA_VALIDATION_FAILED"),
    ("ToleratedFailurePercentage over 100", machine({"M": map_state(ToleratedFailurePercentage=101)}), "$.States.M.ToleratedFailurePercentage", "SCHEMA_VALIDATION_FAILED"),
    ("ToleratedFailureCount negative", machine({"M": map_state(ToleratedFailureCount=-1)}), "$.States.M.ToleratedFailureCount", "SCHEMA_VALIDATION_FAILED"),
    ("MaxConcurrencyPath from context", machine({"M": map_state(MaxConcurrencyPath="$$.Execution.Input.n")}), "$.States.M.MaxConcurrencyPath", "SCHEMA_VALIDATION_FAILED"),
    ("ToleratedFailureCountPath from context", machine({"M": map_state(ToleratedFailureCountPath="$$.Execution.Input.n")}), "$.States.M.ToleratedFailureCountPath", "SCHEMA_VALIDATION_FAILED"),
    ("MaxItemsPerBatch with its Path", machine({"M": map_state(ItemBatcher={"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.n"})}), "$.States.M.ItemBatcher", "SCHEMA_VALIDATION_FAILED"),
    ("ReaderConfig MaxItems over limit", machine({"M": map_state(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"MaxItems": 100_000_001}})}), "$.States.M.ItemReader.ReaderConfig.MaxItems", "SCHEMA_VALIDATION_FAILED"),
    ("ItemProcessor missing", machine({"M": {"Type": "Map", "End": True}}), "$.States.M", "SCHEMA_VALIDATION_FAILED"),
    ("ItemSelector and Parameters", machine({"M": map_state(ItemSelector={}, Parameters={})}), "$.States.M", "SCHEMA_VALIDATION_FAILED"),
    ("ProcessorConfig Mode unknown", machine({"M": map_state(ItemProcessor={"ProcessorConfig": {"Mode": "LOCAL"}, "StartAt": "I", "States": {"I": passing()}})}), "$.States.M.ItemProcessor.ProcessorConfig.Mode", "SCHEMA_VALIDATION_FAILED"),
    ("ItemsPath not a path", machine({"M": map_state(ItemsPath="items")}), "$.States.M.ItemsPath", "SCHEMA_VALIDATION_FAILED"),
    ("Items in JSONPath state", machine({"M": map_state(Items=[1, 2])}), "$.States.M.Items", "SCHEMA_VALIDATION_FAILED"),
    ("Label too long", machine({"M": map_state(Label="L" * 41)}), "$.States.M.Label", "SCHEMA_VALIDATION_FAILED"),
    ("Branches empty", machine({"P": parallel()}), "$.States.P.Branches", "SCHEMA_VALIDATION_FAILED"),
    ("unknown branch field", machine({"P": parallel({**branch({"B": passing()}), "Version": "1.0"})}), "$.States.P.Branches[0].Version", "SCHEMA_VALIDATION_FAILED"),
    ("branch without StartAt", machine({"P": parallel({"States": {"B": passing()}})}), "$.States.P.Branches[0]", "SCHEMA_VALIDATION_FAILED"),
    # Wait
    ("Wait without duration", machine({"W": {"Type": "Wait", "End": True}}), "$.States.W", "SCHEMA_VALIDATION_FAILED"),
    ("Wait with two durations", machine({"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}}), "$.States.W", "SCHEMA_VALIDATION_FAILED"),
    ("Wait Seconds negative", machine({"W": {"Type": "Wait", "Seconds": -1, "End": True}}), "$.States.W.Seconds", "SCHEMA_VALIDATION_FAILED"),
    ("Wait Seconds a string", machine({"W": {"Type": "Wait", "Seconds": "10", "End": True}}), "$.States.W.Seconds", "SCHEMA_VALIDATION_FAILED"),
    ("Wait Timestamp invalid", machine({"W": {"Type": "Wait", "Timestamp": "tomorrow", "End": True}}), "$.States.W.Timestamp", "SCHEMA_VALIDATION_FAILED"),
    # Choice
    ("Choices empty", machine(with_done({"C": choice([])})), "$.States.C.Choices", "SCHEMA_VALIDATION_FAILED"),
    ("Choices missing", machine(with_done({"C": {"Type": "Choice", "Default": "Done"}})), "$.States.C", "SCHEMA_VALIDATION_FAILED"),
    ("rule without Next", machine(with_done({"C": choice([{"Variable": "$.x", "IsPresent": True}])})), "$.States.C.Choices[0]", "SCHEMA_VALIDATION_FAILED"),
    ("rule without operator", machine(with_done({"C": choice([{"Variable": "$.x", "Next": "Done"}])})), "$.States.C.Choices[0]", "SCHEMA_VALIDATION_FAILED"),
    ("rule with two operators", machine(with_done({"C": choice([{"Variable": "$.x", "IsPresent": True, "IsNull": False, "Next": "Done"}])})), "$.States.C.Choices[0]", "SCHEMA_VALIDATION_FAILED"),
    ("rule without Variable", machine(with_done({"C": choice([{"StringEquals": "a", "Next": "Done"}])})), "$.States.C.Choices[0]", "SCHEMA_VALIDATION_FAILED"),
    ("Variable not a path", machine(with_done({"C": choice([{"Variable": "x", "IsPresent": True, "Next": "Done"}])})), "$.States.C.Choices[0].Variable", "SCHEMA_VALIDATION_FAILED"),
    ("NumericEquals with a string", machine(with_done({"C": choice([{"Variable": "$.x", "NumericEquals": "1", "Next": "Done"}])})), "$.States.C.Choices[0].NumericEquals", "SCHEMA_VALIDATION_FAILED"),
    ("BooleanEquals with a string", machine(with_done({"C": choice([{"Variable": "$.x", "BooleanEquals": "true", "Next": "Done"}])})), "$.States.C.Choices[0].BooleanEquals", "SCHEMA_VALIDATION_FAILED"),
    ("StringEqualsPath not a path", machine(with_done({"C": choice([{"Variable": "$.x", "StringEqualsPath": "y", "Next": "Done"}])})), "$.States.C.Choices[0].StringEqualsPath", "SCHEMA_VALIDATION_FAILED"),
    ("StringMatchesPath does not exist", machine(with_done({"C": choice([{"Variable": "$.x", "StringMatchesPath": "$.y", "Next": "Done"}])})), "$.States.C.Choices[0].StringMatchesPath", "SCHEMA_VALIDATION_FAILED"),
    ("And empty", machine(with_done({"C": choice([{"And": [], "Next": "Done"}])})), "$.States.C.Choices[0].And", "SCHEMA_VALIDATION_FAILED"),
    ("Not with an array", machine(with_done({"C": choice([{"Not": [{"Variable": "$.x", "IsNull": True}], "Next": "Done"}])})), "$.States.C.Choices[0].Not", "SCHEMA_VALIDATION_FAILED"),
    ("Next inside And", machine(with_done({"C": choice([{"And": [{"Variable": "$.x", "IsNull": True, "Next": "Done"}], "Next": "Done"}])})), "$.States.C.Choices[0].And[0].Next", "SCHEMA_VALIDATION_FAILED"),
    ("And with Variable", machine(with_done({"C": choice([{"Variable": "$.x", "And": [{"Variable": "$.x", "IsNull": True}], "Next": "Done"}])})), "$.States.C.Choices[0]", "SCHEMA_VALIDATION_FAILED"),
    ("JSONata rule without Condition", jsonata(with_done({"C": choice([{"Next": "Done"}])})), "$.States.C.Choices[0]", "SCHEMA_VALIDATION_FAILED"),
    ("Variable in JSONata rule", jsonata(with_done({"C": choice([{"Condition": "{% true %}", "Variable": "$.x", "Next": "Done"}])})), "$.States.C.Choices[0].Variable", "SCHEMA_VALIDATION_FAILED"),
    ("Condition in JSONPath rule", machine(with_done({"C": choice([{"Condition": "{% true %}", "Next": "Done"}])})), "$.States.C.Choices[0].Condition", "SCHEMA_VALIDATION_FAILED"),
    # Fail
    ("Error and ErrorPath", machine({"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}), "$.States.F", "SCHEMA_VALIDATION_FAILED"),
    ("Cause and CausePath", machine({"F": {"Type": "Fail", "Cause": "C", "CausePath": "$.c"}}), "$.States.F", "SCHEMA_VALIDATION_FAILED"),
    ("Error not a string", machine({"F": {"Type": "Fail", "Error": 5}}), "$.States.F.Error", "SCHEMA_VALIDATION_FAILED"),
    ("CausePath calls an array function", machine({"F": {"Type": "Fail", "CausePath": "States.Array($.a)"}}), "$.States.F.CausePath", "SCHEMA_VALIDATION_FAILED"),
    ("ErrorPath bad intrinsic", machine({"F": {"Type": "Fail", "ErrorPath": "States.Format("}}), "$.States.F.ErrorPath", "SCHEMA_VALIDATION_FAILED"),
    ("CausePath not a path", machine({"F": {"Type": "Fail", "CausePath": "cause"}}), "$.States.F.CausePath", "SCHEMA_VALIDATION_FAILED"),
    # paths, payload templates and intrinsic functions
    ("OutputPath without dollar", machine({"A": passing(OutputPath="result")}), "$.States.A.OutputPath", "SCHEMA_VALIDATION_FAILED"),
    ("InputPath bad syntax", machine({"A": passing(InputPath="$.a[")}), "$.States.A.InputPath", "SCHEMA_VALIDATION_FAILED"),
    ("InputPath a number", machine({"A": passing(InputPath=5)}), "$.States.A.InputPath", "SCHEMA_VALIDATION_FAILED"),
    ("ResultPath to a variable", machine({"A": passing(ResultPath="$result")}), "$.States.A.ResultPath", "SCHEMA_VALIDATION_FAILED"),
    ("ResultPath to the context", machine({"A": passing(ResultPath="$$.Execution")}), "$.States.A.ResultPath", "SCHEMA_VALIDATION_FAILED"),
    ("ResultPath with a wildcard", machine({"A": passing(ResultPath="$.a[*]")}), "$.States.A.ResultPath", "SCHEMA_VALIDATION_FAILED"),
    ("catcher ResultPath to a variable", machine(with_done({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done", "ResultPath": "$error"}])})), "$.States.T.Catch[0].ResultPath", "SCHEMA_VALIDATION_FAILED"),
    ("Parameters not an object", machine({"A": passing(Parameters="x")}), "$.States.A.Parameters", "SCHEMA_VALIDATION_FAILED"),
    ("template value not a path", machine({"A": passing(Parameters={"a.$": "a"})}), "$.States.A.Parameters['a.$']", "SCHEMA_VALIDATION_FAILED"),
    ("template value not a string", machine({"A": passing(Parameters={"a.$": 5})}), "$.States.A.Parameters['a.$']", "SCHEMA_VALIDATION_FAILED"),
    ("nested template value", machine({"A": passing(Parameters={"a": [{"b.$": "$.[x"}]})}), "$.States.A.Parameters.a[0]['b.$']", "SCHEMA_VALIDATION_FAILED"),
    ("intrinsic name in wrong case", machine({"A": passing(Parameters={"a.$": "States.format('{}', $.x)"})}), "$.States.A.Parameters['a.$']", "SCHEMA_VALIDATION_FAILED"),
    ("unknown intrinsic function", machine({"A": passing(Parameters={"a.$": "States.Concat($.x)"})}), "$.States.A.Parameters['a.$']", "SCHEMA_VALIDATION_FAILED"),
    ("ResultSelector template value", machine({"T": task(ResultSelector={"a.$": "States.Array("})}), "$.States.T.ResultSelector['a.$']", "SCHEMA_VALIDATION_FAILED"),
    ("ItemSelector template value", machine({"M": map_state(ItemSelector={"a.$": "x"})}), "$.States.M.ItemSelector['a.$']", "SCHEMA_VALIDATION_FAILED"),
    # JSONata
    ("empty JSONata expression", jsonata({"A": passing(Output="{% %}")}), "$.States.A.Output", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata syntax error", jsonata({"A": passing(Output={"a": "{% 1 + %}"})}), "$.States.A.Output.a", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata top-level reference", jsonata({"A": passing(Output="{% $ %}")}), "$.States.A.Output", "UNSUPPORTED_JSONATA_EXPRESSION"),
    ("JSONata unqualified field name", jsonata({"A": passing(Output="{% order.id %}")}), "$.States.A.Output", "UNSUPPORTED_JSONATA_EXPRESSION"),
    ("JSONata Condition syntax error", jsonata(with_done({"C": choice([{"Condition": "{% $states.input.a > %}", "Next": "Done"}])})), "$.States.C.Choices[0].Condition", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata Wait Seconds syntax error", jsonata({"W": {"Type": "Wait", "Seconds": "{% ( %}", "End": True}}), "$.States.W.Seconds", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata result in Pass Output", jsonata({"A": passing(Output="{% $states.result %}")}), "$.States.A.Output", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata result in Arguments", jsonata({"T": task(Arguments={"a": "{% $states.result %}"})}), "$.States.T.Arguments.a", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata errorOutput outside catcher", jsonata({"T": task(Assign={"e": "{% $states.errorOutput %}"})}), "$.States.T.Assign.e", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata result in catcher", jsonata(with_done({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done", "Output": "{% $states.result %}"}])})), "$.States.T.Catch[0].Output", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata result in Choice rule", jsonata(with_done({"C": choice([{"Condition": "{% $states.result %}", "Next": "Done"}])})), "$.States.C.Choices[0].Condition", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata Arguments a number", jsonata({"T": task(Arguments=5)}), "$.States.T.Arguments", "SCHEMA_VALIDATION_FAILED"),
    ("JSONata Resource expression", jsonata({"T": task(Resource="{% 'arn' %}")}), "$.States.T.Resource", "SCHEMA_VALIDATION_FAILED"),
    ("JSONata Items a number", jsonata({"M": map_state(Items=5)}), "$.States.M.Items", "SCHEMA_VALIDATION_FAILED"),
    ("JSONata Items element", jsonata({"M": map_state(Items=[1, "{% ) %}"])}), "$.States.M.Items[1]", "INVALID_JSONATA_EXPRESSION"),
    ("JSONata TimeoutSeconds a plain string", jsonata({"T": task(TimeoutSeconds="10")}), "$.States.T.TimeoutSeconds", "SCHEMA_VALIDATION_FAILED"),
    ("ErrorPath in JSONata state", jsonata({"F": {"Type": "Fail", "ErrorPath": "$.e"}}), "$.States.F.ErrorPath", "SCHEMA_VALIDATION_FAILED"),
    # variables
    ("Assign not an object", machine({"A": passing(Assign=[1])}), "$.States.A.Assign", "SCHEMA_VALIDATION_FAILED"),
    ("Assign sub-path", machine({"A": passing(Assign={"x.y": 1})}), "$.States.A.Assign['x.y']", "SCHEMA_VALIDATION_FAILED"),
    ("Assign index", machine({"A": passing(Assign={"x[0]": 1})}), "$.States.A.Assign['x[0]']", "SCHEMA_VALIDATION_FAILED"),
    ("Assign reserved states", machine({"A": passing(Assign={"states": 1})}), "$.States.A.Assign.states", "SCHEMA_VALIDATION_FAILED"),
    ("Assign name with a dash", machine({"A": passing(Assign={"my-var": 1})}), "$.States.A.Assign['my-var']", "SCHEMA_VALIDATION_FAILED"),
    ("Assign name starting with a digit", machine({"A": passing(Assign={"1x": 1})}), "$.States.A.Assign['1x']", "SCHEMA_VALIDATION_FAILED"),
    ("Assign name of 81 characters", machine({"A": passing(Assign={"v" * 81: 1})}), "$.States.A.Assign." + "v" * 81, "SCHEMA_VALIDATION_FAILED"),
    ("Assign expression key bad path", machine({"A": passing(Assign={"x.$": "$.[a"})}), "$.States.A.Assign['x.$']", "SCHEMA_VALIDATION_FAILED"),
    ("Assign expression key reserved", machine({"A": passing(Assign={"states.$": "$.a"})}), "$.States.A.Assign['states.$']", "SCHEMA_VALIDATION_FAILED"),
    ("Assign on Succeed", machine({"A": {"Type": "Succeed", "Assign": {"x": 1}}}), "$.States.A.Assign", "SCHEMA_VALIDATION_FAILED"),
    ("Assign on Fail", machine({"A": {"Type": "Fail", "Assign": {"x": 1}}}), "$.States.A.Assign", "SCHEMA_VALIDATION_FAILED"),
    (
        "branch reassigns outer variable",
        machine({"Set": {"Type": "Pass", "Assign": {"total": 0}, "Next": "P"}, "P": parallel(branch({"B": passing(Assign={"total": 1})}))}),
        "$.States.P.Branches[0].States.B.Assign.total",
        "SCHEMA_VALIDATION_FAILED",
    ),
    (
        "Map iteration reassigns outer variable",
        machine({"Set": {"Type": "Pass", "Assign": {"total": 0}, "Next": "M"}, "M": map_state(ItemProcessor={"StartAt": "I", "States": {"I": passing(Assign={"total.$": "$"})}})}),
        "$.States.M.ItemProcessor.States.I.Assign['total.$']",
        "SCHEMA_VALIDATION_FAILED",
    ),
    (
        "nested scope reassigns outer variable",
        machine({"Set": {"Type": "Pass", "Assign": {"total": 0}, "Next": "P"}, "P": parallel(branch({"Q": parallel(branch({"B": passing(Assign={"total": 1})}))}))}),
        "$.States.P.Branches[0].States.Q.Branches[0].States.B.Assign.total",
        "SCHEMA_VALIDATION_FAILED",
    ),
    # plain JSON
    ("NaN value", machine({"A": passing(Result=float("nan"))}), "$.States.A.Result", "SCHEMA_VALIDATION_FAILED"),
    ("non-string key", machine({"A": passing(Result={1: "a"})}), "$.States.A.Result[1]", "SCHEMA_VALIDATION_FAILED"),
    ("Python object value", machine({"A": passing(Result={1, 2})}), "$.States.A.Result", "SCHEMA_VALIDATION_FAILED"),
]

# (case id, definition): each keeps the rule that the failing case of the same
# topic breaks.
VALID = [
    ("minimal", machine({"A": passing()})),
    ("all top-level fields", machine({"A": passing()}, Comment="c", Version="1.0", TimeoutSeconds=60, QueryLanguage="JSONPath")),
    ("Wait with InputPath", machine({"A": {"Type": "Wait", "Seconds": 1, "InputPath": "$.a", "End": True}})),
    ("state in JSONata, machine in JSONPath", machine({"A": passing(QueryLanguage="JSONata", Output="{% $states.input %}")})),
    ("Succeed and Fail as terminals", machine(with_done({"C": choice([{"Variable": "$.x", "IsPresent": True, "Next": "F"}]), "F": {"Type": "Fail"}}))),
    ("JSONata state in JSONPath machine", machine({"A": passing(QueryLanguage="JSONata", Output={"a": 1})}, QueryLanguage="JSONPath")),
    ("ItemsPath from context", machine({"M": map_state(ItemsPath="$$.Execution.Input.items", MaxConcurrencyPath="$.n", ToleratedFailureCountPath="$count")})),
    ("JSONPath state in JSONata Map of JSONPath machine", machine({"M": map_state(QueryLanguage="JSONata", ItemProcessor={"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I", "States": {"I": passing(QueryLanguage="JSONPath")}})}, QueryLanguage="JSONPath")),
    ("empty Retry and Catch", machine({"T": task(Retry=[], Catch=[])})),
    ("variable never assigned", jsonata(with_done({"C": choice([{"Condition": "{% $states.input.ok %}", "Next": "Done", "Output": {"id": "{% $ExecutionId %}"}}])}))),
    ("loop with an exit", machine(with_done({"A": {"Type": "Pass", "Next": "C"}, "C": choice([{"Variable": "$.again", "BooleanEquals": True, "Next": "A"}])}))),
    ("state reached only by Catch", machine({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]), "Handler": passing()})),
    ("names unique across branches", machine({"P": parallel(branch({"B1": passing()}), branch({"B2": passing()}))})),
    ("name of 80 characters", machine({"x" * 80: passing()})),
    ("States.ALL alone and last", machine(with_done({"T": task(Retry=[{"ErrorEquals": ["Custom"]}, {"ErrorEquals": ["States.ALL"]}], Catch=[{"ErrorEquals": ["Custom"], "Next": "Done"}, {"ErrorEquals": ["States.ALL"], "Next": "Done"}])}))),
    ("retrier limits", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 0, "BackoffRate": 1, "IntervalSeconds": 1, "MaxDelaySeconds": 1, "JitterStrategy": "FULL", "Comment": "c"}])})),
    ("BackoffRate fractional", machine({"T": task(Retry=[{"ErrorEquals": ["E"], "BackoffRate": 1.5}])})),
    ("heartbeat below timeout", machine({"T": task(TimeoutSeconds=10, HeartbeatSeconds=9)})),
    ("timeout and heartbeat paths", machine({"T": task(TimeoutSecondsPath="$.t", HeartbeatSecondsPath="$$.Execution.Input.h")})),
    ("Credentials template", machine({"T": task(Credentials={"RoleArn.$": "$.role"})})),
    ("MaxConcurrency zero", machine({"M": map_state(MaxConcurrency=0)})),
    ("MaxConcurrencyPath", machine({"M": map_state(MaxConcurrencyPath="$.limit")})),
    ("tolerated failure limits", machine({"M": map_state(ToleratedFailurePercentage=100, ToleratedFailureCount=0)})),
    ("tolerated failure percentage fractional", machine({"M": map_state(ToleratedFailurePercentage=12.5)})),
    ("Map with the older Iterator", machine({"M": {"Type": "Map", "Iterator": {"StartAt": "I", "States": {"I": passing()}}, "Parameters": {"v.$": "$$.Map.Item.Value"}, "End": True}})),
    ("distributed Map", machine({"M": map_state(ItemProcessor={"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "I", "States": {"I": passing()}}, Label="run", ItemBatcher={"MaxItemsPerBatch": 10}, ResultWriter={"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}})})),
    ("Wait with each duration field", machine({"W1": {"Type": "Wait", "Seconds": 0, "Next": "W2"}, "W2": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W3"}, "W3": {"Type": "Wait", "Timestamp": "2026-03-14T01:59:00Z", "Next": "W4"}, "W4": {"Type": "Wait", "TimestampPath": "$.t", "End": True}})),
    ("Choice with every rule form", machine(with_done({"C": choice([
        {"Variable": "$.s", "StringMatches": "a*", "Next": "Done"},
        {"Variable": "$.n", "NumericGreaterThanEquals": 1.5, "Next": "Done"},
        {"Variable": "$.n", "NumericEqualsPath": "$.m", "Next": "Done"},
        {"Variable": "$.t", "TimestampLessThan": "2026-01-01T00:00:00Z", "Next": "Done"},
        {"Variable": "$$.Execution.Name", "IsString": True, "Next": "Done"},
        {"Variable": "$var", "IsPresent": False, "Next": "Done"},
        {"And": [{"Variable": "$.a", "IsNull": False}, {"Not": {"Variable": "$.b", "BooleanEquals": True}}], "Next": "Done", "Comment": "c"},
        {"Or": [{"Variable": "$.a", "StringEquals": "x"}], "Next": "Done", "Assign": {"picked": "or"}},
    ], Assign={"none": True})}))),
    ("JSONata Choice", jsonata(with_done({"C": choice([{"Condition": "{% $states.input.x > 1 %}", "Next": "Done", "Output": {"a": 1}, "Assign": {"b": "{% 2 %}"}}, {"Condition": True, "Next": "Done"}])}))),
    ("Fail with paths", machine({"F": {"Type": "Fail", "ErrorPath": "$.error", "CausePath": "States.Format('{}', $.cause)"}})),
    ("Fail with string functions", machine({"F": {"Type": "Fail", "ErrorPath": "States.ArrayGetItem($.errors, 0)", "CausePath": "States.JsonToString($)"}})),
    ("Fail with literal fields", machine({"F": {"Type": "Fail", "Error": "E", "Cause": "C", "Comment": "c"}})),
    ("Pass Result is free-form", machine({"A": passing(Result={"Type": 1, "x-datum": 0.5, "list": ["a", {"b.$": "not a path"}]}, ResultPath="$.coords")})),
    ("paths of every root", machine({"A": passing(InputPath="$$.Execution.Input", OutputPath="$var.items[0]", ResultPath="$.a.b[2]", Parameters={"a.$": "$", "b.$": "$$.State.Name", "c.$": "$v", "d.$": "States.Array($.a, 'x')", "e": "$.literal"})})),
    ("null paths", machine({"A": passing(InputPath=None, OutputPath=None, ResultPath=None)})),
    ("JSONata machine", jsonata({"T": task(Arguments={"a": "{% $states.input.a %}", "b": [1, "x"]}, Output="{% $states.result %}", TimeoutSeconds="{% 10 %}", HeartbeatSeconds=5, Assign={"r": "{% $states.result %}", "lit": {"k": [1]}})})),
    ("JSONata Map and Wait", jsonata({"M": map_state(Items="{% $states.input.items %}", MaxConcurrency="{% 2 %}", ItemSelector={"v": "{% $states.context.Map.Item.Value %}"}, Next="W"), "W": {"Type": "Wait", "Seconds": "{% 1 %}", "End": True}})),
    ("JSONata errorOutput in catcher", jsonata(with_done({"T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done", "Output": "{% $states.errorOutput %}", "Assign": {"e": "{% $states.errorOutput.Error %}"}}])}))),
    ("JSONata result in Map and Parallel", jsonata({"M": map_state(Output="{% $states.result %}", Next="P"), "P": parallel(branch({"B": passing()}), Assign={"r": "{% $states.result %}"})})),
    ("JSONata context everywhere", jsonata({"T": task(Arguments="{% $states.context.Execution.Input %}", TimeoutSeconds="{% $states.input.t %}")})),
    ("JSONata Items an object", jsonata({"M": map_state(Items={"a": 1, "b": "{% $states.input.b %}"})})),
    ("JSONata Fail", jsonata({"F": {"Type": "Fail", "Error": "{% 'E' %}", "Cause": "plain"}})),
    ("Assign names", machine({"A": passing(Assign={"x": 1, "_y2": {"n": [1]}, "z.$": "$.a", "w.$": "States.MathAdd(1, 2)", "ünïcode": 3})})),
    ("branch reads but does not reassign", machine({"Set": {"Type": "Pass", "Assign": {"total": 0}, "Next": "P"}, "P": parallel(branch({"B": passing(Parameters={"t.$": "$total"}, Assign={"inner": 1})}))})),
    ("sibling branches share a name", machine({"P": parallel(branch({"B1": passing(Assign={"x": 1})}), branch({"B2": passing(Assign={"x": 2})}))})),
    ("catcher and branch share a name", machine(with_done({"P": parallel(branch({"B": passing(Assign={"x": 1})}), Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done", "Assign": {"x.$": "$"}}])}))),
    ("distributed Map reuses an outer name", machine({"Set": {"Type": "Pass", "Assign": {"total": 0}, "Next": "M"}, "M": map_state(ItemProcessor={"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "I", "States": {"I": passing(Assign={"total": 1})}})})),
]


def problem_keys(definition) -> list[tuple[str, str]]:
    return [(problem.path, problem.code) for problem in validate(definition)]


@pytest.mark.parametrize(("definition", "path", "code"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_definition_reports_problem(definition, path, code):
    problems = validate(definition)

    assert (path, code) in [(problem.path, problem.code) for problem in problems], problems


@pytest.mark.parametrize("definition", [case[1] for case in VALID], ids=[case[0] for case in VALID])
def test_valid_definition_has_no_problem(definition):
    assert validate(definition) == []


def test_validate_does_not_change_input():
    definition = dict(VALID)["Choice with every rule form"]
    before = copy.deepcopy(definition)

    validate(definition)

    assert definition == before


def test_all_problems_reported_at_once():
    definition = machine(
        {
            "A": {"Type": "Wait", "Seconds": -1, "ResultPath": None, "Next": "Nowhere"},
            "B": passing(OutputPath="x"),
        }
    )

    keys = problem_keys(definition)

    assert ("$.States.A.Seconds", "SCHEMA_VALIDATION_FAILED") in keys
    assert ("$.States.A.ResultPath", "SCHEMA_VALIDATION_FAILED") in keys
    assert ("$.States.A.Next", "MISSING_TRANSITION_TARGET") in keys
    assert ("$.States.B.OutputPath", "SCHEMA_VALIDATION_FAILED") in keys
    assert ("$.States.B", "MISSING_TRANSITION_TARGET") in keys


def test_message_names_value_and_fix():
    definition = machine({"M": map_state(MaxConcurrency="$.limit")})

    [problem] = validate(definition)

    assert "'$.limit'" in problem.message
    assert "MaxConcurrencyPath" in problem.message


def test_unreachable_message_names_state():
    [problem] = validate(machine({"A": passing(), "Orphan": passing()}))

    assert "'Orphan'" in problem.message
    assert "not reachable" in problem.message


def test_duplicate_message_names_first_place():
    [problem] = validate(machine({"A": parallel(branch({"A": passing()}))}))

    assert "$.States.A" in problem.message


def test_path_of_name_with_quote():
    [problem] = validate(machine({"it's": passing(), "B": passing()}, start="B"))

    assert problem.path == "$.States['it\\'s']"


def test_deep_nesting_is_a_problem_not_a_crash():
    result: object = {}
    for _ in range(5000):
        result = {"a": result}
    definition = machine({"A": passing(Result=result, Parameters=result)})

    problems = validate(definition)

    assert all(problem.code == "SCHEMA_VALIDATION_FAILED" for problem in problems)


def test_circular_value_is_a_problem():
    result: list = []
    result.append(result)

    problems = validate(machine({"A": passing(Result=result)}))

    assert [(problem.path, problem.code) for problem in problems] == [("$", "SCHEMA_VALIDATION_FAILED")]
    assert "contains itself" in problems[0].message


def test_definition_over_one_mebibyte():
    large = machine({"A": passing(Result="x" * 1_048_576)})
    small = machine({"A": passing(Result="x" * 1_000_000)})

    assert problem_keys(large) == [("$", "SCHEMA_VALIDATION_FAILED")]
    assert problem_keys(small) == []


def test_shared_value_checked_once():
    shared = {"k": float("inf")}

    problems = validate(machine({"A": passing(Result=[shared, shared])}))

    assert len(problems) == 1
    assert problems[0].path in ("$.States.A.Result[0].k", "$.States.A.Result[1].k")
