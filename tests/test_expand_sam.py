"""SAM CLI on the root template.yaml and on `heaviside expand` output: sam build and sam validate --lint.

aws-sam-cli pins its own aws-sam-translator and cfn-lint, so it lives in a
separate virtualenv, created on first use under build/sam-cli (git-ignored)
and reused afterwards. Creating it downloads about 100 MB from PyPI; each sam
build also installs the runtime layer's dependencies from PyPI. Telemetry is
switched off, so SAM CLI contacts no other host.

sam build runs pip with the Python version of each function's and layer's
runtime, which must be on the PATH. The required tests build for python3.11
with the machine's Python 3.11, as a user without other versions would. The
python3.12 builds (the default runtime, whose layer has the JSONata engine,
and the example application, whose functions use python3.12) run only where
a Python 3.12 is on the PATH or in pyenv.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from heaviside import cli
from heaviside.template import load_template
from tests.macro_support import REPO, TEMPLATES

SAM_CLI_DIR = REPO / "build" / "sam-cli"
SAM_CLI_REQUIREMENT = "aws-sam-cli>=1.170"
INSTALL_TIMEOUT_SECONDS = 900
COMMAND_TIMEOUT_SECONDS = 600
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:heaviside-runtime:1"

WORKER = {
    "Type": "AWS::Serverless::Function",
    "Properties": {"Runtime": "python3.12", "Handler": "app.handler", "CodeUri": "s3://bucket/worker.zip"},
}
JSONPATH_MACHINE = {
    "Type": "Heaviside::StateMachine",
    "Properties": {
        "Definition": {
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": {"Fn::GetAtt": ["Worker", "Arn"]}, "End": True}},
        }
    },
}
JSONATA_MACHINE = {
    "Type": "Heaviside::StateMachine",
    "Properties": {
        "Definition": {
            "QueryLanguage": "JSONata",
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": {"Fn::GetAtt": ["Worker", "Arn"]},
                    "Output": "{% $states.result.total %}",
                    "End": True,
                }
            },
        }
    },
}


@pytest.fixture(scope="module")
def sam() -> Path:
    """Return the sam executable, installing aws-sam-cli into its own virtualenv on first use."""
    executable = SAM_CLI_DIR / "bin" / "sam"
    SAM_CLI_DIR.parent.mkdir(exist_ok=True)
    # Two pytest-xdist workers may get here at once; one installs, the other waits.
    with open(SAM_CLI_DIR.parent / "sam-cli.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not executable.exists():
            shutil.rmtree(SAM_CLI_DIR, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(SAM_CLI_DIR)], check=True)
            subprocess.run(
                [str(SAM_CLI_DIR / "bin" / "python"), "-m", "pip", "install", "--quiet", SAM_CLI_REQUIREMENT],
                check=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
            )
    return executable


def find_python(version: str) -> Path | None:
    """Return a working pythonX.Y interpreter from the PATH, this test run or pyenv, else None.

    SAM CLI also accepts `python3` when its version matches, so a machine
    whose only Python 3.11 is `python3` can still build for python3.11.
    """
    candidates = [shutil.which(f"python{version}"), shutil.which("python3"), sys.executable]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", f"python{version}")))
    for candidate in candidates:
        if not candidate:
            continue
        result = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.startswith(f"Python {version}."):
            # pyenv's shim resolves to the real interpreter only when the version is active.
            real = subprocess.run(
                [candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True
            )
            return Path(real.stdout.strip())
    return None


def sam_environment(python: Path) -> dict[str, str]:
    """Return the environment for SAM CLI: no telemetry, and `python`'s folder first on the PATH."""
    environment = dict(os.environ)
    environment["SAM_CLI_TELEMETRY"] = "0"
    environment["PATH"] = f"{python.parent}{os.pathsep}{environment['PATH']}"
    environment.pop("VIRTUAL_ENV", None)
    return environment


@pytest.fixture(scope="module")
def python311() -> Path:
    python = find_python("3.11")
    if python is None:
        pytest.skip("sam build for python3.11 needs Python 3.11 on the PATH or in pyenv; none was found")
    return python


@pytest.fixture(scope="module")
def python312() -> Path:
    python = find_python("3.12")
    if python is None:
        pytest.skip("optional check: sam build for python3.12 needs Python 3.12 on the PATH or in pyenv")
    return python


