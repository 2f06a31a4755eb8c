"""Loading SAM templates for local runs: definitions, substitutions, functions, mocks."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from heaviside.local.app import (
    StateMock,
    TemplateError,
    apply_mocks,
    load_template,
    parse_mock,
    read_mock_options,
)

REPO = Path(__file__).resolve().parent.parent
ORDER_TEMPLATE = REPO / "examples" / "order-processing" / "template.yaml"
IMPORT_TEMPLATE = REPO / "examples" / "transaction-import" / "template.yaml"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def write_template(folder: Path, body: str) -> Path:
    path = folder / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return path


@pytest.fixture(autouse=True)
def local_region(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


def test_definition_uri_substitutions_resolve():
    app = load_template(ORDER_TEMPLATE)
    machine = app.machine()

    assert machine.logical_id == "OrderStateMachine"
    assert machine.name == "order-processing"
    assert machine.definition["States"]["ValidateOrder"]["Resource"] == LAMBDA_ARN + "ValidateOrderFunction"
    assert machine.definition["States"]["ChargePayment"]["Resource"] == LAMBDA_ARN + "ChargePaymentFunction"


def test_yaml_definition_file_loads():
    machine = load_template(IMPORT_TEMPLATE).machine("transaction-import")
    inner = machine.definition["States"]["NormalizeTransactions"]["ItemProcessor"]["States"]["NormalizeTransaction"]

    assert machine.definition["QueryLanguage"] == "JSONata"
    assert inner["Arguments"]["FunctionName"] == LAMBDA_ARN + "NormalizeTransactionFunction"


def test_globals_merge_into_functions():
    app = load_template(ORDER_TEMPLATE)
    payment = app.functions["ChargePaymentFunction"]

    assert payment.handler == "payments.charge_payment"
    assert payment.code_dir == ORDER_TEMPLATE.parent / "src"
    assert payment.environment == {"PAYMENT_FAILURE_RATE": "0.3", "PAYMENT_SIMULATION_SEED": "42"}
    assert payment.unsupported is None


def test_parameter_overrides_default():
    app = load_template(ORDER_TEMPLATE, parameters={"PaymentFailureRate": "0"})

    assert app.functions["ChargePaymentFunction"].environment["PAYMENT_FAILURE_RATE"] == "0"


def test_inline_definition_intrinsics(tmp_path):
    path = write_template(
        tmp_path,
        """
        Transform: [Heaviside, AWS::Serverless-2016-10-31]
        Parameters:
          Greeting: {Type: String, Default: hello}
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: ., Handler: app.handler, Runtime: python3.11, FunctionName: worker-fn}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition:
                StartAt: Greet
                States:
                  Greet: {Type: Pass, Result: !Sub "${Greeting} from ${AWS::Region}", Next: Work}
                  Work: {Type: Task, Resource: !GetAtt Worker.Arn, End: true}
        """,
    )
    definition = load_template(path).machine().definition

    assert definition["States"]["Greet"]["Result"] == "hello from us-east-1"
    assert definition["States"]["Work"]["Resource"] == LAMBDA_ARN + "worker-fn"


def test_inline_number_ref_becomes_string(tmp_path):
    # The SAM translator puts every intrinsic in a string placeholder, so a
    # Number parameter arrives as a string and AWS's validator rejects it.
    path = write_template(
        tmp_path,
        """
        Parameters:
          TaskTimeout: {Type: Number, Default: 300}
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition:
                StartAt: Work
                States:
                  Work: {Type: Task, Resource: "arn:aws:lambda:us-east-1:123456789012:function:w", TimeoutSeconds: !Ref TaskTimeout, End: true}
        """,
    )
    definition = load_template(path).machine().definition

    assert definition["States"]["Work"]["TimeoutSeconds"] == "300"


def test_substitution_reaches_comment(tmp_path):
    (tmp_path / "flow.asl.json").write_text(
        json.dumps({"Comment": "Deployed to ${RegionName}.", "StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    )
    path = write_template(
        tmp_path,
        """
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              DefinitionUri: flow.asl.json
              DefinitionSubstitutions:
                RegionName: !Ref AWS::Region
        """,
    )

    assert load_template(path).machine().definition["Comment"] == "Deployed to us-east-1."


def test_substitution_value_escaped(tmp_path):
    (tmp_path / "flow.asl.json").write_text(
        json.dumps({"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": "${Text}", "End": True}}})
    )
    path = write_template(
        tmp_path,
        """
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              DefinitionUri: flow.asl.json
              DefinitionSubstitutions:
                Text: 'say "hi"\\now'
        """,
    )

    assert load_template(path).machine().definition["States"]["Say"]["Result"] == 'say "hi"\\now'


@pytest.mark.parametrize(
    "properties, message",
    [
        ("DefinitionUri: missing.asl.json", "file"),
        ("DefinitionUri: s3://bucket/flow.json", "not a local file"),
        ("Name: only-a-name", "missing Definition or DefinitionUri"),
        (
            "Definition: {StartAt: A, States: {A: {Type: Pass, Result: !GetAtt Nowhere.Arn, End: true}}}",
            "GetAtt of 'Nowhere'",
        ),
        (
            "Definition: {StartAt: A, States: {A: {Type: Pass, Result: !ImportValue shared, End: true}}}",
            "Fn::ImportValue is not supported",
        ),
    ],
)
def test_machine_errors_name_resource(tmp_path, properties, message):
    path = write_template(
        tmp_path,
        f"""
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              {properties}
        """,
    )
    with pytest.raises(TemplateError) as raised:
        load_template(path)

    assert "resource Flow" in str(raised.value)
    assert message in str(raised.value)


def test_template_without_machine(tmp_path):
    path = write_template(tmp_path, "Resources:\n  Bucket: {Type: AWS::S3::Bucket}\n")

    with pytest.raises(TemplateError, match="no resource of type Heaviside::StateMachine"):
        load_template(path)


def test_machine_lookup_by_name_and_id():
    app = load_template(ORDER_TEMPLATE)

    assert app.machine("OrderStateMachine") is app.machine("order-processing")
    with pytest.raises(TemplateError, match="'Nope' not found.*OrderStateMachine"):
        app.machine("Nope")


def test_s3_code_uri_unsupported(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Remote:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: s3://bucket/code.zip, Handler: app.handler, Runtime: python3.11}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Task, Resource: !GetAtt Remote.Arn, End: true}}}
        """,
    )
    app = load_template(path)

    assert "not a local folder" in app.functions["Remote"].unsupported
    assert app.handlers() == {}


