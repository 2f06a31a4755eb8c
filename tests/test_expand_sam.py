"""SAM CLI on the root template.yaml and on `heaviside expand` output: sam build and sam validate --lint.

aws-sam-cli pins its own aws-sam-translator and cfn-lint, so it lives in a
separate virtualenv, created on first use under build/sam-cli (git-ignored)
and reused afterwards. Creating it downloads about 100 MB from PyPI and takes
one to two minutes; each sam build also installs the runtime layer's
dependencies from PyPI. Telemetry is switched off, so SAM CLI contacts no
other host.

The runtime layer is built for Lambda's python3.12 (see LAYER_RUNTIMES in
sam_macro/contract.py), so sam build needs a Python 3.12 interpreter. The
tests look for one on the PATH and in pyenv.
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

import pytest

from heaviside import cli
from tests.macro_support import REPO, TEMPLATES

SAM_CLI_DIR = REPO / "build" / "sam-cli"
SAM_CLI_REQUIREMENT = "aws-sam-cli>=1.170"
INSTALL_TIMEOUT_SECONDS = 900
COMMAND_TIMEOUT_SECONDS = 600


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


@pytest.fixture(scope="module")
def sam_environment() -> dict[str, str]:
    """The environment for SAM CLI: no telemetry, and a Python 3.12 on the PATH for the layer build."""
    python312 = find_python("3.12")
    if python312 is None:
        pytest.skip("sam build of the runtime layer needs Python 3.12 on the PATH or in pyenv; none was found")
    environment = dict(os.environ)
    environment["SAM_CLI_TELEMETRY"] = "0"
    environment["PATH"] = f"{python312.parent}{os.pathsep}{environment['PATH']}"
    environment.pop("VIRTUAL_ENV", None)
    return environment


def find_python(version: str) -> Path | None:
    """Return a working pythonX.Y interpreter from the PATH or pyenv, else None."""
    candidates = [shutil.which(f"python{version}")]
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


@pytest.fixture(scope="module")
def root_build(sam, sam_environment, tmp_path_factory) -> Path:
    """The root template.yaml built by sam build; returns the build folder."""
    build_dir = tmp_path_factory.mktemp("root") / "build"
    run_sam(sam, sam_environment, "build", "--template-file", "template.yaml", "--build-dir", str(build_dir), cwd=REPO)
    return build_dir


def test_root_template_builds(root_build):
    build_dir = root_build
    layer = build_dir / "RuntimeLayer" / "python"
    assert (layer / "heaviside" / "runtime" / "__init__.py").is_file()
    assert (layer / "jsonpath_ng").is_dir()
    assert (build_dir / "MacroFunction" / "sam_macro" / "handler.py").is_file()
    assert (build_dir / "MacroFunction" / "yaml").is_dir()


def test_built_macro_expands_a_template(root_build, sam_environment):
    """The built macro function, with only the built layer on its path, handles a macro event."""
    build_dir = root_build
    script = (
        "import json, sys\n"
        "from sam_macro.handler import handler\n"
        "event = {'requestId': 'r-1', 'templateParameterValues': {}, 'fragment': {'Resources': {"
        "'Worker': {'Type': 'AWS::Serverless::Function', 'Properties': {'Runtime': 'python3.12', "
        "'Handler': 'app.handler', 'CodeUri': 's3://bucket/worker.zip'}},"
        "'Flow': {'Type': 'Heaviside::StateMachine', 'Properties': {'Definition': {'StartAt': 'Work', "
        "'States': {'Work': {'Type': 'Task', 'Resource': {'Fn::GetAtt': ['Worker', 'Arn']}, 'End': True}}}}}}}}\n"
        "response = handler(event)\n"
        "print(json.dumps(response))\n"
    )
    environment = {
        "PATH": sam_environment["PATH"],
        "PYTHONPATH": f"{build_dir / 'MacroFunction'}{os.pathsep}{build_dir / 'RuntimeLayer' / 'python'}",
        "HEAVISIDE_RUNTIME_LAYER_ARN": "arn:aws:lambda:us-east-1:123456789012:layer:heaviside-runtime:1",
    }
    # -S leaves out site-packages, so only the built artifacts are importable, as in Lambda.
    result = subprocess.run(
        ["python3.12", "-S", "-c", script], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["status"] == "success", response.get("errorMessage")
    assert "WorkerHeavisideEventInvokeConfig" in response["fragment"]["Resources"]


def test_root_template_validates_with_lint(sam, sam_environment):
    result = run_sam(sam, sam_environment, "validate", "--lint", "--template-file", "template.yaml", cwd=REPO)
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "template",
    [TEMPLATES / "basic" / "template.yaml", REPO / "examples" / "order-processing" / "template.yaml"],
    ids=["basic", "order-processing"],
)
def test_expanded_template_builds_and_validates(template, sam, sam_environment, tmp_path):
    if not template.exists():
        pytest.skip(f"{template} does not exist")
    output = tmp_path / "expanded.yaml"
    assert cli.main(["expand", str(template), "-o", str(output)]) == 0

    build_dir = tmp_path / "build"
    run_sam(sam, sam_environment, "build", "--template-file", str(output), "--build-dir", str(build_dir), cwd=tmp_path)
    run_sam(sam, sam_environment, "validate", "--lint", "--template-file", str(output), cwd=tmp_path)

    assert (build_dir / "HeavisideRuntimeLayer" / "python" / "heaviside" / "__init__.py").is_file()
    built_invokers = [path for path in build_dir.iterdir() if (path / "index.py").is_file()]
    assert built_invokers
    for invoker in built_invokers:
        assert (invoker / "definition.json").is_file()