def run_sam(sam: Path, environment: dict[str, str], *arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(sam), *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"sam {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def build_root(sam: Path, python: Path, build_dir: Path, *arguments: str) -> Path:
    """Run sam build on the root template.yaml, as a user would, and return the build folder."""
    run_sam(
        sam,
        sam_environment(python),
        "build",
        "--template-file",
        "template.yaml",
        "--build-dir",
        str(build_dir),
        *arguments,
        cwd=REPO,
    )
    return build_dir


@pytest.fixture(scope="module")
def root_build_python311(sam, python311, tmp_path_factory) -> Path:
    build_dir = tmp_path_factory.mktemp("root-python311") / "build"
    return build_root(sam, python311, build_dir, "--parameter-overrides", "PythonRuntime=python3.11")


@pytest.fixture(scope="module")
def root_build_default(sam, python312, tmp_path_factory) -> Path:
    return build_root(sam, python312, tmp_path_factory.mktemp("root-default") / "build")


def run_built_macro(build_dir: Path, python: Path, resources: dict[str, Any], invoker_runtime: str) -> dict[str, Any]:
    """Call the built macro function's handler with only the built function and layer importable, as in Lambda."""
    script = (
        "import json, sys\n"
        "from sam_macro.handler import handler\n"
        "event = json.load(sys.stdin)\n"
        "print(json.dumps(handler(event)))\n"
    )
    event = {"requestId": "r-1", "templateParameterValues": {}, "fragment": {"Resources": resources}}
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": f"{build_dir / 'MacroFunction'}{os.pathsep}{build_dir / 'RuntimeLayer' / 'python'}",
        "HEAVISIDE_RUNTIME_LAYER_ARN": LAYER_ARN,
        # The root template sets this from its PythonRuntime parameter.
        "HEAVISIDE_INVOKER_RUNTIME": invoker_runtime,
    }
    # -S leaves out site-packages, so only the built artifacts are importable.
    result = subprocess.run(
        [str(python), "-S", "-c", script],
        input=json.dumps(event),
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_root_builds_for_python311(root_build_python311):
    build_dir = root_build_python311
    layer = build_dir / "RuntimeLayer" / "python"
    assert (layer / "heaviside" / "runtime" / "__init__.py").is_file()
    assert (layer / "jsonpath" / "__init__.py").is_file()  # python-jsonpath
    # Lambda's python3.11 cannot load the JSONata engine's manylinux_2_28 wheels.
    assert not (layer / "jlens").exists()
    assert (build_dir / "MacroFunction" / "sam_macro" / "handler.py").is_file()
    assert (build_dir / "MacroFunction" / "yaml").is_dir()

    built = load_template(build_dir / "template.yaml")["Resources"]
    assert built["RuntimeLayer"]["Metadata"]["BuildMethod"] == "python3.11"


def test_built_macro_python311_expands_jsonpath(root_build_python311, python311):
    resources = {"Worker": WORKER, "Flow": JSONPATH_MACHINE}
    response = run_built_macro(root_build_python311, python311, resources, "python3.11")
    assert response["status"] == "success", response.get("errorMessage")
    fragment = response["fragment"]["Resources"]
    assert fragment["Flow"]["Properties"]["Runtime"] == "python3.11"
    assert "WorkerHeavisideEventInvokeConfig" in fragment


@pytest.mark.parametrize(
    ("invoker_runtime", "expected"),
    [
        ("python3.11", "its invoker and the runtime layer are built for python3.11"),
        # A stack built with PythonRuntime=python3.11 but deployed without it: the layer lacks the engine.
        ("python3.12", "heaviside's JSONata engine (jlens) failed to import"),
    ],
    ids=["python3.11-stack", "python3.12-stack-with-python3.11-layer"],
)
def test_built_macro_python311_rejects_jsonata(root_build_python311, python311, invoker_runtime, expected):
    resources = {"Worker": WORKER, "Flow": JSONATA_MACHINE}
    response = run_built_macro(root_build_python311, python311, resources, invoker_runtime)
    assert response["status"] == "failure"
    message = response["errorMessage"]
    assert message.startswith("resource Flow, property Definition: the state machine uses JSONata, but ")
    assert expected in message
    assert "PythonRuntime" in message
    assert "INVALID_JSONATA_EXPRESSION" not in message


def test_root_template_validates_with_lint(sam, python311):
    environment = sam_environment(python311)
    result = run_sam(sam, environment, "validate", "--lint", "--template-file", "template.yaml", cwd=REPO)
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_root_builds_for_default_runtime(root_build_default):
    build_dir = root_build_default
    layer = build_dir / "RuntimeLayer" / "python"
    assert (layer / "jlens").is_dir()
    built = load_template(build_dir / "template.yaml")["Resources"]
    assert built["RuntimeLayer"]["Metadata"]["BuildMethod"] == "python3.12"


def test_built_macro_python312_expands_jsonata(root_build_default, python312):
    resources = {"Worker": WORKER, "Flow": JSONATA_MACHINE}
    response = run_built_macro(root_build_default, python312, resources, "python3.12")
    assert response["status"] == "success", response.get("errorMessage")
    assert response["fragment"]["Resources"]["Flow"]["Properties"]["Runtime"] == "python3.12"


def expand_build_and_validate(sam: Path, python: Path, template: Path, tmp_path: Path, *expand_arguments: str) -> Path:
    """Expand `template`, then sam build and sam validate --lint the output; return the build folder."""
    output = tmp_path / "expanded.yaml"
    assert cli.main(["expand", str(template), "-o", str(output), *expand_arguments]) == 0

    environment = sam_environment(python)
    build_dir = tmp_path / "build"
    run_sam(sam, environment, "build", "--template-file", str(output), "--build-dir", str(build_dir), cwd=tmp_path)
    run_sam(sam, environment, "validate", "--lint", "--template-file", str(output), cwd=tmp_path)

    assert (build_dir / "HeavisideRuntimeLayer" / "python" / "heaviside" / "__init__.py").is_file()
    built_invokers = [path for path in build_dir.iterdir() if (path / "index.py").is_file()]
    assert built_invokers
    for invoker in built_invokers:
        assert (invoker / "definition.json").is_file()
    return build_dir


def test_expanded_builds_for_python311(sam, python311, tmp_path):
    """The test template's functions use python3.11, so its expansion builds with Python 3.11 alone."""
    template = TEMPLATES / "basic" / "template.yaml"
    build_dir = expand_build_and_validate(sam, python311, template, tmp_path, "--runtime", "python3.11")
    assert not (build_dir / "HeavisideRuntimeLayer" / "python" / "jlens").exists()


def test_expanded_example_builds(sam, python312, tmp_path):
    """The example application's functions use python3.12."""
    template = REPO / "examples" / "order-processing" / "template.yaml"
    build_dir = expand_build_and_validate(sam, python312, template, tmp_path)
    assert (build_dir / "HeavisideRuntimeLayer" / "python" / "jlens").is_dir()