def test_handlers_import_from_code_uri(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "greeter_app_module.py").write_text("def handler(event, context):\n    return {'hello': event}\n")
    path = write_template(
        tmp_path,
        """
        Resources:
          Greeter:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: greeter_app_module.handler, Runtime: python3.11}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Task, Resource: !GetAtt Greeter.Arn, End: true}}}
        """,
    )
    handlers = load_template(path).handlers()

    assert handlers["Greeter"]("x", None) == {"hello": "x"}
    assert handlers[LAMBDA_ARN + "Greeter"] is handlers["Greeter"]


def test_missing_handler_function(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "empty_app_module.py").write_text("")
    path = write_template(
        tmp_path,
        """
        Resources:
          Broken:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: empty_app_module.handler, Runtime: python3.11}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
        """,
    )

    with pytest.raises(TemplateError, match="resource Broken, property Handler.*has no function 'handler'"):
        load_template(path).handlers()


def test_mock_return_every_invocation():
    mock = parse_mock("Charge", {"Return": {"ok": True}}, "test")

    assert mock({}) == {"ok": True}
    assert mock({}) == {"ok": True}
    assert mock.invocations == 2


def test_mock_numbered_invocations():
    mock = parse_mock(
        "Charge",
        {"0-1": {"Throw": {"Error": "ProviderDown", "Cause": "timed out"}}, "2": {"Return": "charged"}},
        "test",
    )

    for _ in range(2):
        with pytest.raises(Exception) as raised:
            mock({})
        assert type(raised.value).__name__ == "ProviderDown"
        assert str(raised.value) == "timed out"
    assert mock({}) == "charged"
    with pytest.raises(Exception, match="no response for invocation 3"):
        mock({})


@pytest.mark.parametrize(
    "spec",
    [{}, {"Result": 1}, {"Return": 1, "Throw": {}}, {"first": {"Return": 1}}, {"Throw": "boom"}, [1]],
)
def test_mock_spec_rejected(spec):
    with pytest.raises(TemplateError, match="mock of state 'Charge'"):
        parse_mock("Charge", spec, "test")


