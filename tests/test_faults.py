"""Executions with Parallel and Map under Lambda's faults: no result lost, none doubled.

Every asynchronous hop is delivered twice, a share of invokes is throttled,
and a share of task processes is killed after the handler returned and
before the next hop was dispatched (the invoker resumes those through the
OnFailure destination). The default run is small enough for CI; set
``HEAVISIDE_FAULT_EXECUTIONS=1000`` for the full run and
``HEAVISIDE_FAULT_RATE`` to change the share of throttles and kills.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from heaviside.runtime.testing import LambdaTestBed
from tests.fixtures_aws import moto_server  # noqa: F401

ARN = "arn:aws:lambda:us-east-1:111111111111:function:"
EXECUTIONS = int(os.environ.get("HEAVISIDE_FAULT_EXECUTIONS", "6"))
# With 6 executions of about 8 hops each, a 20% rate makes a run without a
# kill, or without a throttle, unlikely: by estimate 0.8 ** 48, about 1 in 40,000.
FAULT_RATE = float(os.environ.get("HEAVISIDE_FAULT_RATE", "0.2"))
RETRY_ANY_ERROR = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 20, "BackoffRate": 1.0}]


def double(event, context):
    return event * 2


def total(event, context):
    return sum(event)


DEFINITION = {
    "StartAt": "Split",
    "States": {
        "Split": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Double",
                    "States": {
                        "Double": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "MaxConcurrency": 2,
                            "ItemProcessor": {
                                "StartAt": "Times2",
                                "States": {
                                    "Times2": {
                                        "Type": "Task",
                                        "Resource": ARN + "double",
                                        "Retry": RETRY_ANY_ERROR,
                                        "End": True,
                                    }
                                },
                            },
                            "Next": "Sum",
                        },
                        "Sum": {"Type": "Task", "Resource": ARN + "total", "Retry": RETRY_ANY_ERROR, "End": True},
                    },
                },
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "ItemProcessor": {
                                "StartAt": "Times2Again",
                                "States": {
                                    "Times2Again": {
                                        "Type": "Task",
                                        "Resource": ARN + "double",
                                        "Retry": RETRY_ANY_ERROR,
                                        "End": True,
                                    }
                                },
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "End": True,
        }
    },
}


def _expected(items):
    doubled = [item * 2 for item in items]
    return [sum(doubled), doubled]


def test_faults_lose_and_double_nothing(moto_server):
    inputs = [{"items": list(range(n % 4 + 2))} for n in range(EXECUTIONS)]
    with LambdaTestBed(
        {"double": double, "total": total},
        time_scale=0.01,
        aws_endpoint=moto_server,
        endpoint_options={"duplicate_events": 1.0, "throttle_rate": FAULT_RATE, "event_threads": 8, "seed": 7},
        function_options={"kill_after_handler": FAULT_RATE},
    ) as bed:
        with ThreadPoolExecutor(max_workers=8) as pool:
            arns = list(pool.map(lambda pair: bed.start(DEFINITION, pair[1], name=f"run-{pair[0]}"), enumerate(inputs)))
        # One deadline for the whole run: on a loaded 2-core machine 60
        # executions took about 3 minutes, so allow 10 s per execution.
        deadline = time.monotonic() + 60 + 10 * EXECUTIONS
        executions = [bed.wait(arn, timeout=max(1.0, deadline - time.monotonic())) for arn in arns]
        stats = dict(bed.endpoint.stats)

    lost = [arn for arn, execution in zip(arns, executions) if execution.status != "SUCCEEDED"]
    wrong = [
        (arn, execution.output)
        for arn, execution, data in zip(arns, executions, inputs)
        if execution.status == "SUCCEEDED" and execution.output != _expected(data["items"])
    ]
    assert lost == []
    assert wrong == []
    assert stats.get("duplicates", 0) > 0
    assert stats.get("throttles", 0) > 0
    assert stats.get("destination:RetriesExhausted", 0) > 0
