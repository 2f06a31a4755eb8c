"""Tables of the fields allowed in each part of a definition, per state type and query language.

The tables follow the ASL specification's "Table of State Types and Fields"
for JSONPath and for JSONata, plus the fields the Step Functions service added
later (Credentials, Label, ItemReader, ItemBatcher, ResultWriter and the
`...Path` variants).
"""

from __future__ import annotations

from heaviside.asl.validation.report import JSONATA, JSONPATH

STATE_TYPES = ("Task", "Parallel", "Map", "Pass", "Wait", "Choice", "Succeed", "Fail")

TOP_LEVEL_FIELDS = frozenset({"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"})
BRANCH_FIELDS = frozenset({"StartAt", "States", "Comment"})
ITEM_PROCESSOR_FIELDS = frozenset({"StartAt", "States", "Comment", "ProcessorConfig"})

_COMMON = {"Type", "Comment", "QueryLanguage"}
_TRANSITION = {"Next", "End"}

# Fields a state type has in both query languages.
SHARED_FIELDS: dict[str, frozenset[str]] = {
    "Task": frozenset(_COMMON | _TRANSITION | {
        "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Credentials", "Retry", "Catch", "Assign",
    }),
    "Parallel": frozenset(_COMMON | _TRANSITION | {"Branches", "Retry", "Catch", "Assign"}),
    "Map": frozenset(_COMMON | _TRANSITION | {
        "ItemProcessor", "Iterator", "ItemSelector", "MaxConcurrency", "ToleratedFailurePercentage",
        "ToleratedFailureCount", "ItemReader", "ItemBatcher", "ResultWriter", "Label", "Retry", "Catch",
        "Assign",
    }),
    "Pass": frozenset(_COMMON | _TRANSITION | {"Assign"}),
    "Wait": frozenset(_COMMON | _TRANSITION | {"Seconds", "Timestamp", "Assign"}),
    "Choice": frozenset(_COMMON | {"Choices", "Default", "Assign"}),
    "Succeed": frozenset(_COMMON),
    "Fail": frozenset(_COMMON | {"Error", "Cause"}),
}  # fmt: skip

_INPUT_OUTPUT = {"InputPath", "OutputPath"}

# Fields only a JSONPath state has.
JSONPATH_FIELDS: dict[str, frozenset[str]] = {
    "Task": frozenset(_INPUT_OUTPUT | {
        "Parameters", "ResultSelector", "ResultPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
    }),
    "Parallel": frozenset(_INPUT_OUTPUT | {"Parameters", "ResultSelector", "ResultPath"}),
    "Map": frozenset(_INPUT_OUTPUT | {
        "Parameters", "ResultSelector", "ResultPath", "ItemsPath", "MaxConcurrencyPath",
        "ToleratedFailurePercentagePath", "ToleratedFailureCountPath",
    }),
    "Pass": frozenset(_INPUT_OUTPUT | {"Parameters", "ResultPath", "Result"}),
    "Wait": frozenset(_INPUT_OUTPUT | {"SecondsPath", "TimestampPath"}),
    "Choice": frozenset(_INPUT_OUTPUT),
    "Succeed": frozenset(_INPUT_OUTPUT),
    "Fail": frozenset({"ErrorPath", "CausePath"}),
}  # fmt: skip

# Fields only a JSONata state has.
JSONATA_FIELDS: dict[str, frozenset[str]] = {
    "Task": frozenset({"Arguments", "Output"}),
    "Parallel": frozenset({"Arguments", "Output"}),
    "Map": frozenset({"Items", "Output"}),
    "Pass": frozenset({"Output"}),
    "Wait": frozenset({"Output"}),
    "Choice": frozenset({"Output"}),
    "Succeed": frozenset({"Output"}),
    "Fail": frozenset(),
}

# Replacement for each JSONPath-only field in a JSONata state.
JSONATA_REPLACEMENTS = {
    "InputPath": "Arguments or Output",
    "Parameters": "Arguments",
    "ResultSelector": "Output",
    "ResultPath": "Output or Assign",
    "OutputPath": "Output",
    "Result": "Output",
    "ItemsPath": "Items",
    "TimeoutSecondsPath": "TimeoutSeconds with a JSONata expression",
    "HeartbeatSecondsPath": "HeartbeatSeconds with a JSONata expression",
    "SecondsPath": "Seconds with a JSONata expression",
    "TimestampPath": "Timestamp with a JSONata expression",
    "MaxConcurrencyPath": "MaxConcurrency with a JSONata expression",
    "ToleratedFailurePercentagePath": "ToleratedFailurePercentage with a JSONata expression",
    "ToleratedFailureCountPath": "ToleratedFailureCount with a JSONata expression",
    "ErrorPath": "Error with a JSONata expression",
    "CausePath": "Cause with a JSONata expression",
}


def fields_for(state_type: str, language: str) -> frozenset[str]:
    """Return the fields a state of this type may have in this query language."""
    own = JSONATA_FIELDS if language == JSONATA else JSONPATH_FIELDS
    return SHARED_FIELDS[state_type] | own[state_type]


def other_language(language: str) -> str:
    return JSONPATH if language == JSONATA else JSONATA


RETRIER_FIELDS = frozenset({
    "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment",
})  # fmt: skip
CATCHER_FIELDS = {
    JSONPATH: frozenset({"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"}),
    JSONATA: frozenset({"ErrorEquals", "Next", "Output", "Assign", "Comment"}),
}
PROCESSOR_CONFIG_FIELDS = frozenset({"Mode", "ExecutionType"})
ITEM_READER_FIELDS = {
    JSONPATH: frozenset({"Resource", "Parameters", "ReaderConfig"}),
    JSONATA: frozenset({"Resource", "Arguments", "ReaderConfig"}),
}
READER_CONFIG_FIELDS = frozenset({
    "InputType", "Transformation", "ManifestType", "CSVDelimiter", "CSVHeaderLocation", "CSVHeaders",
    "ItemsPointer", "MaxItems", "MaxItemsPath",
})  # fmt: skip
ITEM_BATCHER_FIELDS = frozenset({
    "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput",
})  # fmt: skip
RESULT_WRITER_FIELDS = {
    JSONPATH: frozenset({"Resource", "Parameters", "WriterConfig"}),
    JSONATA: frozenset({"Resource", "Arguments", "WriterConfig"}),
}
WRITER_CONFIG_FIELDS = frozenset({"Transformation", "OutputType"})