def test_mock_options_and_file(tmp_path):
    (tmp_path / "charge.json").write_text(json.dumps({"Return": {"chargeId": "ch_1"}}))
    (tmp_path / "mocks.yaml").write_text("Charge:\n  Return: from-file\nShip:\n  Return: shipped\n")

    mocks = read_mock_options([f"Charge=@{tmp_path / 'charge.json'}", 'Quote={"Return": 5}'], str(tmp_path / "mocks.yaml"))

    assert mocks["Charge"]({}) == {"chargeId": "ch_1"}
    assert mocks["Ship"]({}) == "shipped"
    assert mocks["Quote"]({}) == 5


def test_mock_option_without_state():
    with pytest.raises(TemplateError, match="expected STATE=@FILE or STATE=JSON"):
        read_mock_options(["@charge.json"], None)


def test_apply_mocks_direct_and_invoke():
    definition = {
        "StartAt": "Direct",
        "States": {
            "Direct": {"Type": "Task", "Resource": LAMBDA_ARN + "real", "Next": "Fan"},
            "Fan": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Invoke",
                    "States": {
                        "Invoke": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName.$": "$.name", "Payload.$": "$"},
                            "End": True,
                        }
                    },
                },
                "End": True,
            },
        },
    }
    mocks = {"Direct": StateMock("Direct", [(0, None, {"Return": 1})]), "Invoke": lambda event, context: 2}

    mocked, functions = apply_mocks(definition, mocks, "us-east-1")

    direct_function = mocked["States"]["Direct"]["Resource"]
    invoke_parameters = mocked["States"]["Fan"]["ItemProcessor"]["States"]["Invoke"]["Parameters"]
    assert functions[direct_function] is mocks["Direct"]
    assert functions[invoke_parameters["FunctionName"]] is mocks["Invoke"]
    assert "FunctionName.$" not in invoke_parameters
    assert definition["States"]["Direct"]["Resource"] == LAMBDA_ARN + "real"


def test_apply_mocks_rejects_non_task():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}

    with pytest.raises(TemplateError, match="only Task states can be mocked"):
        apply_mocks(definition, {"P": lambda event, context: 1}, "us-east-1")
    with pytest.raises(TemplateError, match="no state of that name"):
        apply_mocks(definition, {"Q": lambda event, context: 1}, "us-east-1")


def test_plain_lambda_function_and_express(tmp_path):
    (tmp_path / "code").mkdir()
    path = write_template(
        tmp_path,
        """
        Globals:
          Function: {Handler: ignored.handler, Environment: {Variables: {ONLY_SAM: "yes"}}}
        Resources:
          Plain:
            Type: AWS::Lambda::Function
            Properties: {Code: code, Handler: plain.handler, Runtime: python3.11, Role: arn:aws:iam::123456789012:role/r}
          Inline:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: "def handler(e, c): pass"}, Handler: index.handler, Runtime: python3.11}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Type: EXPRESS
              Definition: {StartAt: A, States: {A: {Type: Task, Resource: !GetAtt Plain.Arn, End: true}}}
        """,
    )
    app = load_template(path)

    assert app.functions["Plain"].handler == "plain.handler"
    assert app.functions["Plain"].environment == {}
    assert app.functions["Plain"].code_dir == tmp_path / "code"
    assert "inline code" in app.functions["Inline"].unsupported
    assert app.machine().execution_type == "EXPRESS"
    assert app.machine().definition["States"]["A"]["Resource"] == LAMBDA_ARN + "Plain"


def test_invalid_machine_type(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Type: SOMETIMES
              Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
        """,
    )

    with pytest.raises(TemplateError, match="resource Flow, property Type: expected STANDARD or EXPRESS"):
        load_template(path)


def test_include_and_json_text_definitions(tmp_path):
    (tmp_path / "flow.asl.yaml").write_text("StartAt: Work\nStates:\n  Work: {Type: Task, Resource: '${WorkArn}', End: true}\n")
    path = write_template(
        tmp_path,
        """
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: ., Handler: app.handler}
          Included:
            Type: Heaviside::StateMachine
            Properties:
              Definition:
                Fn::Transform:
                  Name: AWS::Include
                  Parameters: {Location: flow.asl.yaml}
              DefinitionSubstitutions:
                WorkArn: !GetAtt Worker.Arn
          Text:
            Type: Heaviside::StateMachine
            Properties:
              Definition: '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'
        """,
    )
    app = load_template(path)

    assert app.machine("Included").definition["States"]["Work"]["Resource"] == LAMBDA_ARN + "Worker"
    assert app.machine("Included").source == str(tmp_path / "flow.asl.yaml")
    assert app.machine("Text").definition["States"]["P"] == {"Type": "Pass", "End": True}


def test_include_missing_file(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition:
                Fn::Transform: {Name: AWS::Include, Parameters: {Location: nowhere.json}}
        """,
    )

    with pytest.raises(TemplateError, match="resource Flow, property Definition, Fn::Transform AWS::Include Location: file"):
        load_template(path)


