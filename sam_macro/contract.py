"""Names shared by the macro and the heaviside runtime.

The macro writes these environment variables, handler names, table keys and
S3 prefixes into the template; the runtime (`heaviside.runtime.config` and the
AWS stores) reads them. Change a value here and in the runtime together, and
update the table in docs/macro.md.
"""

from __future__ import annotations

# Lambda runtimes the runtime layer can be built for, and the runtime of the
# macro function and the invokers. A layer built for python3.11 has no JSONata
# engine (see sam_macro/runtimes.py), so the default is the oldest runtime
# that runs every state machine.
LAYER_RUNTIMES = ("python3.11", "python3.12", "python3.13")
DEFAULT_RUNTIME = "python3.12"

# Handlers. The invoker's code is a generated entry point module (`index.py`,
# the file name CloudFormation gives inline code) that publishes the definition
# and re-exports the runtime's invoker handler.
INVOKER_HANDLER = "heaviside.runtime.invoker.handler"
INVOKER_ENTRY_POINT = "index.handler"

# Environment variables of every function the macro wires up.
BUCKET = "HEAVISIDE_BUCKET"
TABLE = "HEAVISIDE_TABLE"
DELAY_QUEUE_URL = "HEAVISIDE_DELAY_QUEUE_URL"
INVOKER = "HEAVISIDE_INVOKER"
# The account id that execution ARNs show.
ACCOUNT = "HEAVISIDE_ACCOUNT"
ENVELOPE_BUDGET = "HEAVISIDE_ENVELOPE_BUDGET"
SLEEP_THRESHOLD = "HEAVISIDE_SLEEP_THRESHOLD"
EXECUTION_RECORDS = "HEAVISIDE_EXECUTION_RECORDS"
EXECUTION_TTL_DAYS = "HEAVISIDE_EXECUTION_TTL_DAYS"
LOG_LEVEL = "HEAVISIDE_LOG_LEVEL"
# Read by the runtime but never set by the macro, so the runtime's defaults
# apply unless a function's own Environment sets them.
HOP_DEDUPLICATION = "HEAVISIDE_HOP_DEDUPLICATION"
# "true" appends the states each hop entered to the execution record; off by default.
HISTORY = "HEAVISIDE_HISTORY"
EXECUTION_INPUT_INLINE_LIMIT = "HEAVISIDE_EXECUTION_INPUT_INLINE_LIMIT"

# Environment variables of an invoker only.
STATE_MACHINE = "HEAVISIDE_STATE_MACHINE"
EXECUTION_TYPE = "HEAVISIDE_EXECUTION_TYPE"
# The published definition as JSON text. The entry point module sets it in the
# process environment before it imports the invoker, so it is not bound by
# Lambda's 4 KB limit on configured environment variables.
DEFINITION = "HEAVISIDE_DEFINITION"
# `heaviside expand` only: a JSON object mapping each ${name} placeholder of the
# definition file to its value, resolved by CloudFormation at deploy time.
DEFINITION_SUBSTITUTIONS = "HEAVISIDE_DEFINITION_SUBSTITUTIONS"

# Environment variables of the macro function itself (root template.yaml).
MACRO_RUNTIME_LAYER_ARN = "HEAVISIDE_RUNTIME_LAYER_ARN"
MACRO_INVOKER_RUNTIME = "HEAVISIDE_INVOKER_RUNTIME"
MACRO_INVOKER_ARCHITECTURE = "HEAVISIDE_INVOKER_ARCHITECTURE"

# The DynamoDB table: string keys and the TTL attribute (epoch seconds).
TABLE_PARTITION_KEY = "pk"
TABLE_SORT_KEY = "sk"
TABLE_TTL_ATTRIBUTE = "expires_at"

# Key prefixes in the bucket. The lifecycle rule expires objects under
# BLOBS_PREFIX; definitions are kept because running executions read them.
DEFINITIONS_PREFIX = "definitions/"
BLOBS_PREFIX = "blobs/"

# The delay queue's consumer (the invoker) reports failed records one by one.
DELAY_QUEUE_RESPONSE_TYPES = ["ReportBatchItemFailures"]
