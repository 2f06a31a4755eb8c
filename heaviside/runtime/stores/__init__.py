"""Store interfaces (`base`) and their AWS implementations (`aws`, boto3 imported lazily)."""

from heaviside.runtime.stores.base import (
    BlobStore,
    ChildOutcome,
    DefinitionStore,
    ExecutionRecord,
    ExecutionStore,
    HopStore,
    JoinSpec,
    JoinState,
    JoinStore,
    Stores,
    definition_digest,
)

__all__ = [
    "BlobStore",
    "ChildOutcome",
    "DefinitionStore",
    "ExecutionRecord",
    "ExecutionStore",
    "HopStore",
    "JoinSpec",
    "JoinState",
    "JoinStore",
    "Stores",
    "definition_digest",
]