def test_lazy_sibling_import_works(tmp_path):
    from heaviside.local.app import run_machine

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lazy_app_module.py").write_text(
        "def handler(event, context):\n    import lazy_helper_module\n    return lazy_helper_module.double(event)\n"
    )
    (tmp_path / "src" / "lazy_helper_module.py").write_text("def double(value):\n    return value * 2\n")
    path = write_template(
        tmp_path,
        """
        Resources:
          Doubler:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: lazy_app_module.handler, Runtime: python3.12}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Task, Resource: !GetAtt Doubler.Arn, End: true}}}
        """,
    )

    result = run_machine(path, 21, time_scale=0.001)

    assert result.status == "SUCCEEDED"
    assert result.output == 42
    assert str((tmp_path / "src").resolve()) not in sys.path


def step_functions_local_file(tmp_path, cases: dict) -> str:
    content = {
        "StateMachines": {"order-processing": {"TestCases": cases}},
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"chargeId": "ch_local"}}}},
            "ChargeDown": {"0-4": {"Throw": {"Error": "PaymentProviderUnavailable", "Cause": "down"}}},
        },
    }
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(content))
    return str(path)


def test_step_functions_local_mock_file(tmp_path):
    machine = load_template(ORDER_TEMPLATE).machine()
    path = step_functions_local_file(tmp_path, {"HappyPath": {"ChargePayment": "ChargeOk"}, "Outage": {"ChargePayment": "ChargeDown"}})

    happy = read_mock_options(None, f"{path}#HappyPath", machine)
    outage = read_mock_options(None, f"{path}#Outage", machine)

    assert happy["ChargePayment"]({}) == {"chargeId": "ch_local"}
    with pytest.raises(Exception) as raised:
        outage["ChargePayment"]({})
    assert type(raised.value).__name__ == "PaymentProviderUnavailable"


@pytest.mark.parametrize(
    "suffix, cases, message",
    [
        ("", {"A": {}, "B": {}}, "choose a test case with --mock-file FILE#CASE; the cases are: A, B"),
        ("#C", {"A": {}}, "test case 'C' not found"),
        ("", {"A": {"ChargePayment": "Missing"}}, "uses the response 'Missing', which MockedResponses lacks"),
    ],
)
def test_step_functions_local_file_errors(tmp_path, suffix, cases, message):
    machine = load_template(ORDER_TEMPLATE).machine()
    path = step_functions_local_file(tmp_path, cases)

    with pytest.raises(TemplateError, match=re.escape(message)):
        read_mock_options(None, path + suffix, machine)


def test_yaml_definition_keeps_timestamps(tmp_path):
    (tmp_path / "flow.asl.yaml").write_text(
        "StartAt: Hold\nStates:\n  Hold: {Type: Wait, Timestamp: 2026-01-01T00:00:00Z, End: true}\n"
    )
    path = write_template(
        tmp_path,
        """
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties: {DefinitionUri: flow.asl.yaml}
        """,
    )

    assert load_template(path).machine().definition["States"]["Hold"]["Timestamp"] == "2026-01-01T00:00:00Z"


def test_malformed_intrinsic_names_place(tmp_path):
    path = write_template(
        tmp_path,
        """
        Resources:
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Name: {"Fn::Join": ["-"]}
              Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
        """,
    )

    with pytest.raises(TemplateError, match="resource Flow, property Name: malformed Fn::Join"):
        load_template(path)


def test_handler_module_raising_on_import(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "broken_app_module.py").write_text("def handler(event, context)\n    return 1\n")
    path = write_template(
        tmp_path,
        """
        Resources:
          Broken:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: broken_app_module.handler}
          Flow:
            Type: Heaviside::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
        """,
    )

    with pytest.raises(TemplateError, match="resource Broken, property Handler .*failed with SyntaxError"):
        load_template(path).handlers()
