"""heaviside.template: reading templates with short-form intrinsic functions, and writing them back."""

from __future__ import annotations

import pytest

from heaviside.template import TemplateError, dump_template, is_intrinsic, load_template, parse_template

SHORT_FORMS = """\
AWSTemplateFormatVersion: 2010-09-09
Transform: [Heaviside, AWS::Serverless-2016-10-31]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Role.Arn
      Name: !Sub "${AWS::StackName}-fn"
      Other: !If [IsProd, !Ref Prod, !GetAtt [Dev, Arn]]
      Parts: !Split [",", !ImportValue shared-list]
      Zip: !Base64 text
"""


def test_short_forms_become_long_forms():
    template = parse_template(SHORT_FORMS)
    properties = template["Resources"]["Fn"]["Properties"]
    assert properties["Role"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert properties["Name"] == {"Fn::Sub": "${AWS::StackName}-fn"}
    assert properties["Other"] == {"Fn::If": ["IsProd", {"Ref": "Prod"}, {"Fn::GetAtt": ["Dev", "Arn"]}]}
    assert properties["Parts"] == {"Fn::Split": [",", {"Fn::ImportValue": "shared-list"}]}
    assert properties["Zip"] == {"Fn::Base64": "text"}


def test_unquoted_date_stays_text():
    assert parse_template(SHORT_FORMS)["AWSTemplateFormatVersion"] == "2010-09-09"


def test_plain_dicts():
    template = parse_template(SHORT_FORMS)
    assert type(template) is dict
    assert type(template["Resources"]["Fn"]) is dict


def test_json_template():
    assert parse_template('{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}') == {
        "Resources": {"B": {"Type": "AWS::S3::Bucket"}}
    }


def test_round_trip_yaml_short_forms():
    template = parse_template(SHORT_FORMS)
    text = dump_template(template)
    assert "!GetAtt 'Role.Arn'" in text or "!GetAtt Role.Arn" in text
    assert "Fn::GetAtt" not in text
    assert parse_template(text) == template


def test_round_trip_json():
    template = parse_template(SHORT_FORMS)
    assert parse_template(dump_template(template, output_format="json")) == template


def test_unknown_output_format():
    with pytest.raises(ValueError, match="unknown template format 'toml'"):
        dump_template({}, output_format="toml")


def test_invalid_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("Resources: [unclosed\n")
    with pytest.raises(TemplateError, match=f"invalid YAML in {path}"):
        load_template(path)


def test_not_a_mapping():
    with pytest.raises(TemplateError, match="its top level must be a mapping"):
        parse_template("- just\n- a list\n")


def test_missing_file(tmp_path):
    with pytest.raises(TemplateError, match="template file not found"):
        load_template(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"Ref": "X"}, True),
        ({"Fn::GetAtt": ["X", "Arn"]}, True),
        ({"Condition": "IsProd"}, True),
        ({"Ref": "X", "Other": 1}, False),
        ({"Name": "x"}, False),
        ("Ref", False),
    ],
)
def test_is_intrinsic(value, expected):
    assert is_intrinsic(value) is expected
