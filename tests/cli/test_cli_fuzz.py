"""``nnstudio gradients`` on mutated project files, one process per file as a user runs it.

The files come from the strategies of tests/project/test_fuzz_files.py. The
loader, run in this process, decides what the command must do: a file that loads
gives exit status 0, or 1 when the engine rejects the network (an unfinished
drawing, step units, outputs that overflow). A file that does not load gives
exit status 2 and the loader's message as the only line on stderr.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.conftest import REPO
from tests.project.test_fuzz_files import (
    NO_SHRINK,
    MutatedFile,
    Rejection,
    any_mutation,
    encode,
    load_outcome,
    prepare_workspace,
    seed,
    write_mutation,
)

pytestmark = pytest.mark.timeout(180)

PROCESS_TIMEOUT = 60

# 15 files, the same on every run. Each example starts a Python process, so a
# failure is reported as it is found, without shrinking.
CLI_FILES = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    phases=NO_SHRINK,
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_workspace(tmp_path_factory.mktemp("cli-fuzz"))


def run_gradients(path: Path) -> subprocess.CompletedProcess[str]:
    # The current folder is the repository, not the file's folder, so a CSV path
    # in the file must be found relative to the project file.
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", "gradients", str(path)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        cwd=REPO,
    )


def one_line(message: str) -> str:
    # The CLI writes every error as one line, with line breaks turned into spaces.
    return message.replace("\r", " ").replace("\n", " ")


@CLI_FILES
@given(mutation=any_mutation())
def test_gradients_on_mutated_file(workspace: Path, mutation: MutatedFile) -> None:
    path = write_mutation(workspace, mutation)
    outcome = load_outcome(path)

    result = run_gradients(path)

    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    if isinstance(outcome, Rejection):
        assert result.returncode == 2, result.stderr
        assert lines == [f"nnstudio: error: {one_line(outcome.message)}"]
        assert result.stdout == ""
    elif result.returncode == 0:
        assert lines == []
        assert "loss (" in result.stdout
    else:
        assert result.returncode == 1, result.stderr
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("nnstudio: error: ")


def test_gradients_csv_path_too_long(workspace: Path) -> None:
    # Most file systems limit a file name to 255 bytes.
    document = seed("iris.nnproj")
    document["dataset"]["csv"] = "a" * 300 + ".csv"
    path = write_mutation(workspace, MutatedFile("iris.nnproj", "long name", encode(document)))

    result = run_gradients(path)

    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
